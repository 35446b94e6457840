/**
 * Redis down or slow: no request is lost and none hangs. By default the store limits locally (and says so
 * with onFallback / onRecover) until Redis answers again; with failClosed it rejects at once instead. The
 * server is really stopped (SIGKILL) and restarted on the same port in the middle of a run.
 */
import axios from 'axios';
import { startEmulator, type RunningEmulator } from '../../emulator';
import { rateGuard } from '../../src/rate-guard';
import {
  isRedisUnavailableError,
  RedisStore,
  RedisTimeoutError,
  type RedisFallbackEvent,
  type RedisRecoverEvent,
  type RedisStoreOptions,
} from '../../src/redis-store';
import type { AcquireResult, KeySpec, Lease } from '../../src/store';
import { CLIENT_KINDS, connect, type TestClient } from './helpers/clients';
import { RedisServer } from './helpers/redis-server';

jest.setTimeout(30_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

function granted(result: AcquireResult): Lease {
  if (!result.ok) throw new Error(`expected a grant, got ${JSON.stringify(result)}`);
  return result.lease;
}

const isShared = (lease: Lease) => (lease as { shared: boolean }).shared;

describe.each(CLIENT_KINDS)('RedisStore with %s, when Redis fails', (kind) => {
  let server: RedisServer;
  let redis: TestClient;
  let store: RedisStore | undefined;
  let emulator: RunningEmulator | undefined;
  const events: Array<['fallback', RedisFallbackEvent] | ['recover', RedisRecoverEvent]> = [];

  beforeEach(async () => {
    server = await RedisServer.start();
    redis = await connect(kind, server.port);
    events.length = 0;
  });
  afterEach(async () => {
    store?.close();
    store = undefined;
    await emulator?.close();
    emulator = undefined;
    await redis.close();
    await server.stop();
  });

  const make = (options: Partial<RedisStoreOptions> = {}) =>
    (store = new RedisStore({
      client: redis.client,
      prefix: `faults-${kind}:`,
      callTimeoutMs: 100,
      probeIntervalMs: 50,
      onFallback: (e) => events.push(['fallback', e]),
      onRecover: (e) => events.push(['recover', e]),
      ...options,
    }));

  it('does not flap while Redis is out of memory (PING answers, writes fail): one fallback, one recovery', async () => {
    const s = make();
    const k: KeySpec = { id: 'oom-app', level: 'client', limits: { concurrent: 5 }, marginMs: 0 };
    await redis.command(['CONFIG', 'SET', 'maxmemory-policy', 'noeviction']);
    await redis.command(['CONFIG', 'SET', 'maxmemory', '1']);
    try {
      const during = await s.acquire([k]); // the script fails with OOM: the store falls back
      expect(isShared(granted(during))).toBe(false);
      await sleep(600); // a dozen probe intervals
      expect(events.map(([kind]) => kind)).toEqual(['fallback']);
    } finally {
      await redis.command(['CONFIG', 'SET', 'maxmemory', '0']);
    }
    await until(() => events.some(([kind]) => kind === 'recover'));
    expect(events.map(([kind]) => kind)).toEqual(['fallback', 'recover']);
    expect(isShared(granted(await s.acquire([k])))).toBe(true);
  });

  it('keeps a pause across an outage: one stored in Redis holds in the fallback, one heard during it holds after', async () => {
    const s = make();
    const k: KeySpec = { id: 'paused-app', level: 'client', limits: {}, marginMs: 0 };
    const report = { backoff: { baseMs: 1000, maxMs: 60_000 }, jitter: { ratio: 0, maxMs: 0 }, random: 0 };
    await s.throttle(k, { ...report, sentAt: s.clock.now(), delayMs: 1500 });
    await server.stop();
    const during = await s.acquire([k]); // Redis is down: refused on what this process heard
    expect(during.ok ? 'granted' : during.reason).toBe('paused');
    await sleep(1600);

    await s.throttle(k, { ...report, sentAt: s.clock.now(), delayMs: 2500 }); // a 429 while Redis is down
    await until(() => events.some(([kind]) => kind === 'fallback'));
    await server.start();
    await until(() => events.some(([kind]) => kind === 'recover'));
    const after = await s.acquire([k]);
    expect(after.ok ? 'granted' : after.reason).toBe('paused');
  });

  it('limits locally while Redis is stopped, releases local leases locally, and shares again once it is back', async () => {
    const s = make();
    const k: KeySpec = { id: 'app', level: 'client', limits: { concurrent: 2 }, marginMs: 0 };
    const before = granted(await s.acquire([k]));
    expect(isShared(before)).toBe(true);

    await server.stop();
    const startedAt = Date.now();
    const during = granted(await s.acquire([k]));
    expect(Date.now() - startedAt).toBeLessThan(400); // failed fast or timed out, did not hang
    expect(isShared(during)).toBe(false);
    expect(s.shared).toBe(false);
    expect(events.map(([type]) => type)).toEqual(['fallback']);
    // Local limiting: the fallback store holds the slot it granted, and knows the one Redis granted before
    // (still in flight), so the limit of 2 is reached.
    expect((await s.snapshot('app'))[0]).toMatchObject({ inFlight: 2 });
    expect(await s.acquire([k])).toMatchObject({ ok: false, reason: 'concurrency' });

    const releasedAt = Date.now();
    await s.release([k], 'ok', before); // a Redis lease while Redis is down: returns at once, expires there
    expect(Date.now() - releasedAt).toBeLessThan(80);

    await server.start();
    await until(() => events.length === 2);
    expect(events[1][0]).toBe('recover');
    expect(s.shared).toBe(true);
    const after = granted(await s.acquire([k]));
    expect(isShared(after)).toBe(true);
    expect(await redis.command(['EXISTS', 'faults-' + kind + ':{app}:h'])).toBe(1);

    // A lease granted by the fallback store goes back to it, even now that Redis answers; the fallback
    // still counts the one Redis granted since.
    await s.release([k], 'ok', during);
    expect(s.fallbackStore.snapshot('app')[0]).toMatchObject({ inFlight: 1 });
    await s.release([k], 'ok', after);
    expect(s.fallbackStore.snapshot('app')[0]).toMatchObject({ inFlight: 0 });
  });

  it('loses no request and hangs none when Redis stops and restarts in the middle of a run', async () => {
    emulator = await startEmulator({ vendor: 'clover', windowMs: 500, appRate: 10, tokenRate: null, appConcurrent: 3, tokenConcurrent: null, latencyMs: 20 });
    const s = make();
    const api = axios.create({ baseURL: emulator.url, headers: { 'x-client-id': 'app-faults' } });
    rateGuard(api, { clientId: 'app-faults', store: s, limits: { client: { requests: 10, perMs: 500, concurrent: 3 } } });
    const count = 40;
    const calls = Array.from({ length: count }, (_, i) => api.get(`/v3/orders/${i}`, { headers: { Authorization: 'Bearer t' } }));
    const outage = (async () => {
      await sleep(400);
      await server.stop();
      await sleep(500);
      await server.start();
    })();
    const results = await Promise.allSettled(calls);
    await outage;
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const stats = emulator.stats();
    expect(stats.accepted).toBe(count);
    expect(Object.values(stats.acceptedByPath).every((n) => n === 1)).toBe(true);
    expect(events[0]?.[0]).toBe('fallback');
    await until(() => s.shared);
    console.log(
      `${kind}: ${count} requests through an outage: ${stats.rejected429} 429s, max ${stats.maxInWindowPerApp} per window (limit 10), ` +
        `max ${stats.maxInFlightPerApp} in flight (limit 3)`,
    );
  });

  it('rejects at once with RedisUnavailableError when fail-closed, and recovers', async () => {
    const s = make({ failClosed: true });
    const api = axios.create({ adapter: async (config) => ({ data: 'ok', status: 200, statusText: 'OK', headers: {}, config }) });
    rateGuard(api, { clientId: 'closed', store: s, limits: { client: { concurrent: 5 } } });
    await api.get('/a');
    await server.stop();
    const startedAt = Date.now();
    const error = await api.get('/b').catch((e: unknown) => e);
    expect(isRedisUnavailableError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'ERR_RATE_GUARD_REDIS_UNAVAILABLE' });
    expect(Date.now() - startedAt).toBeLessThan(400);
    // Known down: the next one is refused without waiting for Redis.
    const again = Date.now();
    expect(isRedisUnavailableError(await api.get('/c').catch((e: unknown) => e))).toBe(true);
    expect(Date.now() - again).toBeLessThan(80);
    await server.start();
    await until(() => s.shared);
    await expect(api.get('/d')).resolves.toMatchObject({ status: 200 });
  });

  it('treats a Redis that answers too slowly as down, and hands back a grant that arrives too late', async () => {
    const s = make({ callTimeoutMs: 80 });
    const k: KeySpec = { id: 'slow', level: 'client', limits: { concurrent: 1 }, marginMs: 0 };
    await s.release([k], 'ok', granted(await s.acquire([k])));
    const lastStart = () => redis.command(['HGET', `faults-${kind}:{slow}:h`, 'ls']);
    const before = await lastStart();
    await redis.command(['CLIENT', 'PAUSE', '400', 'ALL']); // every client's commands wait 400 ms
    const startedAt = Date.now();
    const result = await s.acquire([k]);
    expect(Date.now() - startedAt).toBeLessThan(250);
    expect(result.ok && !isShared(result.lease)).toBe(true);
    expect(events[0]).toEqual(['fallback', { error: expect.any(RedisTimeoutError) }]);
    await until(() => s.shared, 5000);
    // The script ran once Redis resumed and granted a lease nobody was waiting for: it was handed back.
    await sleep(50);
    expect(await lastStart()).not.toEqual(before); // it did run, late
    expect(Number(await redis.command(['ZCARD', `faults-${kind}:{slow}:f`]))).toBe(0);
  });
});
