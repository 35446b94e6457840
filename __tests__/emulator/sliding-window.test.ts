import { SlidingWindow } from '../../emulator/sliding-window.js';

/** Small deterministic PRNG (mulberry32) so the randomized check is reproducible. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('SlidingWindow', () => {
  it('holds the stamps in (now - windowMs, now]: a stamp exactly windowMs old has left', () => {
    const w = new SlidingWindow(1000);
    w.record(0);
    w.record(500);
    expect(w.count(999.999)).toBe(2);
    expect(w.count(1000)).toBe(1); // 0 is not > 1000 - 1000
    expect(w.count(1499.999)).toBe(1);
    expect(w.count(1500)).toBe(0);
  });

  it('returns the count including the new stamp, and counts equal stamps separately', () => {
    const w = new SlidingWindow(100);
    expect(w.record(10)).toBe(1);
    expect(w.record(10)).toBe(2);
    expect(w.record(109.5)).toBe(3);
    expect(w.record(110)).toBe(2); // both stamps at 10 expired
  });

  it('finds the busiest interval even when it does not start at a stamp', () => {
    const w = new SlidingWindow(100);
    for (const t of [0, 60, 90, 150, 155, 200]) w.record(t);
    // (55, 155] holds 60, 90, 150, 155
    expect(w.maxInAnyWindow).toBe(4);
  });

  it('matches a brute-force maximum on random stamps, across compactions', () => {
    const random = prng(42);
    const windowMs = 37;
    const w = new SlidingWindow(windowMs);
    const stamps: number[] = [];
    let t = 0;
    for (let i = 0; i < 5000; i++) {
      t += random() < 0.2 ? 0 : random() * 12; // includes ties
      stamps.push(t);
      w.record(t);
    }
    let brute = 0;
    for (const end of stamps) {
      brute = Math.max(brute, stamps.filter((s) => s > end - windowMs && s <= end).length);
    }
    expect(w.maxInAnyWindow).toBe(brute);
    expect(w.count(t)).toBe(stamps.filter((s) => s > t - windowMs).length);
  });

  it('refuses times that go backwards', () => {
    const w = new SlidingWindow(100);
    w.record(50);
    expect(() => w.count(49)).toThrow(RangeError);
  });
});
