import axios, { type AxiosInstance, type InternalAxiosRequestConfig } from 'axios';
import axiosRetry from 'axios-retry';
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { askChild } from './ask-child';
import { rateLimitedInstances } from './contenders/axios-rate-limit';
import { retryOn429 } from './contenders/axios-retry';
import { cpuMicros, jsonAdapter, median } from './in-process';
import type { Plugin } from './types';

/** One contender's cost per request: medians over rounds of each round's mean. */
export interface OverheadRow {
  /** `wrapper`: the least a plugin that wraps the adapter costs (an interceptor and one `then`): the floor beside the guard. */
  /** `bare-again`: bare axios once more, in processes of its own: how far one code reads from itself (the method's noise). */
  id: 'bare' | 'bare-again' | 'axios-rate-limit' | 'axios-retry' | 'rate-guard' | 'wrapper';
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
  /** Processes each contender's rounds were run by (processesPerContender × batches). */
  processes: number;
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

export type EntrantId = OverheadRow['id'];
export const ENTRANT_IDS: readonly EntrantId[] = ['bare', 'bare-again', 'axios-rate-limit', 'axios-retry', 'wrapper', 'rate-guard'];

interface Entrant {
  id: EntrantId;
  name: string;
  setup: string;
  api: AxiosInstance;
}

function bareClient(): AxiosInstance {
  return axios.create({ baseURL: BASE_URL, headers: { 'x-client-id': CLIENT_ID } });
}

/** One contender as bench/contenders/* configures it, answered at once by the in-process adapter (JSON). */
export function createEntrant(id: EntrantId, plugin: Plugin): Entrant {
  const entrant = describeEntrant(id, plugin);
  entrant.api.defaults.adapter = jsonAdapter;
  return entrant;
}

function describeEntrant(id: EntrantId, plugin: Plugin): Entrant {
  if (id === 'axios-rate-limit') {
    const [api] = rateLimitedInstances({ baseURL: BASE_URL, clientId: CLIENT_ID, instances: 1, limits: { app: RATE_LIMIT } });
    return { id, name: 'axios-rate-limit', setup: `getLimiter({ maxRequests: ${RATE_LIMIT.requests}, perMilliseconds: ${RATE_LIMIT.perMs} })`, api };
  }
  const api = bareClient();
  if (id === 'axios-retry') {
    axiosRetry(api, retryOn429);
    return { id, name: 'axios-retry', setup: 'retries on 429 with exponentialDelay (bench/contenders/axios-retry.ts)', api };
  }
  if (id === 'rate-guard') {
    plugin.rateGuard(api, { clientId: CLIENT_ID, store: new plugin.MemoryStore(), limits: GUARD_LIMITS });
    return { id, name: 'axios-rate-guard', setup: 'client { 100,000/s, 10 in flight } + token { 100,000/s, 5 in flight }', api };
  }
  if (id === 'wrapper') {
    const wrapped = (config: InternalAxiosRequestConfig) => jsonAdapter(config).then((response) => response);
    api.interceptors.request.use((config) => Object.assign(config, { adapter: wrapped }), null, { synchronous: true });
    return {
      id,
      name: 'adapter wrapper (the floor)',
      setup: 'an interceptor setting an adapter that returns jsonAdapter(config).then(r => r): what any plugin that gates the adapter pays',
      api,
    };
  }
  if (id === 'bare-again') {
    return { id, name: 'bare axios again (the noise)', setup: 'axios.create() in processes of its own: how far the same code reads from bare axios here', api };
  }
  return { id, name: 'bare axios', setup: 'axios.create()', api };
}

/** Mean wall and CPU µs per request of `count` sequential GETs (each awaited: latency, not throughput). */
export async function round(api: AxiosInstance, count: number): Promise<{ wallUs: number; cpuUs: number }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    await api.get(`/v3/orders/${i}`, { headers: { Authorization: 'Bearer overhead-token' } });
  }
  const wallUs = ((performance.now() - started) * 1000) / count;
  return { wallUs, cpuUs: cpuMicros(cpu) / count };
}

/** The n-th ordering of 0…size−1 (n modulo size!): consecutive rounds put each contender in each place about as often. */
export function ordering(size: number, n: number): number[] {
  const left = Array.from({ length: size }, (_, i) => i);
  const order: number[] = [];
  for (let k = size; k > 0; k--) {
    order.push(left.splice(n % k, 1)[0]);
    n = Math.floor(n / k);
  }
  return order;
}

/** A contender in a process of its own (bench/overhead-worker.ts), running one round when asked. */
interface Worker {
  name: string;
  setup: string;
  run(requests: number): Promise<{ wallUs: number; cpuUs: number }>;
  close(): void;
}

function startWorker(id: EntrantId, pluginEntry: string | undefined): Promise<Worker> {
  const child: ChildProcess = fork(path.join(__dirname, 'overhead-worker.ts'), [id, ...(pluginEntry ? [pluginEntry] : [])], {
    execArgv: ['--expose-gc', '--import', 'tsx'],
    cwd: path.join(__dirname, '..'),
  });
  const ask = askChild(child, `bench/overhead-worker.ts ${id}`);
  return ask<{ name: string; setup: string }>({ kind: 'describe' }).then(({ name, setup }) => ({
    name,
    setup,
    run: (requests) => ask({ kind: 'round', requests }),
    close: () => child.kill(),
  }));
}

/**
 * µs per request of bare axios (twice: the second shows the method's noise), axios-rate-limit, axios-retry, the adapter
 * wrapper and the guard, with an in-process adapter.
 * Each contender runs in a process of its own: what one installs for the whole process (the guard's
 * AsyncLocalStorage turns on promise hooks, which every promise then pays) must not be charged to bare
 * axios too. Rounds are interleaved all the same, one process at a time, in a different order each round
 * (consecutive orderings), so that all see the same CPU conditions and none always follows the same
 * neighbour. The adapter answers JSON at once. axios-rate-limit waits for a setTimeout(0) per request (about 1 ms): its rounds are a tenth
 * as long, or it would take most of the time. Medians are compared, and CPU time
 * (user + system) is beside wall time because the machine may be shared.
 */
export async function measureOverhead(
  pluginEntry?: string,
  rounds = 240,
  // Rounds of 1000 (about 40 ms), so that the contenders' rounds of one ordering mostly fall in the same
  // of this VM's slow or fast phases (about a second each). Shorter rounds cost the guard more (1.07× at
  // 400, 1.08× at 200 in one run each): a round starts with caches its neighbours have filled.
  requestsPerRound = 1000,
  warmupRounds = 5,
  processesPerContender = 5,
  batches = 8,
): Promise<OverheadResult> {
  // OVERHEAD_ENTRANTS=bare,wrapper,rate-guard,…: another line-up, for experiments (bare first).
  const ids = (process.env.OVERHEAD_ENTRANTS?.split(',') as EntrantId[] | undefined) ?? ENTRANT_IDS;
  const wall = ids.map((): number[] => []);
  const cpu = ids.map((): number[] => []);
  const requestsOf = (i: number) => (ids[i] === 'axios-rate-limit' ? requestsPerRound / 10 : requestsPerRound);
  let list: Worker[] = [];
  // Several processes per contender, used in turn: a process's JIT makes its own choices, and the same code
  // ran 33–47 µs a request from one process to the next. With 5 processes bare axios read 0.97×–1.03× of
  // itself, with 15 0.96×–1.02×, with 40 0.99×–1.01× (two runs each). So the rounds are run by `batches`
  // pools of fresh processes in turn: processesPerContender × batches per contender, processesPerContender
  // alive at a time.
  for (let b = 0, r = 0; b < batches; b++) {
    const pools = await Promise.all(ids.map((id) => Promise.all(Array.from({ length: processesPerContender }, () => startWorker(id, pluginEntry)))));
    list = pools.map((pool) => pool[0]);
    try {
      for (let w = 0; w < warmupRounds; w++) for (let i = 0; i < ids.length; i++) for (const worker of pools[i]) await worker.run(requestsOf(i));
      for (const end = Math.round(((b + 1) * rounds) / batches); r < end; r++) {
        for (const i of ordering(ids.length, r)) {
          const result = await pools[i][r % processesPerContender].run(requestsOf(i));
          wall[i].push(result.wallUs);
          cpu[i].push(result.cpuUs);
        }
      }
    } finally {
      for (const pool of pools) for (const worker of pool) worker.close();
    }
  }
  const pairedRatio = (of: number[][], i: number) => median(of[i].map((value, r) => value / of[0][r]));
  const rows = list.map(({ name, setup }, i): OverheadRow => ({
    id: ids[i],
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
  return { rounds, requestsPerRound, processes: processesPerContender * batches, rows, bareUs: rows[0].wallUs, guardedUs: guard.wallUs, ratio: guard.wallRatio };
}
