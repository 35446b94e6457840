/**
 * The window log judged by arrivals, as a server counts them, not by our starts. A simulated link gives
 * every request a way in (start → arrival at the server) and a way back (arrival → answer); the log only
 * ever sees starts and answers. Under the arrival assumption (no request gets in faster, nor is answered
 * faster after arriving, than the fastest request did) no interval of the window's length may ever hold
 * more than N arrivals, however slow or uneven the ways in are.
 */
import fc from 'fast-check';
import { SlidingWindowLog, type WindowEntry } from '../src/sliding-window';

interface SimRequest {
  /** Ms after the previous request that this one is wanted. */
  gap: number;
  /** Extra time on the way in (cold connection, stalled event loop, a browser's queue). */
  extraIn: number;
  /** Extra time from arrival to answer (a slow server, a slow way back). */
  extraBack: number;
}

interface SimResult {
  arrivals: number[];
  starts: number[];
  endedAt: number;
}

/**
 * Runs `requests` through one log, first come first served, with the fastest possible way in `baseIn` and
 * way back `baseBack`. Returns every arrival at the server.
 */
function simulate(log: SlidingWindowLog, requests: SimRequest[], baseIn: number, baseBack: number): SimResult {
  const answers: Array<{ at: number; entry: WindowEntry }> = [];
  const arrivals: number[] = [];
  const starts: number[] = [];
  let now = 0;
  let wantedAt = 0;
  let next = 0;
  const waiting: SimRequest[] = [];
  for (let guard = 0; guard < 100_000; guard++) {
    // Answers due by now go first, then everything wanted by now joins the queue, then the queue starts.
    answers.sort((a, b) => a.at - b.at);
    while (answers.length > 0 && answers[0].at <= now) {
      const { at, entry } = answers.shift()!;
      log.settle(entry, at);
    }
    while (next < requests.length && wantedAt + requests[next].gap <= now) {
      wantedAt += requests[next].gap;
      waiting.push(requests[next++]);
    }
    let wake = Infinity;
    while (waiting.length > 0) {
      const wait = log.waitMs(now);
      if (wait !== 0) {
        if (wait !== undefined) wake = now + wait;
        break;
      }
      const request = waiting.shift()!;
      const entry = log.record(now);
      const arrival = now + baseIn + request.extraIn;
      starts.push(now);
      arrivals.push(arrival);
      answers.push({ at: arrival + baseBack + request.extraBack, entry });
    }
    if (waiting.length === 0 && next === requests.length && answers.length === 0) return { arrivals, starts, endedAt: now };
    const nextWanted = next < requests.length ? wantedAt + requests[next].gap : Infinity;
    const nextAnswer = answers.reduce((min, a) => Math.min(min, a.at), Infinity);
    now = Math.min(wake, nextWanted, nextAnswer);
  }
  throw new Error('simulation did not finish');
}

/** Largest number of arrivals inside any half-open interval [t, t + windowMs). */
function maxInAnyWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let max = 0;
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    while (sorted[hi] - sorted[lo] >= windowMs - 1e-9) lo++;
    max = Math.max(max, hi - lo + 1);
  }
  return max;
}

const request = (windowMs: number) =>
  fc.record({
    gap: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: windowMs })),
    extraIn: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 * windowMs })),
    extraBack: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 * windowMs })),
  });

describe('SlidingWindowLog, judged by arrivals at the server', () => {
  it('never lets N+1 arrive in one window when answers come faster than the window (any way-in delays)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 0, max: 30 }),
        fc
          .integer({ min: 50, max: 2000 })
          .chain((windowMs) => fc.tuple(fc.constant(windowMs), fc.array(request(windowMs), { minLength: 1, maxLength: 120 }))),
        (limit, baseIn, baseBack, [windowMs, requests]) => {
          // The first request is the fastest there will ever be (the assumption's reference request).
          requests[0] = { ...requests[0], extraIn: 0, extraBack: 0 };
          fc.pre(baseIn + baseBack < windowMs);
          const { arrivals } = simulate(new SlidingWindowLog(limit, windowMs), requests, baseIn, baseBack);
          expect(arrivals).toHaveLength(requests.length);
          expect(maxInAnyWindow(arrivals, windowMs)).toBeLessThanOrEqual(limit);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('counts a request delayed longer than a tenth of the window on its way in (a 150 ms cold connection)', () => {
    const log = new SlidingWindowLog(2, 1000);
    // Two warm answers of 5 ms teach the fastest latency.
    log.settle(log.record(0), 5);
    log.settle(log.record(0), 5);
    // At 1005 one request on a cold connection (arrives at 1155, answered at 1160), one warm (1005, 1010).
    expect(log.waitMs(1005)).toBe(0);
    const cold = log.record(1005);
    log.settle(log.record(1005), 1010);
    log.settle(cold, 1160);
    // The cold one may have arrived as late as 1155: the next may start at 2155, not 2105 (the old cap).
    expect(log.waitMs(2005)).toBe(150);
    expect(log.waitMs(2155)).toBe(0);
  });

  it('runs a 2 s endpoint at the full rate of a 1 s window: requests on schedule are counted as arrived', () => {
    const limit = 10;
    const requests = Array.from({ length: 300 }, () => ({ gap: 0, extraIn: 0, extraBack: 0 }));
    const { arrivals, starts } = simulate(new SlidingWindowLog(limit, 1005), requests, 1, 2000);
    expect(maxInAnyWindow(arrivals, 1005)).toBeLessThanOrEqual(limit);
    // 300 at 10 per 1005 ms: ideal ≈ 29 windows; the first answers (2 s) are awaited once, then no more.
    const span = starts[starts.length - 1] - starts[0];
    expect(span).toBeLessThan(29 * 1005 + 2100);
  });

  it('holds an overdue request in flight until its answer', () => {
    const log = new SlidingWindowLog(1, 1000);
    log.settle(log.record(0), 2000); // strict: stamped at its answer
    expect(log.waitMs(3000)).toBe(0);
    const slow = log.record(3000);
    // On schedule (fastest 2000, excess 0) until 5000: counted as arrived at its start.
    expect(log.waitMs(4000)).toBe(0);
    // Overdue after 5000: no bound until it is answered.
    expect(log.waitMs(5001)).toBeUndefined();
    log.settle(slow, 5500);
    expect(log.waitMs(5500)).toBe(0); // stamped 3000 + 500 over the fastest
  });
});
