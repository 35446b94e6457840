/** Opaque handle returned by {@link Clock.setTimer}. */
export type TimerHandle = unknown;

/**
 * Everything the guard needs from time and chance, injected so that tests can drive it with fake time
 * ("after 999 ms nothing is sent; at 1000 ms one is") instead of sleeping.
 */
export interface Clock {
  /** Monotonic milliseconds: windows and pauses are measured on it, so wall-clock steps cannot break them. */
  now(): number;
  /** Wall-clock epoch milliseconds, only to turn an HTTP-date Retry-After into a delay. */
  wallNow(): number;
  /**
   * Runs `fn` once after `ms`. `unref: true` marks housekeeping timers that must not keep a Node process
   * alive; timers that a waiting request depends on stay referenced, or Node could exit with it unsettled.
   */
  setTimer(fn: () => void, ms: number, options?: { unref?: boolean }): TimerHandle;
  clearTimer(handle: TimerHandle): void;
  /** A number in [0, 1), for jitter. */
  random(): number;
}

/** The longest delay a timer can hold: setTimeout fires at once (after 1 ms) for anything longer. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A wait as a timer delay: whole ms, never negative, never beyond {@link MAX_TIMER_MS}. Whoever arms a
 * timer for a longer wait gets woken early and arms again for what is left, instead of a spinning 1 ms timer.
 */
export function timerDelay(ms: number): number {
  return Math.min(MAX_TIMER_MS, Math.max(0, Math.ceil(ms)));
}

const monotonicNow: () => number =
  typeof performance !== 'undefined' && typeof performance.now === 'function'
    ? () => performance.now()
    : () => Date.now();

/** The real clock: `performance.now()`, `Date.now()`, `setTimeout` and `Math.random()`. */
export const systemClock: Clock = {
  now: monotonicNow,
  wallNow: () => Date.now(),
  setTimer(fn, ms, options) {
    const handle = setTimeout(fn, timerDelay(ms)) as unknown as { unref?: () => void };
    // Browsers return a number; Node returns a Timeout that can be unref'd.
    if (options?.unref && typeof handle?.unref === 'function') handle.unref();
    return handle;
  },
  clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  random: () => Math.random(),
};
