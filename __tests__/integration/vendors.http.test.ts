/**
 * End to end, real time, real HTTP on 127.0.0.1: the plugin against the vendor emulator. Every assertion
 * about what reached the server is made from the server's own counts.
 */
import { startEmulator, type RunningEmulator } from '../../emulator';
import { MemoryStore } from '../../src/memory-store';
import { burst, expectEachAcceptedOnce, guardedClient, lateArrivalsDuringPause } from './helpers';

jest.setTimeout(30_000);

let emulator: RunningEmulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

describe('Clover: four limits, penalty for early requests', () => {
  it('with the limits configured, completes a burst across tokens and two instances with no 429 and nothing lost', async () => {
    emulator = await startEmulator({
      vendor: 'clover',
      windowMs: 1000,
      appRate: 20,
      tokenRate: 8,
      appConcurrent: 6,
      tokenConcurrent: 3,
      latencyMs: 40,
    });
    const limits = { client: { requests: 20, perMs: 1000, concurrent: 6 }, token: { requests: 8, perMs: 1000, concurrent: 3 } };
    const store = new MemoryStore();
    // A 1.5% margin instead of the default 0.5%: client and server share one busy CI process here, whose
    // event-loop stalls are jitter no real link has. The benchmark measures the default.
    const one = guardedClient(emulator.url, { clientId: 'app-1', limits, windowMarginMs: 15 }, store);
    const two = guardedClient(emulator.url, { clientId: 'app-1', limits, windowMarginMs: 15 }, store);
    const { results, elapsedMs } = await burst([one.api, two.api], 60, 4);

    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const stats = emulator.stats();
    expect(stats.rejected429).toBe(0);
    expect(stats.arrivedDuringPause).toBe(0);
    expectEachAcceptedOnce(stats, 60);
    expect(stats.maxInWindowPerApp).toBeLessThanOrEqual(20);
    expect(stats.maxInWindowPerToken).toBeLessThanOrEqual(8);
    expect(stats.maxInFlightPerApp).toBeLessThanOrEqual(6);
    expect(stats.maxInFlightPerToken).toBeLessThanOrEqual(3);
    // 60 at 20 per second: the last 20 may start at 2 s. Reported, not asserted (benchmarks measure speed).
    console.log(`clover configured: 60 requests in ${Math.round(elapsedMs)} ms (ideal ≈ 2040 ms)`);
    const guardStats = await one.guard.stats();
    expect(guardStats.keys.every((k) => k.inFlight === 0 && k.queued === 0)).toBe(true);
  });

  it('with no limits configured, learns them from the 429s, pauses the named key and loses nothing', async () => {
    emulator = await startEmulator({ vendor: 'clover', windowMs: 1000, appRate: 20, tokenRate: 8, appConcurrent: 6, tokenConcurrent: 3, latencyMs: 40 });
    const learned: string[] = [];
    const client = guardedClient(emulator.url, {
      clientId: 'app-2',
      onLimitLearned: (e) => learned.push(`${e.level} ${e.kind} ${e.named}`),
    });
    const { results } = await burst([client.api], 40, 4);

    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const stats = emulator.stats();
    expectEachAcceptedOnce(stats, 40);
    // Arrivals during a pause only from requests already on the wire when the 429 was sent.
    expect(lateArrivalsDuringPause(stats.timeline)).toEqual([]);
    expect(learned.length).toBeGreaterThan(0);
    // Each limit a 429 named is learned where the server said it applies (a token's on the app key, for all).
    const keys = (await client.guard.stats()).keys;
    const app = keys.find((k) => k.level === 'client');
    const named = new Set(stats.timeline.filter((e) => e.status === 429).map((e) => e.limit));
    if (named.has('crossTokenConcurrentLimit')) expect(app?.learned).toMatchObject({ concurrent: 6 });
    if (named.has('crossTokenLimit')) expect(app?.learned).toMatchObject({ requests: 20 });
    expect(named.size).toBeGreaterThan(0);
    console.log(`clover unconfigured: 40 requests, ${stats.rejected429} 429s, learned ${[...new Set(learned)].join('; ')}`);
  });
});

describe('GipoNext: sliding window per client_id', () => {
  it('with the limit configured, never exceeds it in any window and gets no 429', async () => {
    emulator = await startEmulator({ vendor: 'giponext', windowMs: 500, appRate: 10 });
    const client = guardedClient(emulator.url, { clientId: 'gipo', limits: { client: { requests: 10, perMs: 500 } }, windowMarginMs: 10 });
    const { results, elapsedMs } = await burst([client.api], 40, 5);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const stats = emulator.stats();
    expect(stats.rejected429).toBe(0);
    expect(stats.maxInWindowPerApp).toBeLessThanOrEqual(10);
    expectEachAcceptedOnce(stats, 40);
    console.log(`giponext configured: 40 requests in ${Math.round(elapsedMs)} ms (ideal ≈ 1500 ms)`);
  });

  it('keeps the strictest limits when two instances of one client_id are configured differently', async () => {
    // A server limit of 10 per 500 ms; one team configured 5 (and 20 in flight), another 20 (and 2 in flight).
    emulator = await startEmulator({ vendor: 'giponext', windowMs: 500, appRate: 10 });
    const store = new MemoryStore();
    const cautious = guardedClient(emulator.url, { clientId: 'two-teams', limits: { client: { requests: 5, perMs: 500, concurrent: 20 } } }, store);
    const eager = guardedClient(emulator.url, { clientId: 'two-teams', limits: { client: { requests: 20, perMs: 500, concurrent: 2 } } }, store);
    const { results } = await burst([cautious.api, eager.api], 30, 3);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const stats = emulator.stats();
    expect(stats.maxInWindowPerApp).toBeLessThanOrEqual(5);
    expect(stats.maxInFlightPerApp).toBeLessThanOrEqual(2);
    expect(stats.rejected429).toBe(0);
    expectEachAcceptedOnce(stats, 30);
  });

  it('with no limit configured, pauses the whole app on its 429 body and replays everything', async () => {
    emulator = await startEmulator({ vendor: 'giponext', windowMs: 500, appRate: 10 });
    const client = guardedClient(emulator.url, { clientId: 'gipo-2' });
    const { results } = await burst([client.api], 25, 5);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const stats = emulator.stats();
    expectEachAcceptedOnce(stats, 25);
    expect(lateArrivalsDuringPause(stats.timeline)).toEqual([]);
    expect(stats.rejected429).toBeGreaterThan(0);
  });
});

describe('Genesys: normalized body, Retry-After sometimes missing', () => {
  it('waits the body’s "[N] seconds" when the header is missing, and loses nothing', async () => {
    // Every 429 without the header: which of them pause the key depends on timing (stale ones do not).
    emulator = await startEmulator({ vendor: 'genesys', windowMs: 500, tokenRate: 4, omitRetryAfterEvery: 1 });
    const pauses: string[] = [];
    const client = guardedClient(emulator.url, {
      clientId: 'genesys',
      unnamedLimitLevel: 'token',
      onPause: (e) => pauses.push(e.source),
    });
    const { results } = await burst([client.api], 16, 2);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const stats = emulator.stats();
    expectEachAcceptedOnce(stats, 16);
    expect(stats.retryAfterSent.length).toBeLessThan(stats.rejected429); // some 429s had no header
    expect(pauses).toContain('genesys-body');
    expect(lateArrivalsDuringPause(stats.timeline)).toEqual([]);
  });
});
