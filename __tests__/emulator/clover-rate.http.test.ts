import { performance } from 'node:perf_hooks';
import { tokenLabel } from '../../emulator/index.js';
import { bearer, bruteForceMaxInWindow, expectedByRateRules, send, sleep, sleepUntil, useEmulators } from './helpers.js';

// Real server, real time. Each burst below is a handful of local requests that take a few ms; the windows,
// latencies and pauses they must fit in are ~1 s, so the outcomes do not depend on machine speed.

const { agent, start: clover } = useEmulators('clover');

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
