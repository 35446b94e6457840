import type { LearnedLimits, LimitSpec } from './store.js';

/** Window assumed for a rate the server names without one (Clover's limits are per second). */
export const DEFAULT_WINDOW_MS = 1000;

/** The stricter of two optional limits. */
function stricter(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

/** What the guard enforces on a key: configured and learned limits, the stricter of each. */
export function effectiveLimits(configured: LimitSpec, learned: LearnedLimits): LimitSpec {
  const requests = stricter(configured.requests, learned.requests);
  const concurrent = stricter(configured.concurrent, learned.concurrent);
  return {
    requests,
    perMs: requests === undefined ? undefined : configured.perMs ?? DEFAULT_WINDOW_MS,
    concurrent,
  };
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
