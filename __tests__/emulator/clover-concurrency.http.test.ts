import { bearer, send, useEmulators } from './helpers.js';

// Real server, real time. Each burst below is a handful of local requests that take a few ms; the windows,
// latencies and pauses they must fit in are ~1 s, so the outcomes do not depend on machine speed.

const { agent, start: clover } = useEmulators('clover');

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
