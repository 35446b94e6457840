/**
 * The log keeps its entries as numbers in a ring and hands out their numbers (src/sliding-window.ts):
 * random runs of starts, writes, answers, resizes and seeds must give the same waits, counts and entries as
 * the log that kept one object per entry (helpers/reference-sliding-window.ts), entries dropped from the
 * ring, a grown ring and entries answered after they left it included.
 */
import fc from 'fast-check';
import { SlidingWindowLog } from '../src/sliding-window';
import { ReferenceWindowLog, type ReferenceEntry } from './helpers/reference-sliding-window';

type Step =
  | { op: 'tick'; ms: number }
  | { op: 'start' }
  | { op: 'written'; pick: number; afterMs: number }
  | { op: 'settle'; pick: number; writtenAfterMs: number | undefined }
  | { op: 'unused'; pick: number }
  | { op: 'resize'; limit: number }
  | { op: 'window'; ms: number }
  | { op: 'seed'; count: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 400 }) }), weight: 4 },
  { arbitrary: fc.constant({ op: 'start' as const }), weight: 6 },
  { arbitrary: fc.record({ op: fc.constant('written' as const), pick: fc.nat(), afterMs: fc.integer({ min: 0, max: 300 }) }), weight: 2 },
  {
    arbitrary: fc.record({ op: fc.constant('settle' as const), pick: fc.nat(), writtenAfterMs: fc.option(fc.integer({ min: 0, max: 300 }), { nil: undefined }) }),
    weight: 4,
  },
  { arbitrary: fc.record({ op: fc.constant('unused' as const), pick: fc.nat() }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('resize' as const), limit: fc.integer({ min: 1, max: 12 }) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('window' as const), ms: fc.integer({ min: 50, max: 1500 }) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('seed' as const), count: fc.integer({ min: 0, max: 8 }) }), weight: 1 },
);

describe('SlidingWindowLog ring', () => {
  it('waits, counts and stamps as the log of one object per entry did (randomised)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 50, max: 1500 }), fc.array(step, { maxLength: 300 }), (limit, windowMs, steps) => {
        const log = new SlidingWindowLog(limit, windowMs);
        const reference = new ReferenceWindowLog(limit, windowMs);
        // Every entry handed out, answered or not (one may be answered after it left the ring).
        const entries: Array<[number, ReferenceEntry]> = [];
        const same = ([seq, ref]: [number, ReferenceEntry]) => expect(log.entry(seq)).toEqual(reference.holds(ref) ? { ...ref } : undefined);
        let now = 0;
        for (const s of steps) {
          const pair = entries.length > 0 && 'pick' in s ? entries[s.pick % entries.length] : undefined;
          if (s.op === 'tick') now += s.ms;
          else if (s.op === 'start') {
            const wait = log.waitMs(now);
            expect(wait).toBe(reference.waitMs(now));
            if (wait === 0) entries.push([log.record(now), reference.record(now)]);
          } else if (s.op === 'written' && pair) {
            log.written(pair[0], now + s.afterMs);
            reference.written(pair[1], now + s.afterMs);
          } else if (s.op === 'settle' && pair) {
            log.settle(pair[0], pair[1].start, now, s.writtenAfterMs);
            reference.settle(pair[1], now, s.writtenAfterMs);
          } else if (s.op === 'unused' && pair) {
            log.unused(pair[0]);
            reference.unused(pair[1]);
          } else if (s.op === 'resize') {
            log.resize(s.limit);
            reference.resize(s.limit);
          } else if (s.op === 'window') {
            log.windowMs = s.ms;
            reference.windowMs = s.ms;
          } else if (s.op === 'seed') {
            log.seed(s.count, now);
            reference.seed(s.count, now);
          }
          expect(log.used(now)).toBe(reference.used(now));
          expect(log.waitMs(now)).toBe(reference.waitMs(now));
          expect(log.isIdle(now)).toBe(reference.isIdle(now));
          if (pair) same(pair);
        }
        entries.forEach(same);
      }),
      { numRuns: 300 },
    );
  });

  it('grows its ring past its first size and keeps every entry in order', () => {
    const log = new SlidingWindowLog(1000, 1000);
    const reference = new ReferenceWindowLog(1000, 1000);
    for (let i = 0; i < 700; i++) {
      log.settle(log.record(i), i, i + 1, 0);
      reference.settle(reference.record(i), i + 1, 0);
    }
    for (const now of [700, 1200, 1500, 1699, 1700, 1701, 2000]) {
      expect(log.used(now)).toBe(reference.used(now));
      expect(log.waitMs(now)).toBe(reference.waitMs(now));
    }
  });
});
