/**
 * Redis outages seen from the server the guard protects (issue 10): CLIENT PAUSE from another connection,
 * a redis-server frozen with SIGSTOP (a slow answer: the commands wait in the socket and all run at
 * SIGCONT), and SIGKILL with a restart on empty data. The vendor emulator counts what arrives, so "nothing
 * sent after a cancel", "no arrival during a pause", "never more than N per window or M in flight" and
 * "nothing lost" are judged by the server, not by the guard's own books.
 *
 * Every outage is short and timed by the server (CLIENT PAUSE's own timeout) or by this file, and every bound
 * is derived from the store's options: a decision waits on Redis at most `callTimeoutMs`, Redis is probed
 * every `probeIntervalMs` after a failed probe.
 */
import axios, { type AxiosInstance } from 'axios';
import { startEmulator, type EmulatorStats, type RunningEmulator } from '../../emulator';
import { rateGuard, type RateGuard } from '../../src/rate-guard';
import { RedisStore, RedisTimeoutError, type RedisFallbackEvent, type RedisRecoverEvent, type RedisStoreOptions } from '../../src/redis-store';
import type { AcquireResult, KeySpec } from '../../src/store';
import { CLIENT_KINDS, connect, type TestClient } from './helpers/clients';
import { RedisServer } from './helpers/redis-server';

jest.setTimeout(20_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

/** The store under test, also timing every acquire it answers asynchronously (a decision that went to Redis). */
class TimedRedisStore extends RedisStore {
  readonly acquireMs: number[] = [];

  override acquire(keys: readonly KeySpec[]): AcquireResult | Promise<AcquireResult> {
    const result = super.acquire(keys);
    if (!(result instanceof Promise)) return result;
    const startedAt = performance.now();
    const done = () => this.acquireMs.push(performance.now() - startedAt);
    result.then(done, done);
    return result;
  }
}

/** How one call ended, and when (ms since the test's t0). */
interface Settled {
  path: string;
  status: 'ok' | 'canceled' | 'error';
  error?: unknown;
  at: number;
}

/** Calls through the guard, each with its own AbortController and the time it settled. */
function caller(api: AxiosInstance, t0: () => number) {
  return (path: string) => {
    const controller = new AbortController();
    let abortedAt: number | undefined;
    const settled: Promise<Settled> = api.get(path, { signal: controller.signal }).then(
      (): Settled => ({ path, status: 'ok', at: t0() }),
      (error: unknown): Settled => ({ path, status: axios.isCancel(error) ? 'canceled' : 'error', error, at: t0() }),
    );
    return {
      path,
      settled,
      abort() {
        abortedAt = t0();
        controller.abort();
      },
      get abortedAt() {
        return abortedAt;
      },
    };
  };
}

/** The most arrivals (any status) the server saw inside one interval of `windowMs` (its windows are (t - W, t]). */
function maxArrivalsInWindow(stats: EmulatorStats, windowMs: number, app: string): number {
  const times = stats.timeline.filter((e) => e.app === app).map((e) => e.t);
  let max = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i] - times[j] >= windowMs) j++;
    max = Math.max(max, i - j + 1);
  }
  return max;
}

const arrivedPaths = (stats: EmulatorStats) => stats.timeline.map((e) => e.path);

type Outage = 'CLIENT PAUSE' | 'SIGSTOP';

/** The stores' probe interval: while Redis is down, it is tried again this long after a failed probe. */
const PROBE_INTERVAL_MS = 50;

describe.each(CLIENT_KINDS)('RedisStore with %s, through Redis outages', (kind) => {
  let server: RedisServer;
  let redis: TestClient;
  /** A connection of its own for CLIENT PAUSE and assertions, as an operator's would be. */
  let admin: TestClient;
  let pid: number;
  /** Set while this file holds redis-server stopped (SIGSTOP), with the timer that will resume it. */
  let frozen: NodeJS.Timeout | undefined;
  let store: TimedRedisStore | undefined;
  let emulator: RunningEmulator | undefined;
  const events: Array<'fallback' | 'recover'> = [];
  const fallbacks: RedisFallbackEvent[] = [];
  const recoveries: RedisRecoverEvent[] = [];
  const prefix = `outages-${kind}:`;

  beforeEach(async () => {
    server = await RedisServer.start();
    [redis, admin] = await Promise.all([connect(kind, server.port), connect(kind, server.port)]);
    const info = String(await admin.command(['INFO', 'server']));
    pid = Number(/process_id:(\d+)/.exec(info)?.[1]);
    events.length = 0;
    fallbacks.length = 0;
    recoveries.length = 0;
  });
  afterEach(async () => {
    if (frozen) thaw(); // a test that failed while Redis was stopped must not leave it so
    store?.close();
    store = undefined;
    await emulator?.close();
    emulator = undefined;
    await Promise.all([redis.close(), admin.close()]);
    await server.stop();
  });

  const make = (options: Partial<RedisStoreOptions> = {}) =>
    (store = new TimedRedisStore({
      client: redis.client,
      prefix,
      callTimeoutMs: 100,
      probeIntervalMs: PROBE_INTERVAL_MS,
      onFallback: (e) => {
        events.push('fallback');
        fallbacks.push(e);
      },
      onRecover: (e) => {
        events.push('recover');
        recoveries.push(e);
      },
      ...options,
    }));

  /** Redis stops answering for `ms`, then answers everything that waited, in order. */
  async function outage(how: Outage, ms: number): Promise<void> {
    if (how === 'CLIENT PAUSE') {
      await admin.command(['CLIENT', 'PAUSE', String(ms), 'ALL']);
      return;
    }
    process.kill(pid, 'SIGSTOP');
    frozen = setTimeout(thaw, ms);
  }

  function thaw(): void {
    clearTimeout(frozen);
    frozen = undefined;
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // already gone
    }
  }

  const leasesHeld = (id: string) => admin.command(['ZCARD', `${prefix}{${id}}:f`]).then(Number);

  function guarded(clientId: string, limits: { requests?: number; perMs?: number; concurrent?: number }, extra = {}): {
    api: AxiosInstance;
    guard: RateGuard;
  } {
    const api = axios.create({ baseURL: emulator!.url, headers: { 'x-client-id': clientId } });
    const guard = rateGuard(api, { clientId, store: store!, limits: { client: limits }, ...extra });
    return { api, guard };
  }

  it('settles every request of a burst through a CLIENT PAUSE, no decision waiting past callTimeoutMs, with one fallback and one recovery', async () => {
    const W = 500;
    const N = 10;
    const C = 3;
    const callTimeoutMs = 100;
    // Longer than a window: some decision of the burst (there is one at least every W while requests wait)
    // is stuck in it for more than callTimeoutMs, so the store must fall back, whatever the timing.
    const pauseMs = 700;
    emulator = await startEmulator({ vendor: 'clover', windowMs: W, appRate: N, tokenRate: null, appConcurrent: C, tokenConcurrent: null, latencyMs: 20 });
    const s = make({ callTimeoutMs });
    const { api } = guarded('app-pause', { requests: N, perMs: W, concurrent: C });
    await api.get('/warm-up'); // scripts loaded: each decision of the burst is one EVALSHA
    const t0 = Date.now();
    const call = caller(api, () => Date.now() - t0);
    const count = 30;
    const calls = Array.from({ length: count }, (_, i) => call(`/burst/${i}`));
    await sleep(40); // in the middle of the first window's starts
    await outage('CLIENT PAUSE', pauseMs);
    const results = await Promise.all(calls.map((c) => c.settled));
    await until(() => s.shared);

    const stats = emulator.stats();
    const doneMs = Math.max(...results.map((r) => r.at));
    console.log(
      `${kind}, CLIENT PAUSE ${pauseMs} ms in a burst of ${count}: all settled at ${doneMs} ms; ${events.join(' → ')}; ` +
        `slowest decision ${Math.max(...s.acquireMs).toFixed(0)} ms; server: ${stats.rejected429} 429s, ` +
        `max ${maxArrivalsInWindow(stats, W, 'app-pause')} arrivals per window (limit ${N}), max ${stats.maxInFlightPerApp} in flight (limit ${C})`,
    );
    // Nothing lost: every call answered, each request accepted exactly once.
    expect(results.filter((r) => r.status !== 'ok')).toEqual([]);
    expect(stats.accepted).toBe(count + 1);
    expect(Object.entries(stats.acceptedByPath).filter(([, n]) => n !== 1)).toEqual([]);
    // Nothing hangs on Redis: no decision waited for it longer than callTimeoutMs (+ timer slack), and the
    // burst ended within what its windows take (3 × W), the pause, and at most two of the server's 1 s
    // Retry-After pauses (+10 % jitter) for 429s at the switches.
    expect(Math.max(...s.acquireMs)).toBeLessThan(callTimeoutMs + 100);
    expect(doneMs).toBeLessThan(3 * W + pauseMs + 2 * 1100 + 1000);
    // No flapping: one outage, one fallback, one recovery, even with the probe's own calls stuck in the pause;
    // and back to Redis at the latest one probe (callTimeoutMs + probeIntervalMs) after the pause ended.
    expect(events).toEqual(['fallback', 'recover']);
    expect(fallbacks[0].error).toBeInstanceOf(RedisTimeoutError);
    expect(recoveries[0].downMs).toBeLessThan(pauseMs + callTimeoutMs + PROBE_INTERVAL_MS + 100);
    // In flight, at the fallback: the fallback store counts the requests Redis let start (the test below with
    // requests slower than callTimeoutMs checks it alone). At the recovery, requests of the fallback still in
    // flight are not counted in Redis (docs/redis.md); in this run the guard holds every request then (the
    // fallback's window is spent until its starts age out), so none overlap.
    expect(stats.maxInFlightPerApp).toBeLessThanOrEqual(C);
  });

  describe.each<Outage>(['CLIENT PAUSE', 'SIGSTOP'])('when Redis stops answering (%s)', (how) => {
    it('settles a request cancelled during the outage with CanceledError, and never sends it, not even once Redis answers again', async () => {
      const C = 2;
      const latencyMs = 200;
      const callTimeoutMs = 300; // long enough to cancel a request while its decision is stuck in Redis
      emulator = await startEmulator({ vendor: 'clover', windowMs: 1000, appRate: null, tokenRate: null, appConcurrent: C, tokenConcurrent: null, latencyMs });
      const s = make({ callTimeoutMs });
      const { api } = guarded('app-cancel', { concurrent: C });
      await api.get('/warm-up');
      const t0 = Date.now();
      const call = caller(api, () => Date.now() - t0);

      const held = [call('/held/0'), call('/held/1')]; // granted by Redis, in flight for 200 ms
      await sleep(30);
      const queued = [call('/queued/0'), call('/queued/1'), call('/queued/2')]; // refused (concurrency): waiting in the guard
      await sleep(30);
      await outage(how, 1000);
      // Waiting in the guard's queue: settled at once.
      queued[0].abort();
      queued[2].abort();
      // By now the queue has looked again (Redis said: in pollIntervalMs): its head's decision is stuck in Redis.
      await sleep(80);
      queued[1].abort();
      // Nobody waits now: new requests go straight to the store, and their decisions get stuck in Redis.
      const fresh = [call('/fresh/0'), call('/fresh/1'), call('/fresh/2'), call('/fresh/3')];
      await sleep(50);
      fresh[0].abort();
      fresh[2].abort();

      const cancelled = [...queued, fresh[0], fresh[2]];
      const outcomes = await Promise.all(cancelled.map((c) => c.settled));
      expect(outcomes.map((o) => o.status)).toEqual(cancelled.map(() => 'canceled'));
      const latency = (i: number) => outcomes[i].at - cancelled[i].abortedAt!;
      // A waiter is settled by the abort itself; a request whose first decision is stuck in Redis when it is
      // cancelled settles when that decision gives up, callTimeoutMs after it was asked at most.
      // (Bounds with room for a loaded machine's event loop: what matters is that neither waits for Redis.)
      for (const i of [0, 1, 2]) expect(latency(i)).toBeLessThan(callTimeoutMs);
      for (const i of [3, 4]) expect(latency(i)).toBeLessThan(callTimeoutMs + 250);

      await until(() => events.includes('recover'), 5000); // Redis answers again: late answers arrive
      // They really were stuck: five decisions gave up on Redis (the queue head's and the four fresh ones).
      expect(s.acquireMs.filter((ms) => ms >= callTimeoutMs - 5).length).toBeGreaterThanOrEqual(5);
      const after = [call('/after/0'), call('/after/1')];
      const rest = await Promise.all([...held, fresh[1], fresh[3], ...after].map((c) => c.settled));
      expect(rest.filter((r) => r.status !== 'ok')).toEqual([]);
      await sleep(200); // anything sent late would have arrived by now
      await until(async () => (await leasesHeld('app-cancel')) === 0, 1000);

      const paths = arrivedPaths(emulator.stats());
      console.log(
        `${kind}, ${how}: cancelled ${cancelled.map((c, i) => `${c.path} after ${latency(i)} ms`).join(', ')}; ${events.join(' → ')}`,
      );
      expect(paths.filter((p) => cancelled.some((c) => c.path === p))).toEqual([]);
      expect([...paths].sort()).toEqual(['/warm-up', '/held/0', '/held/1', '/fresh/1', '/fresh/3', '/after/0', '/after/1'].sort());
      expect(emulator.stats().maxInFlightPerApp).toBeLessThanOrEqual(C);
      expect(events).toEqual(['fallback', 'recover']);
    });
  });

  it('keeps a key paused for the rest of the Retry-After when Redis is killed during the pause and restarts empty', async () => {
    const retryAfterSec = 2;
    emulator = await startEmulator({
      vendor: 'clover',
      windowMs: 1000,
      appRate: 4,
      tokenRate: null,
      appConcurrent: null,
      tokenConcurrent: null,
      retryAfterSec,
      latencyMs: 10,
    });
    const s = make();
    const pauses: number[] = [];
    const { api } = guarded('app-429', { requests: 4, perMs: 1000 }, { jitter: { ratio: 0, maxMs: 0 }, onPause: () => pauses.push(Date.now()) });
    // Another client of the same app (not guarded) spends the window: the guard's next request gets a 429.
    const other = axios.create({ baseURL: emulator.url, headers: { 'x-client-id': 'app-429' } });
    await Promise.all([0, 1, 2, 3].map((i) => other.get(`/other/${i}`)));
    const call = caller(api, () => 0);
    const calls = [call('/paused/0')];
    await until(() => pauses.length === 1); // Redis and the process both hold the pause now
    await server.stop(); // SIGKILL: the pause stored in Redis is gone
    calls.push(call('/paused/1'), call('/paused/2')); // while Redis is down
    await server.start(); // same port, no data: Redis would let anything start
    await until(async () => (await admin.command(['EXISTS', `${prefix}{app-429}:h`]).catch(() => -1)) === 0); // Redis knows of no pause
    calls.push(call('/paused/3'), call('/paused/4'), call('/paused/5')); // Redis is back, and knows of no pause
    const results = await Promise.all(calls.map((c) => c.settled));

    const stats = emulator.stats();
    const throttledAt = stats.timeline.find((e) => e.status === 429)!.t;
    const guardArrivals = stats.timeline.filter((e) => e.path.startsWith('/paused/'));
    const resumedAt = Math.min(...guardArrivals.filter((e) => e.status === 200).map((e) => e.t));
    console.log(
      `${kind}: 429 at ${throttledAt.toFixed(0)} ms (Retry-After ${retryAfterSec} s), Redis killed and restarted during the pause; ` +
        `next arrival ${(resumedAt - throttledAt).toFixed(0)} ms after the 429; ${events.join(' → ') || 'no fallback'}`,
    );
    expect(results.filter((r) => r.status !== 'ok')).toEqual([]);
    expect(stats.rejected429).toBe(1);
    expect(stats.arrivedDuringPause).toBe(0);
    expect(guardArrivals.filter((e) => e.t > throttledAt && e.t < throttledAt + retryAfterSec * 1000)).toEqual([]);
    // Traffic resumes when the pause ends: a decision or two later (callTimeoutMs each, at most), not after a
    // lease TTL. (That one probe goes first is not kept across the restart: see the failing test below.)
    expect(resumedAt - throttledAt).toBeLessThan(retryAfterSec * 1000 + 500);
    expect(calls.every((c) => stats.acceptedByPath[c.path] === 1)).toBe(true);
    expect(events.filter((e) => e === 'fallback').length).toBeLessThanOrEqual(1);
  });

  it('hands back the grants Redis makes late after a SIGSTOP longer than callTimeoutMs: no slot leaks', async () => {
    const C = 3;
    const latencyMs = 150;
    const callTimeoutMs = 100;
    emulator = await startEmulator({ vendor: 'clover', windowMs: 1000, appRate: null, tokenRate: null, appConcurrent: C, tokenConcurrent: null, latencyMs });
    const s = make({ callTimeoutMs });
    const { api, guard } = guarded('app-slow', { concurrent: C });
    await api.get('/warm-up');
    const t0 = Date.now();
    const call = caller(api, () => Date.now() - t0);
    const frozenMs = 1500;
    let thawed = false;
    await outage('SIGSTOP', frozenMs);
    setTimeout(() => (thawed = true), frozenMs - 20);
    // Five decisions wait in Redis's socket; each gives up after callTimeoutMs and the fallback decides.
    const during = Array.from({ length: 5 }, (_, i) => call(`/during/${i}`));
    const settled = await Promise.all(during.map((c) => c.settled));
    expect(settled.filter((r) => r.status !== 'ok')).toEqual([]);
    expect(thawed).toBe(false); // all done while Redis was still frozen: nothing waited for it
    // One stuck decision (callTimeoutMs), then two rounds of C requests, locally (+ slack for a loaded machine).
    expect(Math.max(...settled.map((r) => r.at))).toBeLessThan(callTimeoutMs + 2 * latencyMs + 500);

    // SIGCONT: Redis runs the five stuck acquires in order and grants the first C of them, to nobody.
    await until(() => s.shared, 3000);
    await until(async () => (await leasesHeld('app-slow')) === 0, 1000);
    expect(s.heldLeases).toBe(0);
    expect((await guard.stats()).keys.map((k) => k.inFlight)).toEqual([0]);
    expect(s.fallbackStore.snapshot('app-slow').map((k) => k.inFlight)).toEqual([0]);

    // All C slots are free: C requests start together (a leaked slot would hold one back for leaseTtlMs).
    const startedAt = Date.now();
    const parallel = Array.from({ length: C }, (_, i) => call(`/after/${i}`));
    expect((await Promise.all(parallel.map((c) => c.settled))).map((r) => r.status)).toEqual(parallel.map(() => 'ok'));
    expect(Date.now() - startedAt).toBeLessThan(2 * latencyMs);
    const stats = emulator.stats();
    const arrivals = stats.timeline.filter((e) => e.path.startsWith('/after/')).map((e) => e.t);
    expect(Math.max(...arrivals) - Math.min(...arrivals)).toBeLessThan(latencyMs / 2); // in flight together
    expect(stats.maxInFlightPerApp).toBeLessThanOrEqual(C);
    expect(stats.rejected429).toBe(0);
    expect((await guard.stats()).keys.map((k) => k.inFlight)).toEqual([0]);
    expect(events).toEqual(['fallback', 'recover']);
    console.log(`${kind}, SIGSTOP ${frozenMs} ms: ${C} requests in parallel afterwards, arrivals ${(Math.max(...arrivals) - Math.min(...arrivals)).toFixed(1)} ms apart`);
  });

  /*
   * At the switches between Redis and the fallback store. Into the fallback: RedisStore.acquire counts every
   * grant of Redis in the fallback store too (MemoryStore.admit), so the fallback starts with the window and
   * the requests in flight it takes over. Back to Redis: the store is back only once it has written the
   * fallback's starts into Redis's windows (RedisStore.replayOutage), so Redis, even restarted empty, counts
   * them.
   */
  it('keeps to N per window when Redis dies right after a full window (the fallback knows that window)', async () => {
    const W = 1000;
    const N = 4;
    emulator = await startEmulator({ vendor: 'clover', windowMs: W, appRate: N, tokenRate: null, appConcurrent: null, tokenConcurrent: null, latencyMs: 10 });
    make();
    const { api } = guarded('app-window-down', { requests: N, perMs: W });
    const call = caller(api, () => 0);
    await Promise.all(Array.from({ length: N }, (_, i) => call(`/before/${i}`).settled)); // Redis's window is full
    await server.stop();
    const results = await Promise.all(Array.from({ length: N }, (_, i) => call(`/during/${i}`).settled));
    const stats = emulator.stats();
    console.log(`${kind}, Redis killed after a full window: max ${maxArrivalsInWindow(stats, W, 'app-window-down')} arrivals per ${W} ms (limit ${N}), ${stats.rejected429} 429s`);
    expect(results.filter((r) => r.status !== 'ok')).toEqual([]);
    expect(maxArrivalsInWindow(stats, W, 'app-window-down')).toBeLessThanOrEqual(N);
  });

  it('keeps to N per window when Redis comes back empty after the fallback let a full window start (Redis learns of it)', async () => {
    const W = 2000; // room for the restart of redis-server inside one window, even on a loaded machine
    const N = 4;
    emulator = await startEmulator({ vendor: 'clover', windowMs: W, appRate: N, tokenRate: null, appConcurrent: null, tokenConcurrent: null, latencyMs: 10 });
    const s = make();
    const { api } = guarded('app-window-up', { requests: N, perMs: W });
    const call = caller(api, () => 0);
    await server.stop();
    await Promise.all(Array.from({ length: N }, (_, i) => call(`/during/${i}`).settled)); // the fallback's window is full
    await server.start();
    await until(() => s.shared);
    const results = await Promise.all(Array.from({ length: N }, (_, i) => call(`/after/${i}`).settled));
    const stats = emulator.stats();
    console.log(`${kind}, Redis back after a full window in the fallback: max ${maxArrivalsInWindow(stats, W, 'app-window-up')} arrivals per ${W} ms (limit ${N}), ${stats.rejected429} 429s`);
    expect(results.filter((r) => r.status !== 'ok')).toEqual([]);
    expect(maxArrivalsInWindow(stats, W, 'app-window-up')).toBeLessThanOrEqual(N);
  });

  it('keeps to M in flight when Redis stops answering while its leases are in flight (the fallback counts them)', async () => {
    const C = 2;
    const latencyMs = 400; // longer than callTimeoutMs: Redis's requests are still in flight at the switch
    emulator = await startEmulator({ vendor: 'clover', windowMs: 1000, appRate: null, tokenRate: null, appConcurrent: C, tokenConcurrent: null, latencyMs });
    make({ callTimeoutMs: 100 });
    const { api } = guarded('app-in-flight', { concurrent: C });
    await api.get('/warm-up');
    const call = caller(api, () => 0);
    const calls = Array.from({ length: C }, (_, i) => call(`/held/${i}`));
    await sleep(50);
    await outage('CLIENT PAUSE', 600);
    calls.push(...Array.from({ length: C }, (_, i) => call(`/during/${i}`)));
    const results = await Promise.all(calls.map((c) => c.settled));
    const stats = emulator.stats();
    console.log(`${kind}, Redis paused with ${C} of its leases in flight: max ${stats.maxInFlightPerApp} in flight (limit ${C}), ${stats.rejected429} 429s`);
    expect(results.filter((r) => r.status !== 'ok')).toEqual([]);
    expect(stats.maxInFlightPerApp).toBeLessThanOrEqual(C);
  });

  /*
   * After a restart on empty data, what the process kept of a pause holds (the test above), and so do the
   * probe after it (RedisStore.acquire asks the fallback store's heldBack first) and what snapshot() reports.
   */
  it('sends one probe first when a pause ends, even if Redis restarted empty during the pause', async () => {
    const latencyMs = 100;
    emulator = await startEmulator({
      vendor: 'clover',
      windowMs: 1000,
      appRate: 4,
      tokenRate: null,
      appConcurrent: null,
      tokenConcurrent: null,
      retryAfterSec: 1,
      latencyMs,
    });
    make();
    const pauses: number[] = [];
    const { api } = guarded('app-probe', { requests: 4, perMs: 1000 }, { jitter: { ratio: 0, maxMs: 0 }, onPause: () => pauses.push(Date.now()) });
    const other = axios.create({ baseURL: emulator.url, headers: { 'x-client-id': 'app-probe' } });
    await Promise.all([0, 1, 2, 3].map((i) => other.get(`/other/${i}`)));
    const call = caller(api, () => 0);
    const calls = [call('/probe/0')];
    await until(() => pauses.length === 1);
    await server.stop();
    await server.start();
    calls.push(call('/probe/1'), call('/probe/2'), call('/probe/3'));
    expect((await Promise.all(calls.map((c) => c.settled))).map((r) => r.status)).toEqual(calls.map(() => 'ok'));
    const accepted = emulator
      .stats()
      .timeline.filter((e) => e.path.startsWith('/probe/') && e.status === 200)
      .map((e) => e.t)
      .sort((a, b) => a - b);
    console.log(`${kind}, after a restart during the pause: the second request arrived ${(accepted[1] - accepted[0]).toFixed(0)} ms after the first`);
    expect(accepted[1] - accepted[0]).toBeGreaterThanOrEqual(latencyMs - 10); // the rest follow the probe's answer
  });

  it('reports the pause it enforces in snapshot() (and so stats()) when Redis restarted empty during it', async () => {
    const s = make();
    const k: KeySpec = { id: 'app-stats', level: 'client', limits: {}, marginMs: 0 };
    const report = { backoff: { baseMs: 1000, maxMs: 60_000 }, jitter: { ratio: 0, maxMs: 0 }, random: 0 };
    await s.throttle(k, { ...report, sentAt: s.clock.now(), delayMs: 3000 });
    await server.stop();
    await server.start();
    await until(async () => (await redis.command(['PING']).catch(() => '')) === 'PONG'); // the store's connection is back
    expect(s.shared).toBe(true); // no call of the store failed: it uses Redis
    expect(await s.acquire([k])).toMatchObject({ ok: false, reason: 'paused' }); // the pause holds, from the fallback store
    const snapshot = await s.snapshot('app-stats');
    console.log(`${kind}, snapshot after a restart during a 3 s pause: ${JSON.stringify(snapshot)}`);
    expect(snapshot).toEqual([expect.objectContaining({ key: 'app-stats', pausedForMs: expect.any(Number) })]);
    expect(snapshot[0].pausedForMs).toBeGreaterThan(2000);
  });
});
