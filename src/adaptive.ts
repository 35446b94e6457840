/**
 * Finding the limits when nobody says them: additive increase, multiplicative decrease (AIMD), as TCP
 * congestion control and adaptive concurrency limiters do. Pure rules; the store keeps the state per key.
 *
 * Concurrency starts at 1 and doubles every round trip (slow start) up to 4, then grows by one per round
 * trip of full use; a throttle halves it. An unnamed rate is rate-learner.ts's.
 */
export interface AimdState {
  /** Requests allowed in flight (fractional: it grows by 1/window per success). */
  window: number;
  /** Below it, the window doubles per round trip; above, it grows by one. */
  threshold: number;
}

/**
 * Slow start ends at 4 in flight: doubling further would overshoot an unknown limit by up to 2x and draw
 * that many 429s at once; growing by one per round trip overshoots by one, so a limit costs one 429.
 */
export const INITIAL_AIMD: Readonly<AimdState> = { window: 1, threshold: 4 };

/** Highest adaptive concurrency, so a long quiet success streak cannot grow it without bound. */
const MAX_WINDOW = 1000;

/** A request ended well while `inFlight` (itself included) were out: grow if the window was in use. */
export function aimdOnSuccess(state: AimdState, inFlight: number): void {
  if (inFlight < Math.floor(state.window)) return; // not limited by the window: no evidence it can grow
  state.window = Math.min(MAX_WINDOW, state.window + (state.window < state.threshold ? 1 : 1 / state.window));
}

/** A throttle while `inFlight` (itself included) were out: halve. */
export function aimdOnThrottle(state: AimdState, inFlight: number): void {
  state.threshold = Math.max(1, Math.floor(Math.min(state.window, inFlight) / 2));
  state.window = state.threshold;
}

/** Counts starts in the last `windowMs` approximately, in two buckets: O(1) memory per key. */
export class StartCounter {
  private bucketStart = 0;
  private current = 0;
  private previous = 0;

  constructor(private readonly windowMs: number) {}

  add(now: number): void {
    this.roll(now);
    this.current++;
  }

  /** Starts in the window ending at `now` (the previous bucket weighted by its overlap). */
  count(now: number): number {
    this.roll(now);
    const overlap = 1 - (now - this.bucketStart) / this.windowMs;
    return this.current + Math.round(this.previous * Math.max(0, overlap));
  }

  private roll(now: number): void {
    const elapsed = now - this.bucketStart;
    if (elapsed < this.windowMs) return;
    this.previous = elapsed < 2 * this.windowMs ? this.current : 0;
    this.current = 0;
    this.bucketStart = now - (elapsed % this.windowMs);
  }
}
