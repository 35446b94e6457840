import axios, { type AxiosInstance } from 'axios';
import type { EmulatorStats, TimelineEntry } from '../../emulator';
import { MemoryStore } from '../../src/memory-store';
import { rateGuard, type RateGuard } from '../../src/rate-guard';
import type { RateGuardOptions } from '../../src/options';

/** An axios instance of app `clientId` against `baseURL`, with a guard on a fresh real-time store. */
export function guardedClient(baseURL: string, options: RateGuardOptions & { clientId: string }, store = new MemoryStore()) {
  const api: AxiosInstance = axios.create({ baseURL, headers: { 'x-client-id': options.clientId } });
  const guard: RateGuard = rateGuard(api, { store, ...options });
  return { api, guard, store };
}

/** Fires `count` GETs to unique paths, token i % tokens, and waits for all. */
export async function burst(apis: AxiosInstance[], count: number, tokens: number) {
  const started = performance.now();
  const results = await Promise.allSettled(
    Array.from({ length: count }, (_, i) =>
      apis[i % apis.length].get(`/v3/orders/${i}`, { headers: { Authorization: `Bearer token-${i % tokens}` } }),
    ),
  );
  return { results, elapsedMs: performance.now() - started };
}

/** Asserts from the server's own counts that every one of `count` requests was accepted exactly once. */
export function expectEachAcceptedOnce(stats: EmulatorStats, count: number): void {
  const paths = Array.from({ length: count }, (_, i) => `/v3/orders/${i}`);
  expect(paths.filter((p) => stats.acceptedByPath[p] !== 1)).toEqual([]);
  expect(stats.accepted).toBe(count);
}

/**
 * Arrivals during a pause that were sent after the client could know of it: an arrival counts as
 * unavoidable only if it came within `graceMs` of a 429 to the same app (it was already on the wire; the
 * grace is generous because client and server share one process, and a loaded CI machine stalls both).
 */
export function lateArrivalsDuringPause(timeline: TimelineEntry[], graceMs = 300): TimelineEntry[] {
  const throttles = timeline.filter((e) => e.status === 429 && !e.duringPause);
  return timeline.filter(
    (e) => e.duringPause && !throttles.some((t) => t.app === e.app && e.t >= t.t && e.t - t.t <= graceMs),
  );
}
