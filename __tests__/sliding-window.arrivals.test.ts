/**
 * The window log judged by arrivals, as a server counts them, not by our starts. A simulated link gives
 * every request a delay on our side before it is written (connection set-up, a busy event loop), a way in
 * (write → arrival at the server) and a way back (arrival → answer); the log only sees starts, writes (when
 * the adapter can tell) and answers. Under the arrival assumption (here: the first request is the fastest
 * on both ways) no interval of the window's length may ever hold more than N arrivals, however long
 * requests are held on our side.
 */
import fc from 'fast-check';
import { SlidingWindowLog } from '../src/sliding-window';

interface SimRequest {
  /** Ms after the previous request that this one is wanted. */
  gap: number;
  /** Held on our side before it is written (cold connection, stalled event loop, a browser's queue). */
  preWrite: number;
  /** Extra time on the way in after the write. */
  extraIn: number;
  /** Extra time from arrival to answer (a slow server, a slow way back). */
  extraBack: number;
}

interface SimOptions {
  baseIn: number;
  baseBack: number;
  /** The adapter tells when each request was written (Node's http adapter). */
  evidence: boolean;
}

interface SimResult {
  arrivals: number[];
  starts: number[];
}

/** `entry`: the number the log gave the request's entry; `start`: when it was let go. */
type SimEvent = { at: number; entry: number; start: number; kind: 'written' | 'answer'; preWrite: number };

/** Runs `requests` through one log, first come first served. Returns every arrival at the server. */
function simulate(log: SlidingWindowLog, requests: SimRequest[], options: SimOptions): SimResult {
  const events: SimEvent[] = [];
  const arrivals: number[] = [];
  const starts: number[] = [];
  let now = 0;
  let wantedAt = 0;
  let next = 0;
  const waiting: SimRequest[] = [];
  for (let guard = 0; guard < 100_000; guard++) {
    // Writes and answers due by now go first, then everything wanted by now queues, then the queue starts.
    events.sort((a, b) => a.at - b.at);
    while (events.length > 0 && events[0].at <= now) {
      const { at, entry, start, kind, preWrite } = events.shift()!;
      if (kind === 'written') log.written(entry, at);
      else log.settle(entry, start, at, options.evidence ? preWrite : undefined);
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
      const arrival = now + request.preWrite + options.baseIn + request.extraIn;
      starts.push(now);
      arrivals.push(arrival);
      const answer = { at: arrival + options.baseBack + request.extraBack, entry, start: now, kind: 'answer' as const, preWrite: request.preWrite };
      events.push(answer);
      if (options.evidence) events.push({ ...answer, at: now + request.preWrite, kind: 'written' });
    }
    if (waiting.length === 0 && next === requests.length && events.length === 0) return { arrivals, starts };
    const nextWanted = next < requests.length ? wantedAt + requests[next].gap : Infinity;
    const nextEvent = events.reduce((min, e) => Math.min(min, e.at), Infinity);
    now = Math.min(wake, nextWanted, nextEvent);
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
    preWrite: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 * windowMs })),
    extraIn: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: windowMs })),
    extraBack: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 * windowMs })),
  });

const uniform = (count: number, timing: Partial<SimRequest> = {}): SimRequest[] =>
  Array.from({ length: count }, () => ({ gap: 0, preWrite: 0, extraIn: 0, extraBack: 0, ...timing }));

describe('SlidingWindowLog, judged by arrivals at the server', () => {
  it('never lets N+1 arrive in one window when answers come faster than the window, with or without write times', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 0, max: 30 }),
        fc.boolean(),
        fc
          .integer({ min: 50, max: 2000 })
          .chain((windowMs) => fc.tuple(fc.constant(windowMs), fc.array(request(windowMs), { minLength: 1, maxLength: 120 }))),
        (limit, baseIn, baseBack, evidence, [windowMs, requests]) => {
          // The first request is the fastest there will ever be on both ways (the assumption's reference).
          requests[0] = { ...requests[0], preWrite: 0, extraIn: 0, extraBack: 0 };
          fc.pre(baseIn + baseBack < windowMs);
          const { arrivals } = simulate(new SlidingWindowLog(limit, windowMs), requests, { baseIn, baseBack, evidence });
          expect(arrivals).toHaveLength(requests.length);
          expect(maxInAnyWindow(arrivals, windowMs)).toBeLessThanOrEqual(limit);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('without write times, never lets N+1 arrive in one window, whatever the delays (no assumption at all)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc
          .integer({ min: 50, max: 2000 })
          .chain((windowMs) => fc.tuple(fc.constant(windowMs), fc.array(request(windowMs), { minLength: 1, maxLength: 120 }))),
        (limit, [windowMs, requests]) => {
          const { arrivals } = simulate(new SlidingWindowLog(limit, windowMs), requests, { baseIn: 0, baseBack: 0, evidence: false });
          expect(maxInAnyWindow(arrivals, windowMs)).toBeLessThanOrEqual(limit);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('counts a request held 150 ms on our side (a cold connection) from its write, not from its start', () => {
    const log = new SlidingWindowLog(2, 1000);
    // Two warm answers: written at once, answered in 5 ms.
    log.settle(log.record(0), 0, 5, 0);
    log.settle(log.record(0), 0, 5, 0);
    // At 1005 one request on a cold connection (written at 1155, answered at 1160), one warm (1005, 1010).
    expect(log.waitMs(1005)).toBe(0);
    const cold = log.record(1005);
    log.settle(log.record(1005), 1005, 1010, 0);
    log.settle(cold, 1005, 1160, 150);
    // The cold one may have arrived as late as 1155 (answer less the fastest 5 ms): the next starts at 2155.
    expect(log.waitMs(2005)).toBe(150);
    expect(log.waitMs(2155)).toBe(0);
  });

  it('without write times, stamps every answer at the answer (the way in and the way back may vary apart unseen)', () => {
    const log = new SlidingWindowLog(2, 1000);
    log.settle(log.record(0), 0, 5);
    log.settle(log.record(0), 0, 5);
    const cold = log.record(1005);
    log.settle(log.record(1005), 1005, 1010);
    log.settle(cold, 1005, 1160);
    expect(log.waitMs(2005)).toBe(155);
  });

  it('measures the spread against the fastest round trip as it is now: a new fastest widens it', () => {
    const log = new SlidingWindowLog(2, 1000);
    log.settle(log.record(0), 0, 90, 0);
    log.settle(log.record(0), 0, 90, 0); // the first N: stamped at their answers; the slowest is 90
    expect(log.waitMs(1090)).toBe(0);
    const a = log.record(1090);
    const b = log.record(1090);
    log.settle(a, 1090, 1179, 0); // 89 ms: fastest 89, spread 1, floor 88: stamped 1091
    log.settle(b, 1090, 1159, 0); // 69 ms: fastest 69; the slowest recent answer took 89: spread 20, floor 49
    expect(log.waitMs(2091)).toBe(0);
    log.record(2091);
    // b may have spent 20 ms more on its way in than the fastest did: stamped 1159 - 49 = 1110, not 1090.
    expect(log.waitMs(2091)).toBe(19);
  });

  it('runs a 2 s endpoint at the full rate of a 1 s window when writes are seen: requests on schedule count as arrived', () => {
    const limit = 10;
    const { arrivals, starts } = simulate(new SlidingWindowLog(limit, 1005), uniform(300), { baseIn: 1, baseBack: 2000, evidence: true });
    expect(maxInAnyWindow(arrivals, 1005)).toBeLessThanOrEqual(limit);
    // 300 at 10 per 1005 ms: ideal ≈ 29 windows; the first answers (2 s) are awaited once, then no more.
    const span = starts[starts.length - 1] - starts[0];
    expect(span).toBeLessThan(29 * 1005 + 2100);
  });

  it('on a 2 s endpoint, remembers for many windows how late a busy server read requests', () => {
    // Half the first window's requests read 40 ms late (a busy server, or a busy neighbour on its machine),
    // then, eight windows later (past the last 2N answers, within the last 8N), one read 30 ms late. A lag
    // is seen only at its answer, two windows on: the later request is counted while in flight, and must be
    // judged by how late requests have been read before, not only in the last two windows.
    const requests = uniform(200).map((r, i) => (i >= 5 && i < 10 ? { ...r, extraIn: 40 } : i === 80 ? { ...r, extraIn: 30 } : r));
    const limit = 10;
    const { arrivals, starts } = simulate(new SlidingWindowLog(limit, 1005), requests, { baseIn: 1, baseBack: 2000, evidence: true });
    expect(maxInAnyWindow(arrivals, 1005)).toBeLessThanOrEqual(limit);
    // And still near the full rate: 200 at 10 per 1005 ms, a window held 80 ms longer while it is remembered.
    expect(starts[starts.length - 1] - starts[0]).toBeLessThan(19 * 1085 + 2100);
  });

  it('without write times, a 2 s endpoint waits for answers (in flight holds its place)', () => {
    const { arrivals, starts } = simulate(new SlidingWindowLog(10, 1005), uniform(100), { baseIn: 1, baseBack: 2000, evidence: false });
    expect(maxInAnyWindow(arrivals, 1005)).toBeLessThanOrEqual(10);
    expect(starts[starts.length - 1] - starts[0]).toBeGreaterThan(9 * 2000);
  });

  it('holds a written request in flight only until it is overdue, then until its answer', () => {
    const log = new SlidingWindowLog(1, 1000);
    log.settle(log.record(0), 0, 2000, 0); // the first answer: no floor, stamped at its answer
    expect(log.waitMs(3000)).toBe(0);
    const slow = log.record(3000);
    expect(log.waitMs(3500)).toBeUndefined(); // not written yet: it may arrive at any time
    log.written(slow, 3000);
    // Written, on schedule (fastest 2000, spread 0) until 5000: counted as arrived at its write.
    expect(log.waitMs(4000)).toBe(0);
    // Overdue after 5000: no bound until it is answered.
    expect(log.waitMs(5001)).toBeUndefined();
    log.settle(slow, 3000, 5500, 0);
    // Answered 500 ms late: the spread is 500, the floor 1500; stamped 5500 - 1500 = 4000.
    expect(log.waitMs(5500)).toBe(0);
    expect(log.used(4999)).toBe(1);
    expect(log.used(5000)).toBe(0);
  });
});
