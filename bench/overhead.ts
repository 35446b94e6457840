import axios, { type AxiosInstance } from 'axios';
import { median, okAdapter } from './in-process';
import type { Plugin } from './types';

export interface OverheadResult {
  rounds: number;
  requestsPerRound: number;
  /** Median over rounds of the mean µs per request. */
  bareUs: number;
  guardedUs: number;
  /** guardedUs / bareUs. */
  ratio: number;
  bareRounds: number[];
  guardedRounds: number[];
}

/** Limits far above anything a sequential loop can reach: the guard checks them but never waits. */
const NEVER_BINDING = { requests: 1_000_000, perMs: 1000, concurrent: 1000 };

function client(): AxiosInstance {
  const api = axios.create({ baseURL: 'http://in-process.invalid', headers: { 'x-client-id': 'overhead-app' } });
  api.defaults.adapter = okAdapter;
  return api;
}

/** Mean µs per request of `count` sequential GETs (each awaited: latency, not throughput). */
async function round(api: AxiosInstance, count: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    await api.get(`/v3/orders/${i}`, { headers: { Authorization: 'Bearer overhead-token' } });
  }
  return ((performance.now() - started) * 1000) / count;
}

/**
 * µs per request that the guard adds to bare axios, with an in-process adapter and limits that never
 * bind (client and token keys both checked). Rounds alternate bare, guarded, bare, guarded… so that both
 * see the same JIT, GC and CPU-frequency conditions; the medians are compared.
 */
export async function measureOverhead(
  plugin: Plugin,
  rounds = 21,
  requestsPerRound = 4000,
  warmupRounds = 3,
): Promise<OverheadResult> {
  const bare = client();
  const guarded = client();
  plugin.rateGuard(guarded, {
    clientId: 'overhead-app',
    store: new plugin.MemoryStore(),
    limits: { client: NEVER_BINDING, token: NEVER_BINDING },
  });

  for (let i = 0; i < warmupRounds; i++) {
    await round(bare, requestsPerRound);
    await round(guarded, requestsPerRound);
  }
  const bareRounds: number[] = [];
  const guardedRounds: number[] = [];
  for (let i = 0; i < rounds; i++) {
    bareRounds.push(await round(bare, requestsPerRound));
    guardedRounds.push(await round(guarded, requestsPerRound));
  }
  const bareUs = median(bareRounds);
  const guardedUs = median(guardedRounds);
  return { rounds, requestsPerRound, bareUs, guardedUs, ratio: guardedUs / bareUs, bareRounds, guardedRounds };
}
