/**
 * The rate learner's rules (src/rate-learner.ts), one scenario each, on numbers a server of each kind
 * produces; the Lua mirror is held to the same rules by __tests__/redis/rate-learner.differential.test.ts.
 */
import fc from 'fast-check';
import { StartCounter, START_BUCKETS } from '../src/adaptive';
import { SlidingWindowLog } from '../src/sliding-window';
import {
  bucketLimits,
  countStart,
  estimateAfterThrottle,
  estimateLimits,
  firstEstimate,
  FIRST_PROBE_PERIOD_MS,
  MAX_SETTLED_PERIOD_MS,
  PROBE_FACTOR,
  PROBE_PERIOD_MS,
  PROBE_STEP,
  SETTLED_PERIOD_MS,
  SETTLED_STEP,
  stepUp,
  type RateEstimate,
} from '../src/rate-learner';

/** `n` starts spread evenly over [from, to), then a success at `to`. */
function useLevel(estimate: RateEstimate, from: number, to: number, n: number): boolean {
  for (let i = 0; i < n; i++) countStart(estimate, from + ((to - from) * i) / n);
  return stepUp(estimate, to);
}

describe('the rate learner', () => {
  it('probes at PROBE_FACTOR times the flash from the end of the first pause', () => {
    const estimate = firstEstimate(16, 1300);
    expect(estimate).toMatchObject({ rate: 16 * PROBE_FACTOR, flash: 16, probing: true, window: false, levelAt: 1300 });
  });

  it('takes a window server for one: the probe got no more than the flash again, so it is sent as a window of it per second', () => {
    // 16 per second, sliding: 16 at once, the 17th refused; after the pause, the probe's 16 again, then refused.
    const estimate = firstEstimate(16, 1300);
    useLevel(estimate, 1300, 1550, 17);
    estimateAfterThrottle(estimate, 16, 1, 1600, 2600);
    expect(estimate).toMatchObject({ window: true, rate: 16, probing: false, heldRate: 16 });
    expect(estimateLimits(estimate)).toEqual({ requests: 16, perMs: 1000 });
  });

  it('takes a bucket for one: more accepted since the probe began than its rate and its burst allow at once', () => {
    // nginx limit_req 20 r/s, burst 5: 6 at once, then a 1 s pause. The probe at 24/s (22 arrive a second, paced)
    // for its first level's 2 s (44 accepted, the bucket filling by 2 a second), then at 48/s: 2 more accepted
    // and the third, 2.05 s into the probe, refused. Since the probe began, at most 6 could have come from the
    // burst: at least (46 − 6) / 2.05 s = 19.5/s. In the last second, 24 were accepted, of which up to 6 were
    // the burst: at least 18/s, a bound off by what the burst held a second before (up to 5).
    const estimate = firstEstimate(6, 1000);
    expect(useLevel(estimate, 1000, 3000, 44)).toBe(true);
    for (const at of [3000, 3020, 3040]) countStart(estimate, at);
    estimateAfterThrottle(estimate, 24, 1, 3050, 4050);
    expect(estimate).toMatchObject({ window: false, probing: false });
    expect(estimate.rate).toBeCloseTo(40 / 2.05, 6);
    expect(estimate.heldRate).toBe(estimate.rate);
    const limits = estimateLimits(estimate);
    expect((limits.requests * 1000) / limits.perMs).toBeLessThanOrEqual(20);
  });

  it('holds the first probe level FIRST_PROBE_PERIOD_MS and each later one PROBE_PERIOD_MS', () => {
    const estimate = firstEstimate(6, 0);
    const full = (ms: number) => Math.ceil((estimate.rate * ms) / 1000);
    expect(useLevel(estimate, 0, FIRST_PROBE_PERIOD_MS - 1, full(FIRST_PROBE_PERIOD_MS))).toBe(false);
    expect(stepUp(estimate, FIRST_PROBE_PERIOD_MS)).toBe(true);
    expect(estimate.rate).toBe(6 * PROBE_FACTOR * PROBE_STEP);
    const at = FIRST_PROBE_PERIOD_MS;
    expect(useLevel(estimate, at, at + PROBE_PERIOD_MS - 1, full(PROBE_PERIOD_MS))).toBe(false);
    expect(stepUp(estimate, at + PROBE_PERIOD_MS)).toBe(true);
    expect(estimate.rate).toBe(6 * PROBE_FACTOR * PROBE_STEP ** 2);
  });

  it("bounds a bucket's rate by the probe's whole run: never above it, and within 1 request per probe second below it", () => {
    // A bucket of `rate` per second holding `burst` (nginx limit_req nodelay), probed from the end of its first
    // pause (empty by then) at the learner's rates, requests evenly spaced, until it refuses one. (A bucket
    // whose rate is under twice its flash, or whose burst is 1 or 2, is refused within a fraction of a second: it
    // looks like a window of its flash and is sent as one.)
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 30 }), fc.double({ min: 2, max: 4, noNaN: true }), (burst, rateOverFlash) => {
        const flash = burst + 1;
        const rate = flash * rateOverFlash; // twice the flash or more, below the probe's first level
        const estimate = firstEstimate(flash, 0);
        const accepted: number[] = [];
        let level = 0;
        let at = 0;
        let now = 0;
        for (;;) {
          level = Math.max(0, level - ((now - at) * rate) / 1000);
          at = now;
          countStart(estimate, now);
          if (level + 1 > flash + 1e-9) break;
          level += 1;
          accepted.push(now);
          stepUp(estimate, now);
          now += 1000 / estimate.rate;
        }
        const inLastSecond = accepted.filter((t) => t > now - 1000).length;
        estimateAfterThrottle(estimate, inLastSecond, 1, now, now + 1000);
        expect(estimate.window).toBe(false);
        expect(estimate.rate).toBeLessThanOrEqual(rate + 1e-9);
        // A probe refused within its first second is judged on that second (as a window would be): at least the flash.
        const bound = now >= 1000 ? Math.max(flash, rate - 1000 / now) : flash;
        expect(estimate.rate).toBeGreaterThanOrEqual(Math.min(rate, bound) - 1e-9);
      }),
      { numRuns: 300 },
    );
  });

  it('never paces a bucket below its flash per second, nor above the probe', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 500 }), fc.integer({ min: 0, max: 5000 }), (flash, accepted) => {
        const estimate = firstEstimate(flash, 0);
        estimateAfterThrottle(estimate, accepted, 0, 0, 1000);
        expect(estimate.rate).toBeGreaterThanOrEqual(flash);
        expect(estimate.rate).toBeLessThanOrEqual(flash * PROBE_FACTOR);
        expect(estimate.window).toBe(accepted - flash <= flash / 2);
      }),
    );
  });

  it('settled, steps up after a full period at full use, and a throttle after the step goes back to what held and doubles the period', () => {
    const estimate = firstEstimate(16, 0);
    estimateAfterThrottle(estimate, 16, 0, 0, 1000); // a window of 16
    expect(useLevel(estimate, 1000, 1000 + SETTLED_PERIOD_MS - 1, 16 * 30)).toBe(false);
    expect(useLevel(estimate, 1000 + SETTLED_PERIOD_MS - 1, 1000 + SETTLED_PERIOD_MS, 0)).toBe(true);
    expect(estimate).toMatchObject({ rate: 16 * SETTLED_STEP, heldRate: 16 });
    expect(estimateLimits(estimate)).toEqual({ requests: 20, perMs: 1000 });

    estimateAfterThrottle(estimate, 20, 1, 40_000, 41_000);
    expect(estimate).toMatchObject({ rate: 16, heldRate: 16, periodMs: 2 * SETTLED_PERIOD_MS, levelAt: 41_000 });
    // The period doubles on every failed step, up to its cap.
    for (let i = 0; i < 10; i++) {
      const at = estimate.levelAt;
      useLevel(estimate, at, at + estimate.periodMs, Math.ceil((estimate.rate * estimate.periodMs) / 1000));
      estimateAfterThrottle(estimate, 20, 1, at + estimate.periodMs + 10, at + estimate.periodMs + 1010);
    }
    expect(estimate.periodMs).toBe(MAX_SETTLED_PERIOD_MS);
    expect(estimate.rate).toBe(16);
  });

  it('a throttle at a rate that had held steps back below what was accepted', () => {
    const estimate = firstEstimate(16, 0);
    estimateAfterThrottle(estimate, 16, 0, 0, 1000);
    estimateAfterThrottle(estimate, 10, 1, 5000, 6000); // the server lowered its limit (or others share it)
    expect(estimate).toMatchObject({ rate: 9, heldRate: 9, periodMs: SETTLED_PERIOD_MS });
  });

  it('a level that was not used proves nothing: no step up from a trickle', () => {
    const estimate = firstEstimate(10, 0);
    expect(useLevel(estimate, 0, 2000, 5)).toBe(false);
    expect(estimate.rate).toBe(10 * PROBE_FACTOR);
  });
});

describe('a settled bucket, sent in bursts', () => {
  it('never draws a refusal from a bucket of the estimated rate that accepted the flash at once (greedy sender, the log deciding)', () => {
    fc.assert(
      fc.property(fc.double({ min: 1, max: 200, noNaN: true }), fc.integer({ min: 1, max: 60 }), (rate, flash) => {
        const { requests, perMs } = bucketLimits(rate, flash);
        expect(requests).toBeLessThanOrEqual(Math.max(1, flash - 2));
        // The bucket: `flash` tokens at most (burst + 1), refilled at `rate` per second.
        let tokens = Math.max(flash, 1);
        let at = 0;
        const log = new SlidingWindowLog(requests, perMs);
        let now = 0;
        for (let sent = 0; sent < 500; ) {
          const wait = log.waitMs(now) ?? 0; // never undefined here: every entry is stamped as it is sent
          if (wait > 0) {
            now += wait;
            continue;
          }
          tokens = Math.min(Math.max(flash, 1), tokens + ((now - at) * rate) / 1000);
          at = now;
          expect(tokens).toBeGreaterThanOrEqual(1 - 1e-9);
          tokens -= 1;
          log.settle(log.record(now), now, now); // arrives as it is sent
          sent++;
        }
        // ... and keeps the estimated rate: 500 requests take no longer than the rate allows, plus one burst.
        expect(now).toBeLessThanOrEqual(((500 - requests) * 1000) / rate + perMs + 1e-6);
      }),
      { numRuns: 200 },
    );
  });
});

describe('StartCounter', () => {
  it('counts the starts of the last window to within one bucket, never more than were started in it', () => {
    const windowMs = 1000;
    const bucketMs = windowMs / START_BUCKETS;
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 400 }), fc.boolean()), { maxLength: 300 }), (steps) => {
        const counter = new StartCounter(windowMs);
        const starts: number[] = [];
        let now = 0;
        for (const [dt, start] of steps) {
          now += dt;
          if (start) {
            counter.add(now);
            starts.push(now);
          }
          const count = counter.count(now);
          const within = (span: number) => starts.filter((t) => t > now - span).length;
          expect(count).toBeLessThanOrEqual(within(windowMs));
          expect(count).toBeGreaterThanOrEqual(within(windowMs - bucketMs));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('counts a burst at once fully, whichever half of the window it fell in', () => {
    const counter = new StartCounter(1000);
    for (let i = 0; i < 48; i++) counter.add(950);
    expect(counter.count(1400)).toBe(48);
    expect(counter.count(1850)).toBe(48);
    expect(counter.count(1950)).toBe(0);
  });
});
