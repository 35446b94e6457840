import { pacedLimits, PROBE_FACTOR } from '../src/rate-learner';
import { RetryAfterTooLongError } from '../src/errors';
import type { LimitLearnedEvent, PauseEvent } from '../src/events';
import { mockApi, track } from './helpers/mock-api';

/** A mock server that answers every request with `headers(n)` for the n-th request (from 1). */
function serve(setup: ReturnType<typeof mockApi>, headers: (n: number) => Record<string, string>, status: (n: number) => number = () => 200) {
  const { mock, clock, sent } = setup;
  mock.reset();
  let n = 0;
  mock.onAny().reply((config) => {
    n++;
    sent.push({ t: clock.now(), url: config.url ?? '' });
    return [status(n), 'ok', headers(n)];
  });
}

describe('limits advertised in headers', () => {
  it('adopts an IETF policy from the first answer and keeps to it, with no limit configured', async () => {
    const learned: LimitLearnedEvent[] = [];
    const setup = mockApi({ onLimitLearned: (e) => learned.push(e), windowMarginMs: 0 });
    serve(setup, () => ({ 'RateLimit-Policy': '"default";q=3;w=1' }));
    const calls = Array.from({ length: 7 }, (_, i) => track(setup.api.get(`/p/${i}`)));
    await setup.clock.advance(999);
    expect(setup.sent).toHaveLength(3);
    await setup.clock.advance(1);
    expect(setup.sent).toHaveLength(6);
    await setup.clock.runAll();
    await Promise.all(calls.map((c) => c.promise));
    expect(learned[0]).toMatchObject({ level: 'client', kind: 'rate', named: 3, from: 'headers', learned: { requests: 3, perMs: 1000 } });
    const [app] = (await setup.guard.stats()).keys;
    expect(app.effective).toMatchObject({ requests: 3, perMs: 1000 });
  });

  it('keeps the stricter of the configured and the advertised limit', async () => {
    const setup = mockApi({ limits: { client: { requests: 2, perMs: 1000 } }, windowMarginMs: 0 });
    serve(setup, () => ({ 'RateLimit-Policy': '10;w=1' }));
    Array.from({ length: 5 }, (_, i) => track(setup.api.get(`/s/${i}`)));
    await setup.clock.advance(999);
    expect(setup.sent).toHaveLength(2);
    const [app] = (await setup.guard.stats()).keys;
    expect(app.effective.requests).toBe(2);
    expect(app.learned).toMatchObject({ requests: 10 });
  });

  it('enforces both windows when the advertised one differs (50/s configured, 4 per minute advertised)', async () => {
    const setup = mockApi({ limits: { client: { requests: 50, perMs: 1000 } } });
    serve(setup, () => ({ 'RateLimit-Policy': '"minute";q=4;w=60' }));
    await setup.api.get('/m/first');
    Array.from({ length: 5 }, (_, i) => track(setup.api.get(`/m/${i}`)));
    await setup.clock.advance(59_000);
    expect(setup.sent).toHaveLength(4);
    await setup.clock.advance(2000);
    expect(setup.sent).toHaveLength(6);
  });

  it('holds the key until the reset when remaining is 0, without waiting for a 429', async () => {
    const pauses: PauseEvent[] = [];
    const setup = mockApi({ onPause: (e) => pauses.push(e), adaptive: false });
    serve(setup, (n) => ({ 'X-RateLimit-Limit': '5', 'X-RateLimit-Remaining': n === 1 ? '0' : '4', 'X-RateLimit-Reset': '2' }));
    await setup.api.get('/first');
    const next = track(setup.api.get('/next'));
    await setup.clock.advance(1999);
    expect(setup.sent).toHaveLength(1);
    await setup.clock.advance(1);
    await next.promise;
    expect(setup.sent.map((s) => s.t)).toEqual([0, 2000]);
    expect(pauses).toEqual([expect.objectContaining({ source: 'quota', pauseMs: 2000 })]);
  });

  it('fails a request at once when a spent quota holds the key longer than maxRetryAfterMs, as a long Retry-After does', async () => {
    const setup = mockApi({ adaptive: false, maxRetryAfterMs: 60_000 });
    serve(setup, () => ({ 'X-RateLimit-Limit': '5', 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': '600' }));
    await setup.api.get('/first');
    const next = track(setup.api.get('/next'));
    await setup.clock.advance(0);
    expect(next.settled).toBe(true);
    expect(next.error).toBeInstanceOf(RetryAfterTooLongError);
    expect(setup.sent).toHaveLength(1);
    // A request that may wait that long waits for the reset.
    const patient = track(setup.api.get('/patient', { rateGuard: { maxRetryAfterMs: 700_000 } }));
    await setup.clock.advance(599_999);
    expect(patient.settled).toBe(false);
    await setup.clock.advance(1);
    await patient.promise;
    expect(patient.value?.status).toBe(200);
  });

  it('spreads a low remainder over the time to the reset instead of spending it at once', async () => {
    const setup = mockApi({ adaptive: false });
    // 100 per window, 2 left, 10 s to the reset: one every 5 s.
    serve(setup, (n): Record<string, string> => (n === 1 ? { 'x-ratelimit-limit': '100', 'x-ratelimit-remaining': '2', 'x-ratelimit-reset': '10' } : {}));
    await setup.api.get('/first');
    Array.from({ length: 3 }, (_, i) => track(setup.api.get(`/later/${i}`)));
    await setup.clock.advance(10_000);
    expect(setup.sent.map((s) => s.t)).toEqual([0, 0, 5000, 10_000]);
  });

  it('ignores unusable headers with a debug event', async () => {
    const debug: unknown[] = [];
    const setup = mockApi({ onDebug: (e) => debug.push(e) });
    serve(setup, () => ({ 'x-ratelimit-limit': '0', 'x-ratelimit-remaining': 'lots' }));
    await setup.api.get('/x');
    expect(debug).toEqual([expect.objectContaining({ values: ['x-ratelimit-limit: 0', 'x-ratelimit-remaining: lots'] })]);
    const [app] = (await setup.guard.stats()).keys;
    expect(app.learned).toEqual({});
  });
});

describe('AIMD when nothing is configured or said', () => {
  it('starts with one request in flight, doubles per round trip to 2, then grows by one', async () => {
    const setup = mockApi();
    const { mock, clock, api, guard } = setup;
    mock.reset();
    const inFlightSeen: number[] = [];
    let inFlight = 0;
    mock.onAny().reply(async () => {
      inFlight++;
      inFlightSeen.push(inFlight);
      await new Promise((resolve) => clock.setTimer(() => resolve(undefined), 100));
      inFlight--;
      return [200, 'ok'];
    });
    const calls = Array.from({ length: 40 }, (_, i) => track(api.get(`/a/${i}`)));
    const peaks: number[] = [];
    for (let round = 0; round < 6; round++) {
      await clock.advance(100);
      peaks.push(Math.max(...inFlightSeen.splice(0)));
    }
    // 1 then 2 (slow start), then one more per round trip (the first +1 accrues over a round at 2).
    expect(peaks).toEqual([2, 2, 3, 4, 5, 6]);
    await clock.runAll();
    await Promise.all(calls.map((c) => c.promise));
    const [app] = (await guard.stats()).keys;
    expect(app.effective.concurrent).toBeGreaterThanOrEqual(7);
  });

  it('halves concurrency and probes at PROBE_FACTOR times the rate accepted before a 429 that names no limit', async () => {
    const learned: LimitLearnedEvent[] = [];
    const setup = mockApi({ onLimitLearned: (e) => learned.push(e) });
    const { mock, clock, api, guard } = setup;
    mock.reset();
    let n = 0;
    mock.onAny().reply(() => (++n === 12 ? [429, 'slow down', { 'Retry-After': '1' }] : [200, 'ok']));
    const calls = Array.from({ length: 30 }, (_, i) => track(api.get(`/b/${i}`)));
    await clock.runAll();
    await Promise.all(calls.map((c) => c.promise));
    expect(calls.every((c) => c.value?.status === 200)).toBe(true);
    expect(learned).toHaveLength(1);
    expect(learned[0]).toMatchObject({ from: 'throttle' });
    // Paced at PROBE_FACTOR x what was accepted in the second before the 429: 11 went out before it, a few
    // of them still in flight and not known to be accepted.
    const flashes = [7, 8, 9, 10, 11].filter((flash) => {
      const paced = pacedLimits(PROBE_FACTOR * flash);
      return paced.requests === learned[0].learned.requests && Math.abs(paced.perMs - learned[0].learned.perMs!) < 1e-9;
    });
    expect(flashes).toHaveLength(1);
    const [app] = (await guard.stats()).keys;
    expect(app.effective.concurrent).toBeGreaterThanOrEqual(1);
    expect(app.throttled).toBe(1);
  });

  it('stops guessing a limit once the server names it', async () => {
    const setup = mockApi();
    serve(setup, () => ({ 'Retry-After': '1', 'X-RateLimit-crossTokenConcurrentLimit': '3' }), (n) => (n === 5 ? 429 : 200));
    const calls = Array.from({ length: 12 }, (_, i) => track(setup.api.get(`/c/${i}`)));
    await setup.clock.runAll();
    await Promise.all(calls.map((c) => c.promise));
    const [app] = (await setup.guard.stats()).keys;
    expect(app.learned.concurrent).toBe(3);
    expect(app.effective.concurrent).toBe(3);
  });
});
