/**
 * Finding the limits when nobody says them: additive increase, multiplicative decrease (AIMD), as TCP
 * congestion control and adaptive concurrency limiters do. Pure rules; the store keeps the state per key.
 *
 * Concurrency starts at 1 and doubles every round trip (slow start) up to 2, then grows by one per round
 * trip of full use; a throttle halves it. Past slow start it grows only while it is what holds the key
 * back: by Little's law the key's throughput needs (starts per second × round trip) in flight, and a window
 * of AIMD_HEADROOM times that is not what limits it (its rate is, as TCP leaves an application-limited
 * window alone, RFC 7661). Growing it then would only cross the server's concurrency limit for nothing: a
 * 429 whose Retry-After pauses the key. An unnamed rate is rate-learner.ts's.
 */
export interface AimdState {
  /** Requests allowed in flight (fractional: it grows by 1/window per success). */
  window: number;
  /** Below it, the window doubles per round trip; above, it grows by one. */
  threshold: number;
  /** When the state began (the key's first use): the span over which a young key's starts are counted. */
  since: number;
  /** Smoothed round trip of the key's answers (ms), as TCP's SRTT (gain 1/8); 0 before the first. */
  roundTripMs: number;
}

/**
 * Slow start ends at 2 in flight. Every request on the wire when an unknown limit runs out is a 429 (nginx's
 * burst of 6 drew one per request in flight: 4 with slow start to 4, 2 now); past 2 the window grows by one
 * per round trip, so it overshoots a concurrency limit by one, and the ramp costs a round trip more than
 * doubling to 4 would.
 */
export const INITIAL_AIMD: Readonly<Pick<AimdState, 'window' | 'threshold'>> = { window: 1, threshold: 2 };

/** Past slow start, the window grows only while below this many times what the throughput needs in flight. */
export const AIMD_HEADROOM = 2;
/** The weight of a new round trip in the smoothed one. */
export const ROUND_TRIP_GAIN = 1 / 8;

/** Highest adaptive concurrency, so a long quiet success streak cannot grow it without bound. */
const MAX_WINDOW = 1000;

export function initialAimd(now: number): AimdState {
  return { ...INITIAL_AIMD, since: now, roundTripMs: 0 };
}

/**
 * A request ended well after `roundTripMs`, while `inFlight` (itself included) were out and the key had
 * started `startsInLastSecond`: grow if the window was in use and is what holds the key back.
 */
export function aimdOnSuccess(state: AimdState, inFlight: number, roundTripMs: number, startsInLastSecond: number, now: number): void {
  state.roundTripMs = state.roundTripMs === 0 ? roundTripMs : state.roundTripMs + (roundTripMs - state.roundTripMs) * ROUND_TRIP_GAIN;
  if (inFlight < Math.floor(state.window)) return; // not limited by the window: no evidence it can grow
  if (state.window >= state.threshold) {
    // A young key's starts span less than a second: its rate is what it started over its life so far.
    const spanMs = Math.min(1000, Math.max(now - state.since, state.roundTripMs, 1));
    if (state.window >= (AIMD_HEADROOM * startsInLastSecond * state.roundTripMs) / spanMs) return;
  }
  state.window = Math.min(MAX_WINDOW, state.window + (state.window < state.threshold ? 1 : 1 / state.window));
}

/** A throttle while `inFlight` (itself included) were out: halve. */
export function aimdOnThrottle(state: AimdState, inFlight: number): void {
  state.threshold = Math.max(1, Math.floor(Math.min(state.window, inFlight) / 2));
  state.window = state.threshold;
}

/** Buckets of a StartCounter: its count is exact to one bucket, a tenth of the window. */
export const START_BUCKETS = 10;

/**
 * Counts starts in the last `windowMs`, in START_BUCKETS buckets: O(1) memory per key. The count is that of
 * the current bucket and the ones before it that fit the window, so it may miss up to one bucket's worth at
 * the far end (never more than were started). Bursts are what the learner sees, so the buckets must be fine:
 * two halves weighted by overlap once counted a burst of 48 as 39.
 */
export class StartCounter {
  private readonly bucketMs: number;
  private readonly counts = new Array<number>(START_BUCKETS).fill(0);
  /** The bucket number (time / bucketMs) of the latest start or count. */
  private slot = 0;

  constructor(windowMs: number) {
    this.bucketMs = windowMs / START_BUCKETS;
  }

  add(now: number): void {
    this.roll(now);
    this.counts[this.slot % START_BUCKETS]++;
  }

  /** Takes back a start added at `at` that never went out (its slot came back unused), if still counted. */
  remove(at: number, now: number): void {
    this.roll(now);
    const slot = Math.max(0, Math.floor(at / this.bucketMs));
    const bucket = slot % START_BUCKETS;
    if (slot > this.slot - START_BUCKETS && slot <= this.slot && this.counts[bucket] > 0) this.counts[bucket]--;
  }

  count(now: number): number {
    this.roll(now);
    let total = 0;
    for (const n of this.counts) total += n;
    return total;
  }

  /** Empties the buckets that the window has left since the last call. */
  private roll(now: number): void {
    const slot = Math.max(0, Math.floor(now / this.bucketMs));
    if (slot <= this.slot) return;
    for (let i = 1; i <= Math.min(START_BUCKETS, slot - this.slot); i++) this.counts[(this.slot + i) % START_BUCKETS] = 0;
    this.slot = slot;
  }
}
