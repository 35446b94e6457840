import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { startEmulator, tokenLabel, type EmulatorOptions, type RunningEmulator } from '../../emulator/index.js';
import { bearer, bruteForceMaxInWindow, expectedByRateRules, send, sleep, sleepUntil } from './helpers.js';

// Real server, real time. Each burst below is a handful of local requests that take a few ms; the windows,
// latencies and pauses they must fit in are ~1 s, so the outcomes do not depend on machine speed.

const agent = new http.Agent({ keepAlive: true });
const running: RunningEmulator[] = [];

async function clover(options: Omit<EmulatorOptions, 'vendor'>): Promise<RunningEmulator> {
  const emulator = await startEmulator({ vendor: 'clover', ...options });
  running.push(emulator);
  return emulator;
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.close()));
});
afterAll(() => agent.destroy());

describe('Clover emulator: rate windows', () => {
  it('limits per token and per app with the right X-RateLimit header and value', async () => {
    const emu = await clover({ windowMs: 1000, appRate: 4, tokenRate: 3, appConcurrent: null, tokenConcurrent: null, penalty: false });
    const A = bearer('token-A', 'app-1');
    const B = bearer('token-B', 'app-1');

    const statuses: number[] = [];
    let last;
    for (let i = 0; i < 5; i++) {
      last = await send(emu.url, `/v3/a/${i}`, { headers: A, agent });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(last!.headers['x-ratelimit-tokenlimit']).toBe('3');
    expect(last!.headers['retry-after']).toBe('1');
    expect(last!.headerNames).toEqual(expect.arrayContaining(['X-RateLimit-tokenLimit', 'retry-after']));
    expect(last!.json()).toEqual({ message: '429 Too Many Requests' });

    const b1 = await send(emu.url, '/v3/b/1', { headers: B, agent });
    const b2 = await send(emu.url, '/v3/b/2', { headers: B, agent });
    expect(b1.status).toBe(200); // 4th of the app
    expect(b2.status).toBe(429);
    expect(b2.headers['x-ratelimit-crosstokenlimit']).toBe('4');
    expect(b2.headers['x-ratelimit-tokenlimit']).toBeUndefined();

    // Once the window has passed every accepted stamp, both tokens are accepted again.
    await sleepUntil(b2.receivedAt + 1100);
    expect((await send(emu.url, '/v3/a/again', { headers: A, agent })).status).toBe(200);
    expect((await send(emu.url, '/v3/b/again', { headers: B, agent })).status).toBe(200);

    const stats = emu.stats();
    expect(stats).toMatchObject({ received: 9, accepted: 6, rejected429: 3, maxInWindowPerApp: 4, maxInWindowPerToken: 3 });
    expect(stats.rejectedByLimit).toMatchObject({ tokenLimit: 2, crossTokenLimit: 1 });
    expect(stats.byToken[tokenLabel('token-A')]).toMatchObject({ accepted: 4, rejected: 2, maxInAnyWindow: 3 });
    expect(stats.byToken[tokenLabel('token-B')]).toMatchObject({ accepted: 2, rejected: 1, maxInAnyWindow: 1 });
    expect(stats.byApp['app-1']).toMatchObject({ accepted: 6, rejected: 3, maxInAnyWindow: 4 });
    expect(stats.retryAfterSent).toEqual([1, 1, 1]);
  });

  it('decides every request of a steady stream exactly as the sliding-window rules say', async () => {
    const windowMs = 250;
    const emu = await clover({ windowMs, appRate: 5, tokenRate: 3, appConcurrent: null, tokenConcurrent: null, penalty: false });
    const started = performance.now();
    for (let i = 0; performance.now() - started < 1200; i++) {
      const token = i % 3 === 0 ? 'token-B' : 'token-A';
      await send(emu.url, `/stream/${i}`, { headers: bearer(token, 'app-s'), agent });
      await sleep(12);
    }

    const stats = emu.stats();
    const expected = expectedByRateRules(stats.timeline, { windowMs, appRate: 5, tokenRate: 3 });
    expect(stats.timeline.map((e) => ({ status: e.status, ...(e.limit ? { limit: e.limit } : {}) }))).toEqual(expected);
    // The stream must actually have hit the limits for this to mean anything.
    expect(stats.rejected429).toBeGreaterThan(0);
    expect(stats.accepted).toBeGreaterThan(10);

    const perApp = bruteForceMaxInWindow(stats.timeline, (e) => e.app, windowMs);
    const perToken = bruteForceMaxInWindow(stats.timeline, (e) => e.token, windowMs);
    expect(stats.byApp['app-s'].maxInAnyWindow).toBe(perApp['app-s']);
    expect(stats.byToken[tokenLabel('token-A')].maxInAnyWindow).toBe(perToken[tokenLabel('token-A')]);
    expect(stats.byToken[tokenLabel('token-B')].maxInAnyWindow).toBe(perToken[tokenLabel('token-B')]);
    expect(stats.maxInWindowPerApp).toBe(Math.max(...Object.values(perApp)));
    expect(stats.maxInWindowPerToken).toBe(Math.max(...Object.values(perToken)));
    expect(stats.maxInWindowPerApp).toBeLessThanOrEqual(5);
    expect(stats.maxInWindowPerToken).toBeLessThanOrEqual(3);
  });

  it('reports the true sliding maximum of accepted requests when nothing is limited', async () => {
    const windowMs = 200;
    const emu = await clover({ windowMs, appRate: null, tokenRate: null, appConcurrent: null, tokenConcurrent: null });
    // Uneven traffic: bursts of different sizes separated by pauses of different lengths.
    for (const [burst, pause] of [[3, 120], [6, 40], [2, 260], [4, 10], [1, 0]] as const) {
      await Promise.all(Array.from({ length: burst }, (_, i) => send(emu.url, `/u/${burst}/${i}`, { headers: bearer('t', 'app-u'), agent })));
      await sleep(pause);
    }
    const stats = emu.stats();
    expect(stats.accepted).toBe(16);
    expect(stats.maxInWindowPerApp).toBe(bruteForceMaxInWindow(stats.timeline, (e) => e.app, windowMs)['app-u']);
    expect(stats.maxInWindowPerApp).toBeGreaterThanOrEqual(6);
  });
});

describe('Clover emulator: concurrency', () => {
  it('allows 5 in flight per token and names tokenConcurrentLimit for the rest', async () => {
    const emu = await clover({ latencyMs: 1000, appRate: null, tokenRate: null, penalty: false });
    const results = await Promise.all(
      Array.from({ length: 7 }, (_, i) => send(emu.url, `/c/${i}`, { headers: bearer('tok', 'app-c'), agent })),
    );
    const rejected = results.filter((r) => r.status === 429);
    expect(results.filter((r) => r.status === 200)).toHaveLength(5);
    expect(rejected).toHaveLength(2);
    for (const r of rejected) {
      expect(r.headers['x-ratelimit-tokenconcurrentlimit']).toBe('5');
      expect(r.headers['retry-after']).toBe('1');
    }
    // Rejections are answered at once; the accepted ones were held for the latency.
    expect(Math.max(...rejected.map((r) => r.receivedAt))).toBeLessThan(Math.min(...results.filter((r) => r.status === 200).map((r) => r.receivedAt)));

    const stats = emu.stats();
    expect(stats.rejectedByLimit.tokenConcurrentLimit).toBe(2);
    // Every arrival counts while in flight: 5 held plus the rejected one(s) being answered.
    expect(stats.maxInFlightPerToken).toBeGreaterThanOrEqual(6);
    expect(stats.maxInFlightPerToken).toBeLessThanOrEqual(7);

    // All slots are free again once the responses are back.
    expect((await send(emu.url, '/c/after', { headers: bearer('tok', 'app-c'), agent })).status).toBe(200);
  });

  it('allows 10 in flight per app across tokens and names crossTokenConcurrentLimit for the rest', async () => {
    const emu = await clover({ latencyMs: 1000, appRate: null, tokenRate: null, penalty: false });
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => send(emu.url, `/x/${i}`, { headers: bearer(`tok-${i % 3}`, 'app-x'), agent })),
    );
    const rejected = results.filter((r) => r.status === 429);
    expect(results.filter((r) => r.status === 200)).toHaveLength(10);
    expect(rejected).toHaveLength(2);
    for (const r of rejected) expect(r.headers['x-ratelimit-crosstokenconcurrentlimit']).toBe('10');

    const stats = emu.stats();
    expect(stats.maxInFlightPerApp).toBeGreaterThanOrEqual(11);
    expect(stats.maxInFlightPerApp).toBeLessThanOrEqual(12);
    expect(stats.maxInFlightPerToken).toBeLessThanOrEqual(4);
    expect(stats.byApp['app-x']).toMatchObject({ accepted: 10, rejected: 2 });
  });

  it('counts a well-behaved client (one at a time) as never more than one in flight', async () => {
    const emu = await clover({ latencyMs: 30 });
    for (let i = 0; i < 5; i++) await send(emu.url, `/seq/${i}`, { headers: bearer('t', 'app-q'), agent });
    expect(emu.stats()).toMatchObject({ accepted: 5, maxInFlightPerApp: 1, maxInFlightPerToken: 1 });
  });
});

describe('Clover emulator: pause and penalty', () => {
  it('extends the pause when the app sends inside it, and counts arrivedDuringPause', async () => {
    // Retry-After 2 s: the checks below sit ~1 s from each pause boundary.
    const emu = await clover({ windowMs: 300, appRate: 2, tokenRate: null, appConcurrent: null, tokenConcurrent: null, retryAfterSec: 2 });
    const headers = bearer('t1', 'app-p');
    expect((await send(emu.url, '/p/1', { headers, agent })).status).toBe(200);
    expect((await send(emu.url, '/p/2', { headers, agent })).status).toBe(200);
    const first429 = await send(emu.url, '/p/3', { headers, agent });
    expect(first429.status).toBe(429);
    expect(first429.headers['retry-after']).toBe('2');

    // 1 s later: far outside the 300 ms window, inside the 2 s pause. Another token of the same app.
    await sleepUntil(first429.receivedAt + 1000);
    const penalized = await send(emu.url, '/p/4', { headers: bearer('t2', 'app-p'), agent });
    expect(penalized.status).toBe(429);
    expect(penalized.headers['x-ratelimit-crosstokenlimit']).toBe('2'); // names the limit that caused the pause
    expect(penalized.headers['retry-after']).toBe('2');

    // After the original pause would have ended, but inside the extended one.
    await sleepUntil(first429.receivedAt + 2100);
    const stillPaused = await send(emu.url, '/p/5', { headers, agent });
    expect(stillPaused.status).toBe(429);

    await sleepUntil(stillPaused.receivedAt + 2100);
    expect((await send(emu.url, '/p/6', { headers, agent })).status).toBe(200);

    const stats = emu.stats();
    const [, , t3, t4, t5, t6] = stats.timeline;
    expect(t5.t - t3.t).toBeGreaterThanOrEqual(2000); // the original pause was over...
    expect(t5.t - t4.t).toBeLessThan(2000); // ...but the penalty had moved its end
    expect(stats.timeline.map((e) => e.duringPause)).toEqual([false, false, false, true, true, false]);
    expect(stats.arrivedDuringPause).toBe(2);
    expect(stats.byApp['app-p']).toMatchObject({ accepted: 3, rejected: 3, arrivedDuringPause: 2 });
    expect(stats.byToken[tokenLabel('t1')].arrivedDuringPause).toBe(0); // the pause was the app's
    expect(t6.status).toBe(200);
    expect(stats.rejectedByLimit.crossTokenLimit).toBe(3);
  });

  it('a token pause stops that token only', async () => {
    const emu = await clover({ appRate: null, tokenRate: 1, windowMs: 200 });
    const a = bearer('tok-a', 'app-t');
    expect((await send(emu.url, '/t/1', { headers: a, agent })).status).toBe(200);
    const limited = await send(emu.url, '/t/2', { headers: a, agent });
    expect(limited.headers['x-ratelimit-tokenlimit']).toBe('1');
    expect((await send(emu.url, '/t/3', { headers: bearer('tok-b', 'app-t'), agent })).status).toBe(200);
    const again = await send(emu.url, '/t/4', { headers: a, agent });
    expect(again.status).toBe(429);
    expect(again.headers['x-ratelimit-tokenlimit']).toBe('1');

    const stats = emu.stats();
    expect(stats.byToken[tokenLabel('tok-a')].arrivedDuringPause).toBe(1);
    expect(stats.byApp['app-t'].arrivedDuringPause).toBe(0);
    expect(stats.timeline.map((e) => e.duringPause)).toEqual([false, false, false, true]);
  });
});
