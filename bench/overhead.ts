import axios, { type AxiosInstance } from 'axios';
import axiosRetry from 'axios-retry';
import { rateLimitedInstances } from './contenders/axios-rate-limit';
import { retryOn429 } from './contenders/axios-retry';
import { cpuMicros, median, okAdapter } from './in-process';
import type { Plugin } from './types';

/** One contender's cost per request: medians over rounds of each round's mean. */
export interface OverheadRow {
  id: 'bare' | 'axios-rate-limit' | 'axios-retry' | 'rate-guard';
  name: string;
  /** How it is configured, for the report. */
  setup: string;
  wallUs: number;
  cpuUs: number;
  /** Over bare axios: the median of the ratios within each round (rounds pair up; drift cancels). */
  wallRatio: number;
  cpuRatio: number;
  wallRounds: number[];
  cpuRounds: number[];
}

export interface OverheadResult {
  rounds: number;
  requestsPerRound: number;
  /** Bare axios first, the guard (limits on both levels) last. */
  rows: OverheadRow[];
  /** Wall µs per request (medians) of bare axios and of the guard, and the guard's wallRatio: the target's figures. */
  bareUs: number;
  guardedUs: number;
  ratio: number;
}

const CLIENT_ID = 'overhead-app';
const BASE_URL = 'http://in-process.invalid';

/**
 * A realistic shape: rate and concurrency on both levels. A sequential loop never reaches them, but each
 * window log really holds the last second of starts (tens of thousands of entries), as it would in use.
 */
export const GUARD_LIMITS = {
  client: { requests: 100_000, perMs: 1000, concurrent: 10 },
  token: { requests: 100_000, perMs: 1000, concurrent: 5 },
};
/** axios-rate-limit's one limiter, at the same app rate: it never delays a request either. */
const RATE_LIMIT = { requests: 100_000, perMs: 1000 };

interface Entrant {
  id: OverheadRow['id'];
  name: string;
  setup: string;
  api: AxiosInstance;
}

function bareClient(): AxiosInstance {
  return axios.create({ baseURL: BASE_URL, headers: { 'x-client-id': CLIENT_ID } });
}

/** Each contender as bench/contenders/* configures it, answered at once by the in-process adapter. */
function entrants(plugin: Plugin): Entrant[] {
  const bare = bareClient();
  const [rateLimited] = rateLimitedInstances({ baseURL: BASE_URL, clientId: CLIENT_ID, instances: 1, limits: { app: RATE_LIMIT } });
  const retrying = bareClient();
  axiosRetry(retrying, retryOn429);
  const guarded = bareClient();
  plugin.rateGuard(guarded, { clientId: CLIENT_ID, store: new plugin.MemoryStore(), limits: GUARD_LIMITS });
  const list: Entrant[] = [
    { id: 'bare', name: 'bare axios', setup: 'axios.create()', api: bare },
    {
      id: 'axios-rate-limit',
      name: 'axios-rate-limit',
      setup: `getLimiter({ maxRequests: ${RATE_LIMIT.requests}, perMilliseconds: ${RATE_LIMIT.perMs} })`,
      api: rateLimited,
    },
    { id: 'axios-retry', name: 'axios-retry', setup: 'retries on 429 with exponentialDelay (bench/contenders/axios-retry.ts)', api: retrying },
    {
      id: 'rate-guard',
      name: 'axios-rate-guard',
      setup: 'client { 100,000/s, 10 in flight } + token { 100,000/s, 5 in flight }',
      api: guarded,
    },
  ];
  for (const entrant of list) entrant.api.defaults.adapter = okAdapter;
  return list;
}

/** Mean wall and CPU µs per request of `count` sequential GETs (each awaited: latency, not throughput). */
async function round(api: AxiosInstance, count: number): Promise<{ wallUs: number; cpuUs: number }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    await api.get(`/v3/orders/${i}`, { headers: { Authorization: 'Bearer overhead-token' } });
  }
  const wallUs = ((performance.now() - started) * 1000) / count;
  return { wallUs, cpuUs: cpuMicros(cpu) / count };
}

/**
 * µs per request of bare axios, axios-rate-limit, axios-retry and the guard, with an in-process adapter.
 * Each round runs every contender once, in an order that rotates from round to round, so that all see
 * the same JIT, GC and CPU-frequency conditions and none always follows the same neighbour; medians are
 * compared. CPU time (user + system) is beside wall time because the machine may be shared.
 */
export async function measureOverhead(plugin: Plugin, rounds = 21, requestsPerRound = 4000, warmupRounds = 3): Promise<OverheadResult> {
  const list = entrants(plugin);
  for (let i = 0; i < warmupRounds; i++) for (const entrant of list) await round(entrant.api, requestsPerRound);
  const wall = list.map((): number[] => []);
  const cpu = list.map((): number[] => []);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < list.length; k++) {
      const i = (r + k) % list.length;
      const result = await round(list[i].api, requestsPerRound);
      wall[i].push(result.wallUs);
      cpu[i].push(result.cpuUs);
    }
  }
  const pairedRatio = (of: number[][], i: number) => median(of[i].map((value, r) => value / of[0][r]));
  const rows = list.map(({ id, name, setup }, i): OverheadRow => ({
    id,
    name,
    setup,
    wallUs: median(wall[i]),
    cpuUs: median(cpu[i]),
    wallRatio: pairedRatio(wall, i),
    cpuRatio: pairedRatio(cpu, i),
    wallRounds: wall[i],
    cpuRounds: cpu[i],
  }));
  const guard = rows[rows.length - 1];
  return { rounds, requestsPerRound, rows, bareUs: rows[0].wallUs, guardedUs: guard.wallUs, ratio: guard.wallRatio };
}
