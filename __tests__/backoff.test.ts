import { addJitter, exponentialBackoff } from '../src/backoff';

describe('exponentialBackoff', () => {
  const options = { baseMs: 1000, maxMs: 30_000 };

  it('starts at one second and doubles (Clover: 2^attempts)', () => {
    expect([1, 2, 3, 4, 5].map((s) => exponentialBackoff(s, options))).toEqual([1000, 2000, 4000, 8000, 16_000]);
  });

  it('is capped, even for absurd strike counts', () => {
    expect(exponentialBackoff(6, options)).toBe(30_000);
    expect(exponentialBackoff(10_000, options)).toBe(30_000);
  });
});

describe('addJitter', () => {
  it('only lengthens a delay, by at most ratio × delay and maxMs', () => {
    const jitter = { ratio: 0.2, maxMs: 1000 };
    expect(addJitter(1000, jitter, () => 0)).toBe(1000);
    expect(addJitter(1000, jitter, () => 0.999)).toBeCloseTo(1199.8);
    expect(addJitter(60_000, jitter, () => 0.999)).toBeCloseTo(60_999);
    expect(addJitter(0, jitter, () => 0.5)).toBe(0);
  });
});
