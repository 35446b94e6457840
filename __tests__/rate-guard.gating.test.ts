import axios from 'axios';
import MockAdapter from 'axios-mock-adapter';
import { MemoryStore } from '../src/memory-store';
import { rateGuard } from '../src/rate-guard';
import { FakeClock } from './helpers/fake-clock';
import { mockApi, track } from './helpers/mock-api';

describe('gating by rate', () => {
  it('after 999 ms nothing more is sent; at 1000 ms the next ones are', async () => {
    const { api, clock, sent } = mockApi({ limits: { client: { requests: 2, perMs: 1000 } }, windowMarginMs: 0 });
    const calls = [1, 2, 3, 4, 5].map((i) => track(api.get(`/r/${i}`)));
    await clock.advance(0);
    expect(sent).toHaveLength(2);
    await clock.advance(999);
    expect(sent).toHaveLength(2);
    await clock.advance(1);
    expect(sent).toHaveLength(4);
    await clock.advance(1000);
    expect(sent).toHaveLength(5);
    await Promise.all(calls.map((c) => c.promise));
    expect(calls.every((c) => c.settled && c.value?.status === 200)).toBe(true);
    expect(sent.map((s) => s.url)).toEqual(['/r/1', '/r/2', '/r/3', '/r/4', '/r/5']);
  });

  it('sustains at least 98% of the limit over a long saturated run (default margin)', async () => {
    const { api, clock, sent } = mockApi({ limits: { client: { requests: 50, perMs: 1000 } } });
    const calls = Array.from({ length: 3200 }, (_, i) => api.get(`/s/${i}`));
    await clock.advance(60_000 - 1);
    // 60 s at 50/s is 3000 at most; the 5 ms margin costs 0.5%.
    expect(sent.length).toBeGreaterThanOrEqual(0.98 * 3000);
    expect(sent.length).toBeLessThanOrEqual(3000);
    await clock.runAll();
    await Promise.all(calls);
  });

  it('adds the window margin (0.5% of the window by default) so jitter cannot squeeze in an extra request', async () => {
    const { api, clock, sent } = mockApi({ limits: { client: { requests: 1, perMs: 1000 } } });
    void api.get('/a');
    void api.get('/b');
    await clock.advance(1004);
    expect(sent).toHaveLength(1);
    await clock.advance(1);
    expect(sent).toHaveLength(2);
  });

  it('keeps each token to its own limit and the app to the shared one', async () => {
    const { api, clock, sent } = mockApi({
      limits: { client: { requests: 3, perMs: 1000 }, token: { requests: 1, perMs: 1000 } },
      windowMarginMs: 0,
    });
    const auth = (t: string) => ({ headers: { Authorization: `Bearer ${t}` } });
    void api.get('/a1', auth('A'));
    void api.get('/a2', auth('A'));
    void api.get('/b1', auth('B'));
    void api.get('/c1', auth('C'));
    void api.get('/d1', auth('D'));
    await clock.advance(0);
    // A's second waits for A's window; B and C fill the app's 3; D waits for the app.
    expect(sent.map((s) => s.url)).toEqual(['/a1', '/b1', '/c1']);
    await clock.advance(1000);
    expect(sent.map((s) => s.url).sort()).toEqual(['/a1', '/a2', '/b1', '/c1', '/d1']);
  });

  it('does not let a busy token hold up the other tokens of the app (no head-of-line blocking)', async () => {
    const { api, clock, sent } = mockApi({ limits: { token: { requests: 1, perMs: 10_000 } } });
    for (let i = 0; i < 5; i++) void api.get(`/slow/${i}`, { headers: { Authorization: 'Bearer busy' } });
    void api.get('/other', { headers: { Authorization: 'Bearer idle' } });
    await clock.advance(0);
    expect(sent.map((s) => s.url)).toEqual(['/slow/0', '/other']);
  });
});

describe('gating by concurrency', () => {
  it('holds at most N in flight and releases a slot on every outcome', async () => {
    const clock = new FakeClock();
    const store = new MemoryStore({ clock });
    const api = axios.create();
    const mock = new MockAdapter(api);
    const pending: Array<(r: [number, unknown]) => void> = [];
    let inFlight = 0;
    let maxInFlight = 0;
    mock.onAny().reply(
      () =>
        new Promise((resolve) => {
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          pending.push((r) => {
            inFlight--;
            resolve(r);
          });
        }),
    );
    const guard = rateGuard(api, { clientId: 'c', store, limits: { client: { concurrent: 2 } } });
    const calls = Array.from({ length: 6 }, (_, i) => track(api.get(`/x/${i}`)));
    await clock.advance(0);
    expect(pending).toHaveLength(2);
    pending.shift()!([200, 'ok']);
    pending.shift()!([500, 'server error']); // an error response frees its slot too
    await clock.advance(0);
    expect(pending).toHaveLength(2);
    pending.shift()!([404, 'missing']);
    pending.shift()!([200, 'ok']);
    await clock.advance(0);
    expect(pending).toHaveLength(2);
    pending.shift()!([200, 'ok']);
    pending.shift()!([200, 'ok']);
    await Promise.all(calls.map((c) => c.promise));
    expect(maxInFlight).toBe(2);
    expect(calls.filter((c) => c.error).length).toBe(2);
    const stats = await guard.stats();
    expect(stats.keys.find((k) => k.key === 'c')).toMatchObject({ inFlight: 0, queued: 0 });
  });

  it('frees the slot of a request cancelled while in flight', async () => {
    const clock = new FakeClock();
    const api = axios.create();
    // A hand-written adapter that hangs until aborted, as the http adapter does.
    api.defaults.adapter = (config) =>
      new Promise((_, reject) => config.signal?.addEventListener?.('abort', () => reject(new axios.CanceledError())));
    const guard = rateGuard(api, { clientId: 'inflight', store: new MemoryStore({ clock }), limits: { client: { concurrent: 1 } } });
    const controller = new AbortController();
    const hanging = track(api.get('/hang', { signal: controller.signal }));
    await clock.advance(0);
    expect((await guard.stats()).keys[0].inFlight).toBe(1);
    controller.abort();
    await hanging.promise;
    expect(axios.isCancel(hanging.error)).toBe(true);
    expect((await guard.stats()).keys[0].inFlight).toBe(0);
  });

  it('frees the slot when the network fails or another interceptor throws', async () => {
    const { api, mock, clock, guard } = mockApi({ limits: { client: { concurrent: 1 } } });
    mock.reset();
    mock.onGet('/down').networkError();
    mock.onGet('/up').reply(200, 'ok');
    await expect(api.get('/down')).rejects.toThrow('Network Error');
    // A request interceptor registered after the guard that throws: the request never reaches the adapter.
    const id = api.interceptors.request.use(() => {
      throw new Error('interceptor exploded');
    });
    await expect(api.get('/up')).rejects.toThrow('interceptor exploded');
    api.interceptors.request.eject(id);
    const ok = track(api.get('/up'));
    await clock.advance(0);
    await ok.promise;
    expect(ok.value?.status).toBe(200);
    const stats = await guard.stats();
    expect(stats.keys[0].inFlight).toBe(0);
  });
});

describe('keys', () => {
  it('reads the token that is actually sent, whatever order the auth interceptor was registered in', async () => {
    for (const order of ['before', 'after'] as const) {
      const clock = new FakeClock();
      const store = new MemoryStore({ clock });
      const api = axios.create();
      const mock = new MockAdapter(api);
      mock.onAny().reply(200);
      const addAuth = () =>
        api.interceptors.request.use((config) => {
          config.headers.set('Authorization', `Bearer token-for-${config.url}`);
          return config;
        });
      if (order === 'before') addAuth();
      const guard = rateGuard(api, { clientId: `order-${order}`, store, limits: { token: { requests: 5, perMs: 1000 } } });
      if (order === 'after') addAuth();
      await api.get('/u1');
      await api.get('/u2');
      const keys = (await guard.stats()).keys.filter((k) => k.level === 'token');
      expect(keys).toHaveLength(2);
    }
  });

  it('never lets a raw token into keys, stats, events or errors', async () => {
    const secret = 'sk_live_SUPER_SECRET_TOKEN_123456';
    const events: unknown[] = [];
    const { api, mock, clock, guard } = mockApi({
      maxRetries: 1,
      onRateLimited: (e) => events.push(e),
      onPause: (e) => events.push(e),
      onRetry: (e) => events.push(e),
      onLimitLearned: (e) => events.push(e),
    });
    mock.reset();
    mock.onAny().reply(429, { message: 'slow down' }, { 'Retry-After': '1', 'X-RateLimit-tokenLimit': '3' });
    const call = track(api.get('/x', { headers: { Authorization: `Bearer ${secret}` } }));
    await clock.runAll();
    await call.promise;
    const error = call.error as { key: string; message: string };
    const serialised = JSON.stringify({ events, stats: await guard.stats(), key: error.key, message: error.message });
    expect(serialised).not.toContain('SUPER_SECRET');
    expect(error.key).toMatch(/^app\|t:[0-9a-f]{16}$/);
    expect(events.length).toBeGreaterThan(3);
  });

  it('uses tokenKey(config) or the per-request token when given', async () => {
    const { api, clock, sent } = mockApi({
      limits: { token: { requests: 1, perMs: 1000 } },
      tokenKey: (config) => config.headers.get('X-Merchant') as string,
    });
    void api.get('/m1', { headers: { 'X-Merchant': 'm1' } });
    void api.get('/m1b', { headers: { 'X-Merchant': 'm1' } });
    void api.get('/m2', { headers: { 'X-Merchant': 'm2' }, rateGuard: { token: 'other' } });
    await clock.advance(0);
    expect(sent.map((s) => s.url)).toEqual(['/m1', '/m2']);
  });

  it('shares the app limit between every instance with the same clientId and store', async () => {
    const clock = new FakeClock();
    const store = new MemoryStore({ clock });
    const a = mockApi({ clientId: 'shared', limits: { client: { requests: 2, perMs: 1000 } } }, { clock, store });
    const b = mockApi({ clientId: 'shared', limits: { client: { requests: 2, perMs: 1000 } } }, { clock, store });
    void a.api.get('/a1');
    void a.api.get('/a2');
    void b.api.get('/b1');
    await clock.advance(0);
    expect(a.sent.length + b.sent.length).toBe(2);
    await clock.advance(1010);
    expect(b.sent).toHaveLength(1);
  });

  it('uses one process-wide store by default, so instances share without configuration', () => {
    const one = rateGuard(axios.create(), { clientId: 'x' });
    const two = rateGuard(axios.create(), { clientId: 'x' });
    expect(one.store).toBe(two.store);
  });
});
