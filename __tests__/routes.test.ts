import axios from 'axios';
import type { PauseEvent, RateLimitedEvent } from '../src/events';
import { rateGuard } from '../src/rate-guard';
import { bucketLabel, MAX_BUCKET_KEYS, MAX_LEARNED_ROUTES, routeSignature } from '../src/routes';
import { mockApi, track } from './helpers/mock-api';

const EPOCH = Date.UTC(2026, 0, 1); // FakeClock's wall clock at 0

describe('configured routes', () => {
  it('a route counts against its own bucket beside the app key; other requests do not wait for it', async () => {
    const { api, clock, sent, guard } = mockApi({
      limits: { client: { requests: 100, perMs: 1000 } },
      routes: [{ name: 'search', method: 'GET', match: '/search/', limits: { requests: 2, perMs: 1000 } }],
      windowMarginMs: 0,
    });
    const calls = [
      ...Array.from({ length: 4 }, (_, i) => track(api.get(`/search/issues?q=${i}`))),
      ...Array.from({ length: 4 }, (_, i) => track(api.get(`/repos/x/${i}`))),
      track(api.post('/search/issues')), // method not matched: not in the bucket
    ];
    await clock.advance(0);
    expect(sent.filter((s) => s.url.startsWith('/search/issues?'))).toHaveLength(2);
    expect(sent.filter((s) => s.url.startsWith('/repos/'))).toHaveLength(4);
    expect(sent).toHaveLength(7);
    const keys = (await guard.stats()).keys;
    expect(keys.find((k) => k.key === 'app|b:search')).toMatchObject({ level: 'bucket', queued: 2, configured: { requests: 2, perMs: 1000 } });
    // The app counts every request of it that waits (as for tokens), but only the bucket holds them back.
    expect(keys.find((k) => k.key === 'app')).toMatchObject({ level: 'client', queued: 2 });
    await clock.advance(1000);
    expect(sent).toHaveLength(9);
    await Promise.all(calls.map((c) => c.promise));
  });

  it('RegExp and predicate matches, concurrency per bucket, a bucket per token', async () => {
    const { api, mock, clock, sent, guard } = mockApi({
      routes: [
        { name: 'oauth', match: /^\/oauth\/token/, limits: { concurrent: 1 } },
        { name: 'uploads', match: (config) => config.headers?.['x-upload'] === '1', limits: { requests: 1, perMs: 1000 }, per: 'token' },
      ],
      adaptive: false,
    });
    mock.reset();
    mock.onAny().reply(async (config) => {
      sent.push({ t: clock.now(), url: config.url ?? '', auth: config.headers?.Authorization as string | undefined });
      await new Promise<void>((resolve) => clock.setTimer(resolve, 100));
      return [200, {}];
    });
    const a = { headers: { Authorization: 'Bearer A', 'x-upload': '1' } };
    const b = { headers: { Authorization: 'Bearer B', 'x-upload': '1' } };
    const calls = [api.post('/oauth/token'), api.post('/oauth/token'), api.put('/u1', {}, a), api.put('/u2', {}, a), api.put('/u3', {}, b)];
    await clock.advance(0);
    expect(sent.map((s) => s.url)).toEqual(['/oauth/token', '/u1', '/u3']);
    const keys = (await guard.stats()).keys.map((k) => k.key);
    expect(keys.filter((k) => k.endsWith('|b:uploads'))).toHaveLength(2);
    expect(keys.every((k) => !k.includes('Bearer'))).toBe(true);
    await clock.advance(100);
    expect(sent.map((s) => s.url)).toEqual(['/oauth/token', '/u1', '/u3', '/oauth/token']);
    await clock.runAll();
    await Promise.all(calls);
    expect(sent.map((s) => s.url)).toContain('/u2');
  });

  it('validates routes with messages that say what was expected', () => {
    expect(() => rateGuard(axios.create(), { routes: [{ name: 'a b', match: '/' }] })).toThrow('Expected `routes[0].name` to be 1 to 40 letters');
    expect(() => rateGuard(axios.create(), { routes: [{ name: 'a', match: 5 as never }] })).toThrow('Expected `routes[0].match` to be a string, a RegExp or a function, got number');
    expect(() => rateGuard(axios.create(), { routes: [{ name: 'a', match: '/', limits: { requests: 0 } }] })).toThrow('routes[0].limits.requests');
    expect(() => rateGuard(axios.create(), { routes: [{ name: 'a', match: '/' }, { name: 'a', match: '/x' }] })).toThrow('used by another route');
  });
});

describe('buckets learned from the server', () => {
  it('GitHub: a spent search quota (x-ratelimit-resource: search) holds searches until its reset, not the core API', async () => {
    const pauses: PauseEvent[] = [];
    const { api, mock, clock, sent, guard } = mockApi({ onPause: (e) => pauses.push(e) });
    mock.reset();
    mock.onAny().reply((config) => {
      sent.push({ t: clock.now(), url: config.url ?? '' });
      const search = config.url!.startsWith('/search/');
      const reset = String(Math.ceil((EPOCH + clock.now() + 5000) / 1000));
      return [
        200,
        {},
        search
          ? { 'x-ratelimit-resource': 'search', 'x-ratelimit-limit': '30', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset }
          : { 'x-ratelimit-resource': 'core', 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '4999', 'x-ratelimit-reset': reset },
      ];
    });
    const auth = { headers: { Authorization: 'Bearer T' } };
    await api.get('/search/issues?q=1', auth);
    const later = [track(api.get('/search/issues?q=2', auth)), track(api.get('/search/issues?q=3', auth))];
    const core = [track(api.get('/repos/a/b', auth)), track(api.get('/user', auth))];
    await clock.advance(100);
    expect(core.every((c) => c.settled)).toBe(true);
    expect(sent.filter((s) => s.url.startsWith('/search/'))).toHaveLength(1);
    expect(pauses[0]).toMatchObject({ level: 'bucket', source: 'quota' });
    expect(pauses[0].key).toMatch(/^app\|t:[0-9a-f]{16}\|b:~search$/);
    const stats = (await guard.stats()).keys;
    expect(stats.find((k) => k.key === pauses[0].key)).toMatchObject({ level: 'bucket', queued: 2 });
    await clock.advance(5000);
    await Promise.all(later.map((c) => c.promise));
    expect(sent.filter((s) => s.url.startsWith('/search/'))).toHaveLength(3);
  });

  it('Discord: a route bucket 429 pauses that route only; a global 429 pauses the app', async () => {
    const limited: RateLimitedEvent[] = [];
    const { api, mock, clock, sent } = mockApi({ onRateLimited: (e) => limited.push(e), adaptive: false });
    mock.reset();
    let throttles = 0;
    mock.onAny().reply((config) => {
      sent.push({ t: clock.now(), url: config.url ?? '' });
      const url = config.url!;
      if (url === '/channels/1/messages' && throttles === 0) {
        throttles++;
        return [429, {}, { 'x-ratelimit-bucket': 'abcd1234', 'x-ratelimit-scope': 'user', 'retry-after': '2', 'x-ratelimit-limit': '5', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset-after': '2' }];
      }
      if (url === '/gateway' && throttles === 1) {
        throttles++;
        return [429, {}, { 'x-ratelimit-global': 'true', 'x-ratelimit-scope': 'global', 'retry-after': '1' }];
      }
      return [200, {}, { 'x-ratelimit-bucket': url.startsWith('/channels/') ? 'abcd1234' : 'other', 'x-ratelimit-limit': '5', 'x-ratelimit-remaining': '4', 'x-ratelimit-reset-after': '1' }];
    });
    const auth = { headers: { Authorization: 'Bot X' } };
    const first = track(api.post('/channels/1/messages', {}, auth));
    await clock.advance(0);
    expect(limited[0]).toMatchObject({ level: 'bucket' });
    const other = track(api.get('/users/@me', auth));
    const sameRoute = track(api.post('/channels/1/messages', {}, auth));
    await clock.advance(1000);
    expect(other.settled).toBe(true);
    expect(sent.filter((s) => s.url === '/channels/1/messages')).toHaveLength(1);
    await clock.advance(1100);
    await Promise.all([first.promise, sameRoute.promise]);
    expect(sent.filter((s) => s.url === '/channels/1/messages')).toHaveLength(3);
    // A global 429: the whole app waits.
    const gateway = track(api.get('/gateway', auth));
    await clock.advance(0);
    expect(limited[1]).toMatchObject({ level: 'client', key: 'app' });
    const after = track(api.get('/users/@me', auth));
    await clock.advance(900);
    expect(after.settled).toBe(false);
    await clock.advance(200);
    await Promise.all([gateway.promise, after.promise]);
  });

  it('stays bounded: learned routes past the cap are dropped, least recently used first; idle buckets are swept; server names hashed unless plain', async () => {
    const { api, mock, clock, sent, guard } = mockApi({ adaptive: false });
    mock.reset();
    mock.onAny().reply((config) => {
      sent.push({ t: clock.now(), url: config.url ?? '' });
      // Each route's bucket is spent for a minute.
      return [200, {}, { 'x-ratelimit-bucket': `bucket ${config.url}`, 'x-ratelimit-limit': '5', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset-after': '60' }];
    });
    for (let i = 0; i < MAX_LEARNED_ROUTES + 200; i++) await api.get(`/r${i}/x`);
    const buckets = (await guard.stats()).keys.filter((k) => k.level === 'bucket');
    expect(buckets.every((k) => /\|b:~#[0-9a-f]{16}$/.test(k.key))).toBe(true);
    // A route still remembered waits for its spent bucket; one of the first 200, forgotten, goes (and is learned again).
    const remembered = track(api.get(`/r${MAX_LEARNED_ROUTES + 199}/x`));
    const forgotten = track(api.get('/r0/x'));
    await clock.advance(0);
    expect(forgotten.settled).toBe(true);
    expect(remembered.settled).toBe(false);
    expect(bucketLabel('search')).toBe('search');
    expect(bucketLabel('x'.repeat(100))).toMatch(/^#[0-9a-f]{16}$/);
    expect(MAX_BUCKET_KEYS).toBe(1000);
    await clock.advance(60_000);
    await remembered.promise;
    await clock.advance(10 * 60_000); // the store's idle sweep drops idle buckets, as it drops idle tokens
    expect((await guard.stats()).keys.filter((k) => k.level === 'bucket')).toHaveLength(0);
  });

  it('folds id-like path segments and drops the query in route signatures', () => {
    const sig = (method: string, url: string) => routeSignature({ method, url } as never);
    expect(sig('post', '/channels/123456789012345678/messages?x=1')).toBe('POST /channels/:id/messages');
    expect(sig('get', '/search/issues?q=a')).toBe('GET /search/issues');
    expect(sig('get', '/items/3f2b9c1e-1111-2222-3333-444455556666')).toBe('GET /items/:id');
  });

  it('unnamedLimitLevel token: a request with a bucket and no token does not take the bucket for its token', async () => {
    const pauses: PauseEvent[] = [];
    const { api, mock, clock } = mockApi({ unnamedLimitLevel: 'token', routes: [{ name: 'search', match: '/search' }], onPause: (e) => pauses.push(e) });
    mock.reset();
    mock.onAny().replyOnce(429, {}, { 'retry-after': '1' });
    mock.onAny().reply(200, {});
    const call = track(api.get('/search'));
    await clock.advance(0);
    expect(pauses[0]).toMatchObject({ key: 'app|b:search', level: 'bucket' });
    await clock.advance(1100);
    await call.promise;
    expect(call.value?.status).toBe(200);
  });
});
