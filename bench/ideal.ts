import type { IdealTime, ServerLimits } from './types';

/**
 * Earliest possible arrival of the last of `n` requests (arrivals sorted, the first at 0) under a limit of
 * `rate` accepted per sliding window of `windowMs` and `concurrent` in flight, each held `latencyMs`:
 *
 * - rate: the window admits a request only if fewer than `rate` accepted arrivals lie in (t − W, t], so
 *   a[x] ≥ a[x − rate] + W;
 * - concurrency: of `concurrent` consecutive arrivals one must have been answered first, so
 *   a[x] ≥ a[x − concurrent] + latency.
 *
 * Chaining the rate step m = ⌊x / rate⌋ times, then the concurrency step within the first window, gives
 * a[x] ≥ m·W + ⌊(x mod rate) / concurrent⌋·latency; the concurrency step alone gives ⌊x / concurrent⌋·latency.
 */
export function lastArrivalBound(n: number, rate: number, windowMs: number, concurrent: number, latencyMs: number) {
  if (n <= 0) return { rate: 0, concurrency: 0 };
  const x = n - 1;
  return {
    rate: Math.floor(x / rate) * windowMs + Math.floor((x % rate) / concurrent) * latencyMs,
    concurrency: Math.floor(x / concurrent) * latencyMs,
  };
}

/**
 * The shortest time in which `perToken` requests (count per token, all of one app) can all be answered:
 * the latest of the app's and every token's last-arrival bounds, plus one response latency. No client can
 * beat it (ratio 1.00 is the physical limit). For 300 requests over 6 tokens at 50/s and 10 in flight per
 * app, 16/s and 5 per token, 20 ms latency: app rate 5·1000 + ⌊49/10⌋·20 = 5080, + 20 = 5100 ms.
 */
export function idealTime(perToken: readonly number[], limits: ServerLimits): IdealTime {
  const total = perToken.reduce((sum, n) => sum + n, 0);
  const app = lastArrivalBound(total, limits.appRate, limits.windowMs, limits.appConcurrent, limits.latencyMs);
  const candidates: Array<[string, number]> = [
    ['app rate', app.rate],
    ['app concurrency', app.concurrency],
  ];
  for (const n of perToken) {
    const token = lastArrivalBound(n, limits.tokenRate, limits.windowMs, limits.tokenConcurrent, limits.latencyMs);
    candidates.push(['token rate', token.rate], ['token concurrency', token.concurrency]);
  }
  const [bound, lastArrival] = candidates.reduce((best, c) => (c[1] > best[1] ? c : best));
  return { ms: lastArrival + limits.latencyMs, bound };
}
