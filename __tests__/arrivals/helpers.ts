/**
 * The arrivals rig: a Clover emulator, optionally behind a delay proxy and next to CPU burners, and a guard
 * configured with exactly the server's limits. What is asserted is what the server counted.
 */
import http from 'node:http';
import type { AxiosInstance } from 'axios';
import {
  startCpuBurners,
  startDelayProxy,
  startEmulator,
  type DelayProxyOptions,
  type EmulatorStats,
  type RunningCpuBurners,
  type RunningDelayProxy,
  type RunningEmulator,
  type TimelineEntry,
} from '../../emulator';
import { MemoryStore } from '../../src/memory-store';
import { guardedClient } from '../integration/helpers';

/** The server's limits (small, so that a burst of ~50 spans several windows in a few seconds). */
export const SERVER = { windowMs: 1000, appRate: 10, tokenRate: 4, appConcurrent: 4, tokenConcurrent: 2, latencyMs: 25 } as const;

/** The same limits, as the guard is told them. */
export const LIMITS = {
  client: { requests: SERVER.appRate, perMs: SERVER.windowMs, concurrent: SERVER.appConcurrent },
  token: { requests: SERVER.tokenRate, perMs: SERVER.windowMs, concurrent: SERVER.tokenConcurrent },
};

export const CLIENT_ID = 'arrivals-app';

export interface RigOptions {
  /** Put a delay proxy between the client and the emulator. */
  proxy?: Omit<DelayProxyOptions, 'targetPort' | 'port'>;
  /** Run this many CPU burners for the whole test. */
  burners?: number;
  /** Options of the client's keep-alive agent (one per test, so every test starts on cold connections). */
  agent?: http.AgentOptions;
}

export interface Rig {
  readonly emulator: RunningEmulator;
  readonly proxy: RunningDelayProxy | undefined;
  /** One guarded axios instance with {@link LIMITS}, on a fresh MemoryStore, through the proxy if any. */
  readonly api: AxiosInstance;
}

/**
 * Registers beforeEach/afterEach hooks that start a fresh rig for every test and tear all of it down after,
 * whether the test passed, failed or timed out. Use the returned getter inside tests.
 */
export function useRig(options: RigOptions = {}): () => Rig {
  let current: Rig | undefined;
  const teardown: Array<() => Promise<void> | void> = [];

  beforeEach(async () => {
    const emulator = await startEmulator({ vendor: 'clover', ...SERVER });
    teardown.push(() => emulator.close());
    let proxy: RunningDelayProxy | undefined;
    if (options.proxy) {
      proxy = await startDelayProxy({ targetPort: emulator.port, ...options.proxy });
      const started = proxy;
      teardown.push(() => started.close());
    }
    if (options.burners) {
      const burners: RunningCpuBurners = await startCpuBurners(options.burners);
      teardown.push(() => burners.stop());
    }
    const agent = new http.Agent({ keepAlive: true, ...options.agent });
    teardown.push(() => agent.destroy());
    const store = new MemoryStore();
    teardown.push(() => store.clear());
    const { api, guard } = guardedClient(proxy?.url ?? emulator.url, { clientId: CLIENT_ID, limits: LIMITS }, store);
    api.defaults.httpAgent = agent;
    teardown.push(() => guard.detach());
    current = { emulator, proxy, api };
  });

  afterEach(async () => {
    current = undefined;
    // Newest first (the agent before the proxy before the emulator); every step runs even if one fails.
    const steps = teardown.splice(0).reverse();
    const failures: unknown[] = [];
    for (const step of steps) {
      try {
        await step();
      } catch (error) {
        failures.push(error);
      }
    }
    if (failures.length > 0) throw failures[0];
  });

  return () => {
    if (!current) throw new Error('useRig: the rig exists only inside a test');
    return current;
  };
}

export interface BurstResult {
  /** Messages of the requests that failed (none expected). */
  failures: string[];
  elapsedMs: number;
}

/** Fires GETs `/v3/orders/{from}` … `/v3/orders/{from + count - 1}`, request i with token `token-{i % tokens}`. */
export async function burst(api: AxiosInstance, { from = 0, count, tokens }: { from?: number; count: number; tokens: number }): Promise<BurstResult> {
  const started = performance.now();
  const results = await Promise.allSettled(
    Array.from({ length: count }, (_, k) => {
      const i = from + k;
      return api.get(`/v3/orders/${i}`, { headers: { Authorization: `Bearer token-${i % tokens}` } });
    }),
  );
  const failures = results.flatMap((r, k) => (r.status === 'rejected' ? [`/v3/orders/${from + k}: ${String((r.reason as Error)?.message ?? r.reason)}`] : []));
  return { failures, elapsedMs: performance.now() - started };
}

/**
 * The shortest a burst can take at these limits: rate-bound (the last request of the busiest key may start
 * only floor((n - 1) / N) windows in) plus one round trip, or concurrency-bound (ceil(n / M) round trips).
 */
export function idealMs(count: number, tokens: number, roundTripMs: number): number {
  const perToken = Math.ceil(count / tokens);
  const rateBound =
    Math.max(Math.floor((count - 1) / SERVER.appRate), Math.floor((perToken - 1) / SERVER.tokenRate)) * SERVER.windowMs + roundTripMs;
  const concurrencyBound = Math.max(Math.ceil(count / SERVER.appConcurrent), Math.ceil(perToken / SERVER.tokenConcurrent)) * roundTripMs;
  return Math.max(rateBound, concurrencyBound);
}

/** One line with the server's counts, printed before anything is asserted so that failures are diagnosable. */
export function report(name: string, stats: EmulatorStats, count: number, elapsedMs: number, ideal: number, extra = ''): void {
  const arrivals = maxArrivalsInWindow(stats);
  console.log(
    `${name}: ${count} requests, ${stats.accepted} accepted, ${stats.rejected429} 429s; ` +
      `max in window app ${stats.maxInWindowPerApp}/${SERVER.appRate}, token ${stats.maxInWindowPerToken}/${SERVER.tokenRate} ` +
      `(arrivals incl. 429s: app ${arrivals.app}, token ${arrivals.token}); ` +
      `max in flight app ${stats.maxInFlightPerApp}/${SERVER.appConcurrent}, token ${stats.maxInFlightPerToken}/${SERVER.tokenConcurrent}; ` +
      `${Math.round(elapsedMs)} ms (ideal ≈ ${Math.round(ideal)} ms)${extra ? `; ${extra}` : ''}`,
  );
}

/**
 * Every way the server's counts can break the guarantee, as one list, so a failure shows all of them:
 * a 429, a request not accepted exactly once, more than N accepted in some window of W, more than M in flight.
 */
export function violations(stats: EmulatorStats, count: number): string[] {
  const found: string[] = [];
  if (stats.rejected429 !== 0) found.push(`${stats.rejected429} 429s (${JSON.stringify(stats.rejectedByLimit)})`);
  const notOnce = Array.from({ length: count }, (_, i) => `/v3/orders/${i}`).filter((p) => stats.acceptedByPath[p] !== 1);
  if (notOnce.length > 0) found.push(`not accepted exactly once: ${notOnce.join(', ')}`);
  if (stats.accepted !== count) found.push(`accepted ${stats.accepted}, want ${count}`);
  if (stats.maxInWindowPerApp > SERVER.appRate) found.push(`maxInWindowPerApp ${stats.maxInWindowPerApp} > ${SERVER.appRate}`);
  if (stats.maxInWindowPerToken > SERVER.tokenRate) found.push(`maxInWindowPerToken ${stats.maxInWindowPerToken} > ${SERVER.tokenRate}`);
  const app = busiestWindow(stats.timeline, (e) => e.app);
  if (app.count > SERVER.appRate) found.push(`${app.count} arrivals of the app in ${SERVER.windowMs} ms > ${SERVER.appRate}: ${app.at}`);
  const token = busiestWindow(stats.timeline, (e) => e.token);
  if (token.count > SERVER.tokenRate) found.push(`${token.count} arrivals of one token in ${SERVER.windowMs} ms > ${SERVER.tokenRate}: ${token.at}`);
  if (stats.maxInFlightPerApp > SERVER.appConcurrent) found.push(`maxInFlightPerApp ${stats.maxInFlightPerApp} > ${SERVER.appConcurrent}`);
  if (stats.maxInFlightPerToken > SERVER.tokenConcurrent) found.push(`maxInFlightPerToken ${stats.maxInFlightPerToken} > ${SERVER.tokenConcurrent}`);
  return found;
}

/**
 * The most arrivals of one key inside any window, from the server's timeline, 429s included. The emulator's
 * maxInWindowPer* count accepted requests only, so they can never exceed a limit the emulator enforces:
 * a client that sends N + 1 gets a 429 and those stats still say N. This counts what the client sent.
 */
export function busiestWindow(timeline: readonly TimelineEntry[], keyOf: (e: TimelineEntry) => string): { count: number; at: string } {
  let best: TimelineEntry[] = [];
  for (const end of timeline) {
    const inWindow = timeline.filter((e) => keyOf(e) === keyOf(end) && e.t > end.t - SERVER.windowMs && e.t <= end.t);
    if (inWindow.length > best.length) best = inWindow;
  }
  const at = best.map((e) => `${e.t.toFixed(1)} ${e.path.replace('/v3/orders/', '#')}${e.status === 200 ? '' : ` ${e.status}`}`).join(', ');
  return { count: best.length, at };
}

export function maxArrivalsInWindow(stats: EmulatorStats): { app: number; token: number } {
  return { app: busiestWindow(stats.timeline, (e) => e.app).count, token: busiestWindow(stats.timeline, (e) => e.token).count };
}

/** Generous bound on a burst's duration: catches a hang or a stall of many seconds, never slowness. */
export function hangBoundMs(ideal: number): number {
  return 2 * ideal + 5_000;
}
