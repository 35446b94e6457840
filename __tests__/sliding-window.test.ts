import { SlidingWindowLog } from '../src/sliding-window';

/** Largest number of starts inside any half-open interval [t, t + windowMs). */
function maxInAnyWindow(starts: number[], windowMs: number): number {
  let max = 0;
  let lo = 0;
  for (let hi = 0; hi < starts.length; hi++) {
    // 1e-9: a waiter that comes back after exactly `wait` ms lands on start + W up to float rounding.
    while (starts[hi] - starts[lo] >= windowMs - 1e-9) lo++;
    max = Math.max(max, hi - lo + 1);
  }
  return max;
}

describe('SlidingWindowLog', () => {
  it('admits N at once, then the next exactly when the oldest leaves the window', () => {
    const log = new SlidingWindowLog(3, 1000);
    for (let i = 0; i < 3; i++) {
      expect(log.waitMs(0)).toBe(0);
      log.settle(log.record(0), 0, 0);
    }
    expect(log.waitMs(0)).toBe(1000);
    expect(log.waitMs(999)).toBe(1);
    expect(log.waitMs(1000)).toBe(0);
  });

  it('never starts more than N in any window, whatever the arrival pattern (randomised)', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let round = 0; round < 50; round++) {
      const limit = 1 + Math.floor(rand() * 20);
      const windowMs = 50 + Math.floor(rand() * 1000);
      const log = new SlidingWindowLog(limit, windowMs);
      const starts: number[] = [];
      let now = 0;
      for (let i = 0; i < 2000; i++) {
        now += rand() < 0.5 ? 0 : rand() * windowMs * 0.3;
        const wait = log.waitMs(now) ?? 0;
        if (wait === 0) {
          log.settle(log.record(now), now, now);
          starts.push(now);
        } else if (rand() < 0.5) {
          now += wait; // a waiter that comes back exactly when told
          log.settle(log.record(now), now, now);
          starts.push(now);
        }
      }
      expect(maxInAnyWindow(starts, windowMs)).toBeLessThanOrEqual(limit);
    }
  });

  it('sustains the full limit when saturated (N per W over a long run)', () => {
    const log = new SlidingWindowLog(50, 1000);
    let now = 0;
    let started = 0;
    while (now < 60_000) {
      now += log.waitMs(now) ?? 0;
      if (now >= 60_000) break;
      log.settle(log.record(now), now, now);
      started++;
    }
    expect(started).toBe(50 * 60);
  });

  it('keeps counting every start of the window when the limit shrinks and grows back', () => {
    const log = new SlidingWindowLog(5, 1000);
    for (const t of [0, 100, 200, 300, 400]) log.settle(log.record(t), t, t);
    log.resize(2);
    // Five in the window, two allowed: four must leave it first; the fourth oldest (300) leaves at 1300.
    expect(log.waitMs(500)).toBe(800);
    expect(log.used(500)).toBe(5);
    // Growing back to 4 within the same window must not forget them: the 2nd oldest (100) leaves at 1100.
    log.resize(4);
    expect(log.waitMs(500)).toBe(600);
    expect(log.waitMs(1100)).toBe(0);
  });

  it('reports idle once every start has left the window', () => {
    const log = new SlidingWindowLog(2, 100);
    expect(log.isIdle(0)).toBe(true);
    const entry = log.record(10);
    expect(log.isIdle(500)).toBe(false); // still in flight
    log.settle(entry, 10, 10);
    expect(log.isIdle(109)).toBe(false);
    expect(log.isIdle(110)).toBe(true);
  });

  it('holds an in-flight request in the window until it is answered', () => {
    const log = new SlidingWindowLog(1, 1000);
    const entry = log.record(0);
    expect(log.waitMs(5000)).toBeUndefined();
    log.settle(entry, 0, 5000);
    // The first N answers know nothing of the link: the request may have arrived just before its answer.
    expect(log.waitMs(5000)).toBe(1000);
    expect(log.used(5999)).toBe(1);
    expect(log.used(6000)).toBe(0);
  });

  it('stamps a slow answer no earlier than its answer while round trips vary that much (a cold connection)', () => {
    const log = new SlidingWindowLog(2, 1000);
    // Two warm-up answers of 5 ms set the fastest round trip once N answers are in.
    log.settle(log.record(0), 0, 5);
    log.settle(log.record(0), 0, 5);
    // Then, when the window allows (1005), one answered in 35 ms (a cold connection: it may have reached
    // the server 30 ms late) ...
    expect(log.waitMs(1005)).toBe(0);
    log.settle(log.record(1005), 1005, 1040);
    // ... and one in 5 ms. The spread is now 30 ms, more than the fastest 5 ms: no floor, stamps at answers.
    log.settle(log.record(1005), 1005, 1010);
    // The oldest of the last two is the slow one, stamped at its answer: the next may start at 2040.
    expect(log.waitMs(2005)).toBe(35);
    expect(log.waitMs(2040)).toBe(0);
  });

  it('marks a granted request that never went out at its start', () => {
    const log = new SlidingWindowLog(1, 1000);
    log.unused(log.record(0));
    expect(log.waitMs(1000)).toBe(0);
  });
});
