import type { LearnedLimits, LimitSpec } from './store.js';

/** Window assumed for a rate the server names without one (Clover's limits are per second). */
export const DEFAULT_WINDOW_MS = 1000;

/** N requests per window of `perMs`. */
export interface RateSpec {
  requests: number;
  perMs: number;
}

/** What the guard enforces on a key. */
export interface EffectiveLimits {
  /** Every rate in force: one, or two when the configured and learned windows differ (both must hold). */
  rates: RateSpec[];
  concurrent?: number;
}

/** The stricter of two optional limits. */
function stricter(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

/**
 * Configured and learned limits, the stricter of each. A learned rate without a window (Clover names only
 * the count) shares the configured window; a learned policy with another window (e.g. 1000 per hour beside
 * a configured 50 per second) is enforced beside it.
 */
export function effectiveLimits(configured: LimitSpec, learned: LearnedLimits): EffectiveLimits {
  const rates: RateSpec[] = [];
  const configuredWindow = configured.perMs ?? DEFAULT_WINDOW_MS;
  const learnedWindow = learned.perMs ?? configuredWindow;
  if (configured.requests !== undefined && learned.requests !== undefined && learnedWindow === configuredWindow) {
    rates.push({ requests: Math.min(configured.requests, Math.floor(learned.requests)), perMs: configuredWindow });
  } else {
    if (configured.requests !== undefined) rates.push({ requests: configured.requests, perMs: configuredWindow });
    if (learned.requests !== undefined) rates.push({ requests: Math.max(1, Math.floor(learned.requests)), perMs: learnedWindow });
  }
  const concurrent = stricter(configured.concurrent, learned.concurrent);
  return { rates, concurrent: concurrent === undefined ? undefined : Math.max(1, Math.floor(concurrent)) };
}

/** The first rate and the concurrency as one LimitSpec, for stats and errors. */
export function summarize(limits: EffectiveLimits): LimitSpec {
  const [rate] = limits.rates;
  return { requests: rate?.requests, perMs: rate?.perMs, concurrent: limits.concurrent };
}

/**
 * The learned value after the server named `named` for a limit we enforce as `current`. A named value
 * below ours is adopted. A value at or above ours means we were already within it and still throttled —
 * something else (another process, another app instance) shares the quota — so we step one below ours.
 */
export function nextLearnedLimit(current: number | undefined, named: number): number {
  if (current === undefined || named < current) return named;
  return Math.max(1, current - 1);
}
