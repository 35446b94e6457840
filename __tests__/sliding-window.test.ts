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
      log.record(0);
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
        const wait = log.waitMs(now);
        if (wait === 0) {
          log.record(now);
          starts.push(now);
        } else if (rand() < 0.5) {
          now += wait; // a waiter that comes back exactly when told
          log.record(now);
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
      const wait = log.waitMs(now);
      now += wait;
      if (now >= 60_000) break;
      log.record(now);
      started++;
    }
    expect(started).toBe(50 * 60);
  });

  it('keeps the newest starts when the limit shrinks, so the guarantee holds across the change', () => {
    const log = new SlidingWindowLog(5, 1000);
    for (const t of [0, 100, 200, 300, 400]) log.record(t);
    log.resize(2);
    // The two newest (300, 400) remain: the next start is allowed at 1300.
    expect(log.waitMs(500)).toBe(800);
    expect(log.used(500)).toBe(2);
    log.resize(4);
    expect(log.waitMs(500)).toBe(0);
  });

  it('reports idle once every start has left the window', () => {
    const log = new SlidingWindowLog(2, 100);
    expect(log.isIdle(0)).toBe(true);
    log.record(10);
    expect(log.isIdle(109)).toBe(false);
    expect(log.isIdle(110)).toBe(true);
  });
});
