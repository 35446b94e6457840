import axios, { type AxiosAdapter, type AxiosInstance } from 'axios';
import { CountingClock, type TimerCounts } from './counting-clock';
import { cpuMicros, heapAfterGc, okAdapter, throttledError } from './in-process';
import type { Plugin } from './types';

export const QUEUED_REQUESTS = 10_000;
export const DISTINCT_TOKENS = 100_000;
const TOKEN_BATCH = 1000;
/** Idle keys are dropped after this long; the clock is then advanced past it instead of waiting. */
const IDLE_TTL_MS = 600_000;
const SWEEP_INTERVAL_MS = 1000;

export interface QueuedResult {
  requests: number;
  /** Requests the guard reported waiting on the key once all were fired. */
  queuedSeen: number;
  failures: number;
  wallMs: number;
  /** CPU (user + system) of firing and draining every request, per request, gc excluded. */
  cpuUsPerRequest: number;
  bareCpuUsPerRequest: number;
  /** Heap per waiting request, axios's own objects included. */
  bytesPerQueued: number;
  /** The same for bare axios with as many requests pending inside the adapter: axios's own share. */
  bareBytesPerPending: number;
  /** Heap above the baseline once everything settled. */
  residualBytes: number;
  /** Timers while all requests waited on the paused key. */
  whileQueued: { waiting: number; housekeeping: number };
  timers: TimerCounts;
}

export interface TokensResult {
  tokens: number;
  wallMs: number;
  cpuUsPerRequest: number;
  keysHeld: number;
  /** Heap above the baseline with every token's key held, per token. */
  bytesPerIdleKey: number;
  heldBytes: number;
  keysAfterEviction: number;
  /** Heap above the baseline after the idle keys were swept. */
  afterEvictionBytes: number;
  timers: TimerCounts;
}

/** One run of `keys` tokens saturated at once. */
export interface SaturatedResult {
  keys: number;
  requestsPerKey: number;
  /** Runs of `keys` fresh tokens, so that every row measures at least SATURATED_MIN_REQUESTS requests. */
  runs: number;
  requests: number;
  failures: number;
  /** The token's window (ms). */
  windowMs: number;
  /** Wall time of one run (the limits make it about requestsPerKey / limit windows). */
  wallMsPerRun: number;
  /** CPU (user + system) of firing, pacing and answering every request, per request. */
  cpuUsPerRequest: number;
  /** Requests waiting on token keys right after the first run was fired (guard stats), and on how many keys. */
  queuedSeen: number;
  keysWaiting: number;
  timers: TimerCounts;
}

export interface ScaleResult {
  queued: QueuedResult;
  tokens: TokensResult;
  /** 10, 100 and 1,000 keys saturated at once: CPU per request should not grow with the keys. */
  saturated: SaturatedResult[];
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function instance(adapter: AxiosAdapter): AxiosInstance {
  const api = axios.create({ baseURL: 'http://in-process.invalid' });
  api.defaults.adapter = adapter;
  return api;
}

/** Bare axios: heap per request pending in the adapter, and CPU per request answered at once. */
async function bareBaseline(count: number): Promise<{ bytesPerPending: number; cpuUsPerRequest: number }> {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const held = instance(async (config) => {
    await gate;
    return okAdapter(config);
  });
  const before = heapAfterGc();
  const pending = Array.from({ length: count }, (_, i) => held.get(`/q/${i}`));
  await nextTurn();
  const bytesPerPending = (heapAfterGc() - before) / count;
  open();
  await Promise.all(pending);

  const api = instance(okAdapter);
  const cpu = process.cpuUsage();
  await Promise.all(Array.from({ length: count }, (_, i) => api.get(`/q/${i}`)));
  return { bytesPerPending, cpuUsPerRequest: cpuMicros(cpu) / count };
}

/**
 * 10,000 requests fired at once on one key while it is paused by a 429 (Retry-After: 1), then drained at
 * 1000 per 100 ms and 100 in flight: memory per waiting request, CPU per request, and the timers.
 */
export async function measureQueued(plugin: Plugin, count = QUEUED_REQUESTS): Promise<QueuedResult> {
  const bare = await bareBaseline(count);
  const clock = new CountingClock(plugin.systemClock);
  const store = new plugin.MemoryStore({ clock });
  let throttleNext = true;
  const api = instance(async (config) => {
    if (!throttleNext) return okAdapter(config);
    throttleNext = false;
    throw throttledError(config, 1);
  });
  const guard = plugin.rateGuard(api, {
    clientId: 'scale-queue',
    store,
    // The default (10,000) counts the throttled request waiting for its replay too.
    maxQueue: 2 * count,
    limits: { client: { requests: 1000, perMs: 100, concurrent: 100 } },
  });

  // One request that is throttled: the key is paused for 1 s (+ jitter) and it waits to be replayed.
  const opener = api.get('/pause');
  while (throttleNext) await nextTurn();
  await nextTurn();
  const baseline = heapAfterGc();
  clock.resetPeaks();

  const started = performance.now();
  let failures = 0;
  let cpu = process.cpuUsage();
  const calls = Array.from({ length: count }, (_, i) =>
    api.get(`/q/${i}`).then(
      () => undefined,
      () => void failures++,
    ),
  );
  await nextTurn();
  let cpuUs = cpuMicros(cpu);

  const queuedHeap = heapAfterGc();
  const live = clock.snapshot();
  const queuedSeen = (await guard.stats()).keys.reduce((sum, key) => sum + key.queued, 0);

  cpu = process.cpuUsage();
  await Promise.all([...calls, opener]);
  cpuUs += cpuMicros(cpu);
  const wallMs = performance.now() - started;
  const residualBytes = heapAfterGc() - baseline;
  guard.detach();
  store.clear();
  return {
    requests: count,
    queuedSeen,
    failures,
    wallMs,
    cpuUsPerRequest: cpuUs / count,
    bareCpuUsPerRequest: bare.cpuUsPerRequest,
    bytesPerQueued: (queuedHeap - baseline) / count,
    bareBytesPerPending: bare.bytesPerPending,
    residualBytes,
    whileQueued: { waiting: live.liveWaiting, housekeeping: live.liveHousekeeping },
    timers: clock.snapshot(),
  };
}

/**
 * 100,000 distinct tokens, one request each (Clover's per-token limits configured, so each gets a window
 * log): heap while their keys are held, then after the clock is moved past idleTtlMs and the sweep ran.
 */
export async function measureTokens(plugin: Plugin, tokens = DISTINCT_TOKENS): Promise<TokensResult> {
  const clock = new CountingClock(plugin.systemClock);
  const store = new plugin.MemoryStore({ clock, idleTtlMs: IDLE_TTL_MS, sweepIntervalMs: SWEEP_INTERVAL_MS });
  const api = instance(okAdapter);
  const guard = plugin.rateGuard(api, {
    clientId: 'scale-tokens',
    store,
    limits: { client: { concurrent: TOKEN_BATCH }, token: { requests: 16, perMs: 1000, concurrent: 5 } },
  });
  const baseline = heapAfterGc();

  const started = performance.now();
  const cpu = process.cpuUsage();
  for (let first = 0; first < tokens; first += TOKEN_BATCH) {
    const batch = Array.from({ length: Math.min(TOKEN_BATCH, tokens - first) }, (_, i) => first + i);
    await Promise.all(batch.map((i) => api.get(`/t/${i}`, { headers: { Authorization: `Bearer token-${i}-x9f2` } })));
  }
  const cpuUs = cpuMicros(cpu);
  const wallMs = performance.now() - started;
  const keysHeld = store.size;
  const heldBytes = heapAfterGc() - baseline;

  clock.advance(IDLE_TTL_MS + 60_000);
  const deadline = performance.now() + SWEEP_INTERVAL_MS * 3;
  while (store.size > 0 && performance.now() < deadline) await sleep(50);
  const keysAfterEviction = store.size;
  const afterEvictionBytes = heapAfterGc() - baseline;
  const timers = clock.snapshot();
  guard.detach();
  store.clear();
  return {
    tokens,
    wallMs,
    cpuUsPerRequest: cpuUs / tokens,
    keysHeld,
    bytesPerIdleKey: heldBytes / tokens,
    heldBytes,
    keysAfterEviction,
    afterEvictionBytes,
    timers,
  };
}

export const SATURATED_KEYS = [10, 100, 1000];
const SATURATED_PER_KEY = 8;
const SATURATED_MIN_REQUESTS = 3000;
/**
 * Per token: 2 starts per window and 2 in flight, so 8 requests take four windows, 6 of them waiting at
 * first. The window is 0.2 ms per key (20 ms at least): long enough that it binds even when a window's
 * 2 starts of every key take a good part of it, and the event loop is as busy at 10 keys as at 1,000,
 * so that idle time does not weigh on the CPU per request of the small rows more than of the large.
 */
export const saturatedTokenLimit = (keys: number) => ({ requests: 2, perMs: Math.max(20, keys / 5), concurrent: 2 });

/**
 * `keys` tokens, each with a small limit, `perKey` requests on each fired at once: every key is saturated
 * and has requests waiting on it together. Counts the timers (one per waiting key at most) and the CPU per
 * request, which must not grow with the number of keys (nothing may scan every key per wake-up).
 */
export async function measureSaturated(plugin: Plugin, keys: number, perKey = SATURATED_PER_KEY): Promise<SaturatedResult> {
  const clock = new CountingClock(plugin.systemClock);
  const store = new plugin.MemoryStore({ clock });
  const api = instance(okAdapter);
  const guard = plugin.rateGuard(api, {
    clientId: `scale-saturated-${keys}`,
    store,
    limits: { client: { requests: 1_000_000, perMs: 1000 }, token: saturatedTokenLimit(keys) },
  });
  const runs = Math.max(1, Math.ceil(SATURATED_MIN_REQUESTS / (keys * perKey)));
  let failures = 0;
  let queuedSeen = 0;
  let keysWaiting = 0;
  let cpuUs = 0;
  let wallMs = 0;
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    const cpu = process.cpuUsage();
    const calls: Array<Promise<void>> = [];
    for (let k = 0; k < keys; k++) {
      const headers = { Authorization: `Bearer run-${run}-key-${k}` };
      for (let i = 0; i < perKey; i++) calls.push(api.get(`/s/${k}/${i}`, { headers }).then(() => undefined, () => void failures++));
    }
    await nextTurn();
    cpuUs += cpuMicros(cpu);
    // Outside the CPU measured: stats() builds a snapshot of every key.
    if (run === 0) {
      const waiting = (await guard.stats()).keys.filter((key) => key.level === 'token' && key.queued > 0);
      keysWaiting = waiting.length;
      queuedSeen = waiting.reduce((sum, key) => sum + key.queued, 0);
    }
    const resumed = process.cpuUsage();
    await Promise.all(calls);
    cpuUs += cpuMicros(resumed);
    wallMs += performance.now() - started;
  }
  const timers = clock.snapshot();
  guard.detach();
  store.clear();
  const requests = runs * keys * perKey;
  return { keys, requestsPerKey: perKey, windowMs: saturatedTokenLimit(keys).perMs, runs, requests, failures, wallMsPerRun: wallMs / runs, cpuUsPerRequest: cpuUs / requests, queuedSeen, keysWaiting, timers };
}

export async function measureScale(plugin: Plugin): Promise<ScaleResult> {
  const queued = await measureQueued(plugin);
  const tokens = await measureTokens(plugin);
  const saturated: SaturatedResult[] = [];
  // Once unmeasured first, so that the smallest row does not pay for the JIT warming up.
  await measureSaturated(plugin, SATURATED_KEYS[0]);
  for (const keys of SATURATED_KEYS) saturated.push(await measureSaturated(plugin, keys));
  return { queued, tokens, saturated };
}
