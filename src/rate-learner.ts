/**
 * Learning a rate nobody names: the rules, in one place (src/redis/lua-rules.ts mirrors each under the same
 * name). Used for a key with nothing configured whose server throttles without saying its limit (nginx
 * `limit_req`, API gateways, Genesys' body-only 429s). A rate the server names or advertises replaces it.
 *
 * The server's limiter is one of two kinds, and what it accepted tells which and how fast:
 * - a window (N per W) accepts N at once and then nothing until the window moves on;
 * - a bucket (rate R, burst b) accepts b + 1 at once and then R per second.
 * 1. At the first throttle, the requests accepted in the second before it (the flash) are a window
 *    server's quota, or a bucket's burst. With none accepted, the throttle tells nothing of the rate
 *    (someone else spent the quota): the pause is all.
 * 2. Probe: from the end of the pause, pace at PROBE_FACTOR × flash per second; after each PROBE_PERIOD_MS
 *    (the first level FIRST_PROBE_PERIOD_MS) at full use without a throttle, multiply by PROBE_STEP.
 * 3. The probe's throttle (an overshoot) tells the kind and the rate, from two bounds on a bucket's rate:
 *    - in the second before it, a bucket accepted its rate plus what its burst held at the start of that
 *      second, at most the burst, and the last accepted found room: accepted − flash is at most its rate;
 *    - since the probe began (`probeAt`, the end of the pause), a bucket accepted its rate × that time plus
 *      at most its burst, and the last accepted found room: (accepted − flash) / time is at most its rate.
 *      The probe's levels add up, so this bound tightens as it runs (its error is 1 request per probe
 *      second), where the first bound is off by what the burst held a second ago (up to flash − 1). The time
 *      is at least ESTIMATE_WINDOW_MS: within the window the flash was counted in, a window server takes its
 *      quota at once, and the flash may have undercounted it.
 *    The larger bound is the bucket's rate. A window accepted its quota, about the flash again, which
 *    leaves both bounds near 0: at most half the flash means a window of max(flash, accepted) per second,
 *    sent as one (all of it at once, which a window allows and pacing would waste). Otherwise a bucket of
 *    max(flash, that rate). The probe stops.
 * 4. Settled, the rate that held is kept (`heldRate`). Every `periodMs` at full use without a throttle it
 *    grows by SETTLED_STEP, in case the server's limit went up. A throttle after such a step goes back to
 *    the rate that held and doubles `periodMs` (up to MAX_SETTLED_PERIOD_MS): against a fixed limit a probe
 *    costs one Retry-After each time, so it is made rarer. A throttle at a rate that had held steps back
 *    below what was accepted in the last second (the server lowered its limit, or others share it).
 * Full use: the level started at least FULL_USE of what its rate allowed; a trickle proves nothing.
 *
 * A probe is paced (spaced requests, small bursts): a bucket rejects a window's worth sent at once, and
 * pacing at a window server's N per W keeps to it as well. A settled bucket is sent in bursts its flash
 * showed it holds (bucketLimits).
 */

/** What the guard knows of a key's unnamed rate. O(1) state, all numbers (the Lua keeps the same fields). */
export interface RateEstimate {
  /** Requests per second the key is held to. */
  rate: number;
  /** Requests accepted in the second before the first throttle: a window's quota, or a bucket's burst + 1. */
  flash: number;
  /** No throttle since the first: the rate is still being probed upward. */
  probing: boolean;
  /** The server behaved as a window: `rate` per second is sent as a window, not paced. */
  window: boolean;
  /** Settled: the highest rate that held a whole period without a throttle (a step up above it may fail). */
  heldRate: number;
  /** Settled: how long a level must hold at full use before the next step up. */
  periodMs: number;
  /** When the current rate took effect: the end of the pause that set it, or the step up. */
  levelAt: number;
  /** Requests started since `levelAt`. */
  levelStarts: number;
  /** Probing: when the probe began (the end of the first throttle's pause). */
  probeAt: number;
  /** Probing: requests started since `probeAt`, over all its levels. */
  probeStarts: number;
}

/** How much faster than the flash the probe starts (above a bucket's rate unless its burst is large). */
export const PROBE_FACTOR = 4;
/** Each step up of the probe. */
export const PROBE_STEP = 2;
/** A probe level that ran this long at full use without a throttle steps up... */
export const PROBE_PERIOD_MS = 1000;
/**
 * ...except the first, which runs this long: it follows the pause, so a bucket starts it empty, and at a
 * level p above its rate R a bucket holding c fills in c / (p − R) s. The longer the level, the smaller
 * the rate it can tell apart (nginx's 20 r/s, burst 5, probed at 24: 2 s), and the smaller the
 * whole-probe bound's error (1 request over the probe's time).
 */
export const FIRST_PROBE_PERIOD_MS = 2000;
/** Settled, the rate grows by SETTLED_STEP after this long at full use without a throttle... */
export const SETTLED_PERIOD_MS = 30_000;
export const SETTLED_STEP = 1.25;
/** ...and each step up that draws a throttle doubles that period, up to this. */
export const MAX_SETTLED_PERIOD_MS = 600_000;
/** Below what was accepted, on a throttle at a rate that had held. */
export const STEP_BACK = 0.9;
/** A level counts as used when it started at least this share of what its rate allowed. */
export const FULL_USE = 0.8;
/** Paced bursts are at least this far apart, so that a fast rate is not a timer per request. */
export const PACED_BURST_MS = 50;
/** The window a `window` estimate is sent in: the second its flash was counted in. */
export const ESTIMATE_WINDOW_MS = 1000;

/** The first throttle of a key with no rate: the flash, probed from the end of the pause. */
export function firstEstimate(acceptedInLastSecond: number, resumeAt: number): RateEstimate {
  const flash = Math.max(1, acceptedInLastSecond);
  return {
    rate: flash * PROBE_FACTOR,
    flash,
    probing: true,
    window: false,
    heldRate: 0,
    periodMs: SETTLED_PERIOD_MS,
    levelAt: resumeAt,
    levelStarts: 0,
    probeAt: resumeAt,
    probeStarts: 0,
  };
}

/** A request of the key started at `now`. */
export function countStart(estimate: RateEstimate, now: number): void {
  if (now >= estimate.levelAt) estimate.levelStarts++;
  if (estimate.probing && now >= estimate.probeAt) estimate.probeStarts++;
}

/** A start counted at `at` never went out (its slot came back unused): it proves nothing, so it is taken back. */
export function uncountStart(estimate: RateEstimate, at: number): void {
  if (at >= estimate.levelAt && estimate.levelStarts > 0) estimate.levelStarts--;
  if (estimate.probing && at >= estimate.probeAt && estimate.probeStarts > 0) estimate.probeStarts--;
}

/**
 * A throttle (not stale) at `now` while the estimate was in force, `inFlight` requests of the key out (the
 * throttled one included: none of them is known to be accepted); the rate holds again from `resumeAt`.
 */
export function estimateAfterThrottle(estimate: RateEstimate, acceptedInLastSecond: number, inFlight: number, now: number, resumeAt: number): void {
  if (estimate.probing) {
    // Over less than the second the flash was counted in, a window server may take its whole quota, which
    // the flash can undercount (Genesys: a flash of 37 of 48): the bound then only spans that second.
    const probeSeconds = Math.max(ESTIMATE_WINDOW_MS, now - estimate.probeAt) / 1000;
    const sinceProbe = (estimate.probeStarts - inFlight - estimate.flash) / probeSeconds;
    const bucketRate = Math.min(estimate.rate, Math.max(acceptedInLastSecond - estimate.flash, sinceProbe));
    if (bucketRate <= estimate.flash / 2) {
      estimate.window = true;
      estimate.rate = Math.max(estimate.flash, acceptedInLastSecond);
    } else {
      estimate.rate = Math.max(estimate.flash, bucketRate);
    }
    estimate.probing = false;
  } else if (estimate.rate > estimate.heldRate && estimate.heldRate > 0) {
    estimate.rate = estimate.heldRate;
    estimate.periodMs = Math.min(MAX_SETTLED_PERIOD_MS, estimate.periodMs * 2);
  } else {
    estimate.rate = Math.max(1, Math.min(estimate.rate, acceptedInLastSecond) * STEP_BACK);
  }
  estimate.heldRate = estimate.rate;
  estimate.levelAt = resumeAt;
  estimate.levelStarts = 0;
}

/**
 * A success: steps the rate up when its level held long enough at full use. A level that was not used
 * proved nothing (a trickle of requests must not grow the rate): it starts over.
 */
export function stepUp(estimate: RateEstimate, now: number): boolean {
  const elapsed = now - estimate.levelAt;
  if (elapsed < levelPeriod(estimate)) return false;
  if (estimate.levelStarts < (FULL_USE * estimate.rate * elapsed) / 1000) {
    estimate.levelAt = now;
    estimate.levelStarts = 0;
    return false;
  }
  if (estimate.probing) estimate.rate *= PROBE_STEP;
  else {
    estimate.heldRate = estimate.rate;
    estimate.rate *= SETTLED_STEP;
  }
  estimate.levelAt = now;
  estimate.levelStarts = 0;
  return true;
}

/** How long the estimate's level must hold at full use before it steps up. */
export function levelPeriod(estimate: RateEstimate): number {
  if (!estimate.probing) return estimate.periodMs;
  return estimate.rate === estimate.flash * PROBE_FACTOR ? FIRST_PROBE_PERIOD_MS : PROBE_PERIOD_MS;
}

/**
 * The limits the log enforces for an estimate: a window of whole requests per second; a settled bucket in
 * bursts its flash holds; while probing, paced.
 */
export function estimateLimits(estimate: RateEstimate): { requests: number; perMs: number } {
  if (estimate.window) return { requests: Math.max(1, Math.floor(estimate.rate)), perMs: ESTIMATE_WINDOW_MS };
  if (!estimate.probing) return bucketLimits(estimate.rate, estimate.flash);
  return pacedLimits(estimate.rate);
}

/**
 * A bucket of `rate` that accepted `flash` at once: bursts of k every k / rate s. In any span t that puts at
 * most rate × t + k into it, which a bucket accepts while k ≤ flash (it holds flash − 1 and takes one more);
 * k = flash − 2 leaves it one in hand. Bursts waste less of the rate than single requests do: each slot of
 * the window log loses the time a request takes to be stamped, once per burst instead of once per request.
 */
export function bucketLimits(rate: number, flash: number): { requests: number; perMs: number } {
  const k = Math.max(1, Math.min(flash - 2, Math.ceil(rate)));
  return { requests: k, perMs: (1000 * k) / rate };
}

/**
 * A rate as a window the log enforces: k requests per window, k the bursts that PACED_BURST_MS allows.
 * Bursts of k, spaced k / (rate − k + 1) s apart, never put more than `rate` into any second.
 */
export function pacedLimits(rate: number): { requests: number; perMs: number } {
  const k = Math.max(1, Math.ceil((rate * PACED_BURST_MS) / 1000));
  return { requests: k, perMs: (1000 * k) / (rate - k + 1) };
}
