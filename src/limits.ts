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

/** `a` (n per w) can never let through more than `b` allows: in any interval of b's window, at most b's n. */
function rateImplies(a: RateSpec, b: RateSpec): boolean {
  if (a.perMs >= b.perMs) return a.requests <= b.requests;
  // An interval of b's window is covered by ceil(wb / wa) intervals of a's.
  return a.requests * Math.ceil(b.perMs / a.perMs) <= b.requests;
}

/**
 * One rate that keeps both `a` and `b`: the one that implies the other, else the faster of two rates that
 * imply both (the shorter window with its count cut to fit the longer one, or the longer window with the
 * smaller count).
 */
export function strictestRate(a: RateSpec, b: RateSpec): RateSpec {
  if (rateImplies(a, b)) return a;
  if (rateImplies(b, a)) return b;
  const [short, long] = a.perMs < b.perMs ? [a, b] : [b, a];
  const cut = Math.min(short.requests, Math.floor(long.requests / Math.ceil(long.perMs / short.perMs)));
  const inShort = { requests: cut, perMs: short.perMs };
  const inLong = { requests: short.requests, perMs: long.perMs };
  return cut >= 1 && cut / short.perMs >= inLong.requests / inLong.perMs ? inShort : inLong;
}

/**
 * The limits that keep every one of `specs` (guards that configured one key differently): the strictest
 * rate and concurrency. Rates are folded shortest window first, then fewest requests, so that any order of
 * `specs` (and the Lua mirror) gives the same result.
 */
export function strictestLimits(specs: readonly LimitSpec[]): LimitSpec {
  const rates: RateSpec[] = [];
  let concurrent: number | undefined;
  for (const spec of specs) {
    if (spec.requests !== undefined) rates.push({ requests: spec.requests, perMs: spec.perMs ?? DEFAULT_WINDOW_MS });
    concurrent = stricter(concurrent, spec.concurrent);
  }
  rates.sort((a, b) => a.perMs - b.perMs || a.requests - b.requests);
  const merged: LimitSpec = {};
  if (rates.length > 0) {
    const rate = rates.reduce(strictestRate);
    merged.requests = rate.requests;
    merged.perMs = rate.perMs;
  }
  if (concurrent !== undefined) merged.concurrent = concurrent;
  return merged;
}

/** A configured spec as a short text that both stores derive alike (the Lua reads the same numbers). */
export function limitsSignature(limits: LimitSpec): string {
  const part = (value: number | undefined) => (value === undefined ? '' : String(value));
  return `${part(limits.requests)}/${part(limits.perMs)}/${part(limits.concurrent)}`;
}
