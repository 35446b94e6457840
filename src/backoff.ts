/** Pure delay rules: exponential backoff when the server gave no delay, and jitter on top of any delay. */

export interface BackoffOptions {
  /** First delay in ms. @default 1000 (Clover: "pause for one second before making another API request") */
  baseMs: number;
  /** Largest backoff delay in ms. It caps backoff only, never a delay the server asked for. @default 60_000 */
  maxMs: number;
}

export interface JitterOptions {
  /** Extra random wait as a fraction of the delay. @default 0.1 */
  ratio: number;
  /** Upper bound of the extra random wait, in ms. @default 1000 */
  maxMs: number;
}

/**
 * Delay before the next attempt after the `strike`-th consecutive 429 that named no delay (strike ≥ 1):
 * base, 2×base, 4×base… capped at `maxMs`. Jitter is added separately by {@link addJitter}.
 */
export function exponentialBackoff(strike: number, options: BackoffOptions): number {
  const exponent = Math.max(0, Math.min(strike - 1, 52));
  return Math.min(options.maxMs, options.baseMs * 2 ** exponent);
}

/**
 * `delayMs` plus a random extra in [0, min(delayMs × ratio, maxMs)). Jitter only ever lengthens a wait:
 * a server's Retry-After is a minimum, and clients that all wake at the same instant stampede.
 */
export function addJitter(delayMs: number, options: JitterOptions, random: () => number): number {
  const spread = Math.min(delayMs * options.ratio, options.maxMs);
  return delayMs + (spread > 0 ? random() * spread : 0);
}
