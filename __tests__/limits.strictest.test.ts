/**
 * Two guards that configure one key differently: the key keeps a limit that neither of them can see
 * exceeded. Judged by simulation (the busiest schedule the merged rate allows, counted in each original
 * window), not by the rule that produced it.
 */
import fc from 'fast-check';
import { strictestLimits, strictestRate, type RateSpec } from '../src/limits';

/** The busiest schedule `rate` allows on whole ms (as early as possible), over `spanMs`. */
function busiest(rate: RateSpec, spanMs: number): number[] {
  const starts: number[] = [];
  for (let t = 0; t < spanMs; t++) {
    while (starts.filter((s) => s > t - rate.perMs).length < rate.requests) starts.push(t);
  }
  return starts;
}

/** Most starts in any interval of `windowMs`. */
function mostInWindow(starts: number[], windowMs: number): number {
  let most = 0;
  for (const end of starts) most = Math.max(most, starts.filter((s) => s > end - windowMs && s <= end).length);
  return most;
}

const rate = fc.record({ requests: fc.integer({ min: 1, max: 12 }), perMs: fc.integer({ min: 1, max: 60 }) });

describe('strictestRate', () => {
  it('never lets through more than either rate allows, in either window', () => {
    fc.assert(
      fc.property(rate, rate, (a, b) => {
        const merged = strictestRate(a, b);
        const starts = busiest(merged, 3 * Math.max(a.perMs, b.perMs) + 1);
        expect(mostInWindow(starts, a.perMs)).toBeLessThanOrEqual(a.requests);
        expect(mostInWindow(starts, b.perMs)).toBeLessThanOrEqual(b.requests);
        expect(merged.requests).toBeGreaterThanOrEqual(1);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps the stricter of two rates when one implies the other, whatever the order', () => {
    expect(strictestRate({ requests: 5, perMs: 1000 }, { requests: 20, perMs: 1000 })).toEqual({ requests: 5, perMs: 1000 });
    expect(strictestRate({ requests: 20, perMs: 500 }, { requests: 5, perMs: 1000 })).toEqual({ requests: 5, perMs: 1000 });
    // 10 per second or 100 per minute: neither implies the other. 1 per second keeps both (60 a minute),
    // and is faster than the other candidate, 10 per minute.
    const merged = strictestRate({ requests: 10, perMs: 1000 }, { requests: 100, perMs: 60_000 });
    expect(merged).toEqual(strictestRate({ requests: 100, perMs: 60_000 }, { requests: 10, perMs: 1000 }));
    expect(merged).toEqual({ requests: 1, perMs: 1000 });
  });
});

describe('strictestLimits', () => {
  it('is the same in any order of the specs', () => {
    const spec = fc.record(
      { requests: fc.integer({ min: 1, max: 50 }), perMs: fc.constantFrom(100, 250, 1000, 5000), concurrent: fc.integer({ min: 1, max: 9 }) },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.array(spec, { maxLength: 5 }), fc.func(fc.integer()), (specs, order) => {
        const shuffled = [...specs].sort((x, y) => order(x) - order(y));
        expect(strictestLimits(shuffled)).toEqual(strictestLimits(specs));
      }),
    );
  });

  it('takes the smallest concurrency and ignores specs without a limit', () => {
    expect(strictestLimits([{ requests: 5 }, {}, { concurrent: 3 }, { requests: 20, concurrent: 2 }])).toEqual({
      requests: 5,
      perMs: 1000,
      concurrent: 2,
    });
    expect(strictestLimits([{}])).toEqual({});
  });
});
