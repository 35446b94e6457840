import axios, { AxiosError } from 'axios';
import { Readable } from 'node:stream';
import {
  isRateLimitError,
  NotReplayableError,
  RateLimitError,
  RetriesExhaustedError,
  RetryAfterTooLongError,
} from '../src/errors';
import type { PauseEvent, RetryEvent } from '../src/events';
import { mockApi, track } from './helpers/mock-api';

const CLOVER_TOKEN_429 = { 'retry-after': '2', 'X-RateLimit-tokenLimit': '16' };

describe('on a 429', () => {
  it('pauses every queued and new request of the throttled key, then replays the throttled one first', async () => {
    const pauses: PauseEvent[] = [];
    const { api, mock, clock, sent, guard } = mockApi({ onPause: (e) => pauses.push(e) });
    mock.reset();
    let first = true;
    mock.onAny().reply((config) => {
      sent.push({ t: clock.now(), url: config.url ?? '', auth: String(config.headers?.Authorization) });
      if (first) {
        first = false;
        return [429, { message: '429 Too Many Requests' }, CLOVER_TOKEN_429];
      }
      return [200, 'ok'];
    });
    const auth = { headers: { Authorization: 'Bearer T1' } };
    const throttled = track(api.get('/first', auth));
    await clock.advance(0);
    const later = [track(api.get('/second', auth)), track(api.get('/third', auth))];
    const otherToken = track(api.get('/other', { headers: { Authorization: 'Bearer T2' } }));
    await clock.advance(1999);
    // Only T1 is paused (Clover named the token limit): T2 goes, T1's requests wait.
    expect(sent.map((s) => s.url)).toEqual(['/first', '/other']);
    await clock.advance(1);
    // The replay goes first, alone (a probe), and the rest follow its answer.
    expect(sent.map((s) => s.url)).toEqual(['/first', '/other', '/first', '/second', '/third']);
    await Promise.all([throttled, ...later, otherToken].map((c) => c.promise));
    expect(throttled.value?.status).toBe(200);
    expect(pauses).toHaveLength(1);
    expect(pauses[0]).toMatchObject({ level: 'token', pauseMs: 2000, source: 'retry-after', strikes: 1 });
    const tokenKey = (await guard.stats()).keys.find((k) => k.key === pauses[0].key);
    expect(tokenKey?.learned).toEqual({ requests: 16 });
    expect(tokenKey?.throttled).toBe(1);
  });

  it('pauses the whole app when the app-wide limit was hit (Clover crossTokenLimit)', async () => {
    const { api, mock, clock, sent } = mockApi();
    mock.reset();
    mock.onGet('/hit').replyOnce(429, {}, { 'Retry-After': '1', 'X-RateLimit-crossTokenLimit': '50' });
    mock.onAny().reply((config) => {
      sent.push({ t: clock.now(), url: config.url ?? '' });
      return [200, 'ok'];
    });
    const hit = track(api.get('/hit', { headers: { Authorization: 'Bearer A' } }));
    await clock.advance(0);
    void api.get('/b', { headers: { Authorization: 'Bearer B' } });
    await clock.advance(999);
    expect(sent).toHaveLength(0);
    await clock.advance(1);
    await hit.promise;
    expect(sent.map((s) => s.url)).toEqual(['/hit', '/b']);
  });

  it('pauses the app when a 429 does not say which limit (GipoNext counts per client_id)', async () => {
    const { api, mock, clock, sent } = mockApi();
    mock.reset();
    mock.onGet('/hit').replyOnce(429, { error: 'rate_limit_exceeded', message: 'Too many requests.' }, { 'Retry-After': '30' });
    mock.onAny().reply((config) => {
      sent.push({ t: clock.now(), url: config.url ?? '' });
      return [200, 'ok'];
    });
    void api.get('/hit', { headers: { Authorization: 'Bearer A' } });
    await clock.advance(0);
    void api.get('/b', { headers: { Authorization: 'Bearer B' } });
    await clock.advance(29_999);
    expect(sent).toHaveLength(0);
    await clock.advance(1);
    expect(sent.map((s) => s.url)).toEqual(['/hit', '/b']);
  });

  it('reads the Genesys body when Retry-After is missing', async () => {
    const { api, mock, clock, sent } = mockApi();
    mock.reset();
    mock.onGet('/g').replyOnce(429, {
      message: 'Rate limit exceeded the maximum. Retry the request in [42] seconds',
      code: 'too.many.requests.retry.after',
      status: 429,
    });
    mock.onAny().reply((config) => {
      sent.push({ t: clock.now(), url: config.url ?? '' });
      return [200, 'ok'];
    });
    const call = track(api.get('/g'));
    await clock.advance(41_999);
    expect(sent).toHaveLength(0);
    await clock.advance(1);
    await call.promise;
    expect(sent[0].t).toBe(42_000);
  });

  it('backs off exponentially from 1 s when the server gives no delay, and resets after a success', async () => {
    const retries: RetryEvent[] = [];
    // adaptive off: this is about the backoff alone, not about the rate AIMD would learn from these 429s.
    const { api, mock, clock } = mockApi({ onRetry: (e) => retries.push(e), adaptive: false });
    mock.reset();
    const times: number[] = [];
    let n = 0;
    mock.onAny().reply(() => {
      times.push(clock.now());
      return ++n <= 3 ? [429, 'slow down'] : [200, 'ok'];
    });
    const call = track(api.get('/x'));
    await clock.runAll();
    await call.promise;
    expect(times).toEqual([0, 1000, 3000, 7000]);
    expect(retries.map((r) => r.delayMs)).toEqual([1000, 2000, 4000]);
  });

  it('adds jitter to every pause, only ever lengthening it', async () => {
    const { api, mock, clock } = mockApi({ jitter: { ratio: 0.5, maxMs: 1000 } });
    mock.reset();
    const times: number[] = [];
    mock.onAny().reply(() => {
      times.push(clock.now());
      return times.length === 1 ? [429, '', { 'Retry-After': '1' }] : [200, 'ok'];
    });
    await Promise.all([api.get('/x'), clock.runAll()]);
    expect(times[1]).toBeGreaterThan(1000);
    expect(times[1]).toBeLessThanOrEqual(1500);
  });

  it('arms one timer for a paused key, however many requests wait on it', async () => {
    const { api, mock, clock, guard } = mockApi();
    mock.reset();
    mock.onGet('/hit').replyOnce(429, {}, { 'Retry-After': '10' });
    mock.onAny().reply(200);
    void api.get('/hit');
    await clock.advance(0);
    const waiting = Array.from({ length: 200 }, (_, i) => track(api.get(`/w/${i}`)));
    await clock.advance(100);
    expect((await guard.stats()).keys[0].queued).toBe(201);
    expect(clock.pendingTimers(true)).toBe(1);
    await clock.runAll();
    await Promise.all(waiting.map((w) => w.promise));
    expect(waiting.every((w) => w.value?.status === 200)).toBe(true);
    expect(clock.pendingTimers(true)).toBe(0);
  });

  it('does not escalate the backoff for 429s of requests sent before the pause began', async () => {
    const pauses: PauseEvent[] = [];
    const { api, mock, clock } = mockApi({ limits: { client: { concurrent: 10 } }, onPause: (e) => pauses.push(e) });
    mock.reset();
    let n = 0;
    mock.onAny().reply(() => (++n <= 5 ? [429, 'busy'] : [200, 'ok']));
    const calls = Array.from({ length: 5 }, (_, i) => track(api.get(`/c/${i}`)));
    await clock.runAll();
    await Promise.all(calls.map((c) => c.promise));
    expect(calls.every((c) => c.value?.status === 200)).toBe(true);
    expect(pauses).toHaveLength(1);
    expect(pauses[0].pauseMs).toBe(1000);
  });
});

describe('limits of patience', () => {
  it('fails with RetriesExhaustedError after maxRetries replays, with the 429 as cause', async () => {
    const { api, mock, clock } = mockApi({ maxRetries: 3, adaptive: false });
    mock.reset();
    mock.onAny().reply(429, 'no', { 'Retry-After': '1' });
    const call = track(api.get('/x'));
    await clock.runAll();
    await call.promise;
    const error = call.error as RetriesExhaustedError;
    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect(error).toBeInstanceOf(RateLimitError);
    expect(isRateLimitError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'ERR_RATE_GUARD_RETRIES_EXHAUSTED', attempts: 4, key: 'app', level: 'client', maxRetries: 3 });
    expect(error.waitedMs).toBe(3000);
    expect(axios.isAxiosError(error.cause)).toBe(true);
    expect((error.cause as AxiosError).response?.status).toBe(429);
  });

  it('honours a per-request maxRetries of 0', async () => {
    const { api, mock, clock } = mockApi();
    mock.reset();
    mock.onAny().reply(429, 'no', { 'Retry-After': '1' });
    const call = track(api.get('/x', { rateGuard: { maxRetries: 0 } }));
    await clock.advance(0);
    await call.promise;
    expect(call.error).toBeInstanceOf(RetriesExhaustedError);
  });

  it('fails at once when Retry-After is longer than maxRetryAfterMs, and fails the waiters too', async () => {
    const { api, mock, clock } = mockApi({ maxRetryAfterMs: 60_000 });
    mock.reset();
    mock.onGet('/hit').replyOnce(429, '', { 'Retry-After': '3600' });
    mock.onAny().reply(200);
    const hit = track(api.get('/hit'));
    await clock.advance(0);
    await hit.promise;
    expect(hit.error).toBeInstanceOf(RetryAfterTooLongError);
    expect((hit.error as RetryAfterTooLongError).retryAfterMs).toBe(3_600_000);
    const next = track(api.get('/next'));
    await clock.advance(0);
    await next.promise;
    expect(next.error).toBeInstanceOf(RetryAfterTooLongError);
    expect(clock.pendingTimers(true)).toBe(0);
  });

  it("waits out a long Retry-After with onLongRetryAfter: 'wait'", async () => {
    const { api, mock, clock } = mockApi({ maxRetryAfterMs: 1000, onLongRetryAfter: 'wait' });
    mock.reset();
    mock.onGet('/hit').replyOnce(429, '', { 'Retry-After': '3600' });
    mock.onAny().reply(200);
    const hit = track(api.get('/hit'));
    await clock.advance(3_599_999);
    expect(hit.settled).toBe(false);
    await clock.advance(1);
    await hit.promise;
    expect(hit.value?.status).toBe(200);
  });

  it('replays POST by default, byte-identical, and not at all with retryNonIdempotent: false', async () => {
    const { api, mock, clock } = mockApi();
    mock.reset();
    const bodies: unknown[] = [];
    mock.onPost('/orders').reply((config) => {
      bodies.push(config.data);
      return bodies.length === 1 ? [429, '', { 'Retry-After': '1' }] : [201, 'created'];
    });
    const call = track(api.post('/orders', { item: 'coffee', qty: 2 }));
    await clock.runAll();
    await call.promise;
    expect(call.value?.status).toBe(201);
    expect(bodies).toEqual(['{"item":"coffee","qty":2}', '{"item":"coffee","qty":2}']);

    mock.reset();
    mock.onPost('/orders').reply(429, '', { 'Retry-After': '1' });
    const refused = track(api.post('/orders', { a: 1 }, { rateGuard: { retryNonIdempotent: false } }));
    await clock.runAll();
    await refused.promise;
    expect(refused.error).toBeInstanceOf(NotReplayableError);
    expect((refused.error as NotReplayableError).code).toBe('ERR_RATE_GUARD_NOT_REPLAYED');
  });

  it('refuses to replay a stream body instead of sending a corrupt retry', async () => {
    const { api, mock, clock } = mockApi();
    mock.reset();
    mock.onPut('/upload').reply(429, '', { 'Retry-After': '1' });
    const call = track(api.put('/upload', Readable.from(['chunk'])));
    await clock.runAll();
    await call.promise;
    expect(call.error).toBeInstanceOf(NotReplayableError);
    expect((call.error as NotReplayableError).code).toBe('ERR_RATE_GUARD_BODY_NOT_REPLAYABLE');
    expect((call.error as NotReplayableError).message).toMatch(/stream/);
  });

  it('returns the final 429 as a response when the user validateStatus accepts it', async () => {
    const { api, mock, clock } = mockApi({ maxRetries: 1 });
    mock.reset();
    mock.onAny().reply(429, 'no', { 'Retry-After': '1' });
    const call = track(api.get('/x', { validateStatus: () => true }));
    await clock.runAll();
    await call.promise;
    expect(call.value?.status).toBe(429);
  });

  it('ignores garbage headers (with a debug event) and backs off instead', async () => {
    const debug: unknown[] = [];
    const { api, mock, clock } = mockApi({ onDebug: (e) => debug.push(e), adaptive: false });
    mock.reset();
    const times: number[] = [];
    mock.onAny().reply(() => {
      times.push(clock.now());
      return times.length === 1 ? [429, '', { 'Retry-After': 'tomorrow-ish', 'X-RateLimit-tokenLimit': '-3' }] : [200, 'ok'];
    });
    await Promise.all([api.get('/x'), clock.runAll()]);
    expect(times).toEqual([0, 1000]);
    expect(debug).toEqual([expect.objectContaining({ values: ['retry-after: tomorrow-ish', 'x-ratelimit-tokenlimit: -3'] })]);
  });
});

describe('guard.resume()', () => {
  it('ends a pause the operator knows is wrong: waiting requests go at once', async () => {
    const { api, mock, clock, sent, guard } = mockApi({ onLongRetryAfter: 'wait' });
    mock.reset();
    mock.onGet('/hit').replyOnce(429, {}, { 'Retry-After': String(7 * 24 * 3600) });
    mock.onAny().reply((config) => {
      sent.push({ t: clock.now(), url: config.url ?? '' });
      return [200, 'ok'];
    });
    const hit = track(api.get('/hit'));
    await clock.advance(0);
    const waiting = track(api.get('/waiting'));
    await clock.advance(1000);
    expect(sent).toEqual([]);
    expect(await guard.resume()).toBe(1);
    await clock.advance(10);
    // The replay went at once; the next follows as the learned rate allows, not a week later.
    expect(sent[0]?.url).toBe('/hit');
    expect(sent[0]?.t).toBeLessThanOrEqual(1010);
    await clock.advance(5000);
    await Promise.all([hit.promise, waiting.promise]);
    expect([hit.value?.status, waiting.value?.status]).toEqual([200, 200]);
    expect((await guard.stats()).keys.every((k) => k.pausedForMs === 0)).toBe(true);
  });
});
