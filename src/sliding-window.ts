/**
 * The rate limiter: a sliding-window log of the last N requests of a key, in a ring buffer.
 *
 * Why not a token bucket: a bucket of N tokens refilled at N per W lets 2N requests start within one
 * window (a full bucket spent at the end of one window plus the refill), which a fixed- or sliding-window
 * server rejects. This log admits a request only when the N-th most recent one is at least W old, so no
 * interval of length W ever holds more than N, whatever window the server uses; and it admits exactly N
 * per W when saturated, so nothing of the quota is given away.
 *
 * "Old" is measured from when the request may have reached the server, on the server's count, not from
 * when it was handed to the adapter: a cold connection (TCP/TLS set-up), a stalled event loop or a
 * browser's own queue can hold a request for a long time after we let it go, and a request sent later on
 * a warm connection can overtake it. Each entry is stamped, once answered, at
 *
 *   start + (its latency − the key's fastest latency)
 *
 * with no cap: a request can have spent all of its extra time before it arrived. Against a request sent
 * later this is a bound, not a guess, if the time from a request's arrival to its answer is never shorter
 * than that of the fastest request, and no request gets to the server faster than the fastest did (what
 * the README calls the arrival assumption). Until N answers are in, the fastest is taken as 0 and every
 * stamp is the answer time itself: an answered request arrived no later than its answer.
 *
 * A request still in flight holds its place (stamp Infinity) until its answer, with one exception, for
 * endpoints slower than the window: while it is on schedule (in flight no longer than the fastest latency
 * plus the largest excess of recent answers), it is counted as having arrived within that excess, as
 * recent answers did. Without it a 2 s endpoint would run at half a 1 s limit; once a request is overdue,
 * it holds its place until answered again. Only the oldest entry is ever checked or evicted, so the
 * guarantee needs no order among stamps.
 */
export interface WindowEntry {
  readonly start: number;
  /** The latest the request may have reached the server; Infinity while it is in flight (see arrivalBound). */
  stamp: number;
}

/** The ring starts this small and doubles as needed, so a key with a limit of 100,000 costs nothing until used. */
const INITIAL_CAPACITY = 16;

export class SlidingWindowLog {
  private entries: WindowEntry[];
  private head = 0; // index of the oldest entry
  private size = 0;
  /** Fastest answer seen; the first N answers assume 0 (nothing known about the link yet). */
  private fastestMs = Infinity;
  private settledCount = 0;
  /** Largest excess over the fastest latency among the last N answers and the N before (two buckets). */
  private excessNow = 0;
  private excessBefore = 0;
  private excessCount = 0;

  constructor(
    private limitValue: number,
    /** Window length in ms, safety margin included. */
    public windowMs: number,
  ) {
    this.entries = new Array<WindowEntry>(Math.min(limitValue, INITIAL_CAPACITY));
  }

  get limit(): number {
    return this.limitValue;
  }

  /**
   * Ms until one more request may start: 0 when one may start now, undefined when the oldest entry is
   * still in flight and overdue (wait for its answer).
   */
  waitMs(now: number): number | undefined {
    if (this.size < this.limitValue) return 0;
    if (this.size > this.limitValue) return this.waitAfterShrink(now);
    const stamp = this.arrivalBound(this.entries[this.head], now);
    if (stamp === Infinity) return undefined;
    const wait = stamp + this.windowMs - now;
    return wait > 0 ? wait : 0;
  }

  /**
   * When the request of `entry` reached the server at the latest, as far as is known at `now`: its stamp
   * once answered; while in flight and on schedule, its start plus the largest recent excess; else Infinity.
   */
  arrivalBound(entry: WindowEntry, now: number): number {
    if (entry.stamp !== Infinity) return entry.stamp;
    if (this.settledCount < this.limitValue) return Infinity;
    const excess = Math.max(this.excessNow, this.excessBefore);
    return now - entry.start <= this.fastestMs + excess ? entry.start + excess : Infinity;
  }

  /**
   * After the limit shrank below the entries held: count those still in the window, and wait until
   * enough of them leave it (rare, so a sort is fine).
   */
  private waitAfterShrink(now: number): number | undefined {
    const inWindow: number[] = [];
    for (let i = 0; i < this.size; i++) {
      const stamp = this.arrivalBound(this.entries[(this.head + i) % this.entries.length], now);
      if (stamp + this.windowMs > now) inWindow.push(stamp);
    }
    if (inWindow.length < this.limitValue) return 0;
    inWindow.sort((a, b) => a - b);
    const stamp = inWindow[inWindow.length - this.limitValue];
    return stamp === Infinity ? undefined : stamp + this.windowMs - now;
  }

  /** Records a request starting at `now`. Call only when {@link waitMs} is 0. */
  record(now: number): WindowEntry {
    const entry: WindowEntry = { start: now, stamp: Infinity };
    // Entries that have left the window can never matter again (an entry in flight that was admitted past
    // on its on-schedule bound included: the decision it allowed is taken). Others are kept even beyond the
    // newest N: after a limit shrinks, they count again if it grows back within the window.
    while (this.size > 0 && this.arrivalBound(this.entries[this.head], now) + this.windowMs <= now) {
      this.head = (this.head + 1) % this.entries.length;
      this.size--;
    }
    if (this.size === this.entries.length) this.relayout(this.size * 2);
    this.entries[(this.head + this.size) % this.entries.length] = entry;
    this.size++;
    return entry;
  }

  /**
   * Counts `count` requests of unknown start as if they had just arrived: for a log created when a limit
   * is learned, so the requests already sent in this window are not forgotten.
   */
  seed(count: number, now: number): void {
    for (let i = 0; i < Math.min(count, this.limitValue); i++) this.record(now).stamp = now;
  }

  /** The request of `entry` got its answer at `now`: stamp the latest it may have arrived. */
  settle(entry: WindowEntry, now: number): void {
    const latency = Math.max(0, now - entry.start);
    if (latency < this.fastestMs) this.fastestMs = latency;
    const floor = this.settledCount++ < this.limitValue ? 0 : this.fastestMs;
    entry.stamp = entry.start + latency - floor;
    this.noteExcess(latency - this.fastestMs);
  }

  /** Keeps the largest excess of the last N to 2N answers: old outliers age out, recent ones count. */
  private noteExcess(excess: number): void {
    if (excess > this.excessNow) this.excessNow = excess;
    if (++this.excessCount >= Math.max(1, this.limitValue)) {
      this.excessBefore = this.excessNow;
      this.excessNow = 0;
      this.excessCount = 0;
    }
  }

  /** The request of `entry` was granted but never sent. */
  unused(entry: WindowEntry): void {
    entry.stamp = entry.start;
  }

  /** Entries inside the window ending at `now` (in flight included). */
  used(now: number): number {
    let count = 0;
    for (let i = 0; i < this.size; i++) {
      if (this.entries[(this.head + i) % this.entries.length].stamp + this.windowMs > now) count++;
    }
    return count;
  }

  /** True when every entry has been answered and left the window: the log can be dropped. */
  isIdle(now: number): boolean {
    return this.used(now) === 0;
  }

  /** Changes N. Every entry is kept, so the guarantee holds across the change, in either direction. */
  resize(limit: number): void {
    this.limitValue = limit;
  }

  /** Copies the live entries, oldest first, into a ring of `capacity`. */
  private relayout(capacity: number): void {
    const next = new Array<WindowEntry>(capacity);
    for (let i = 0; i < this.size; i++) next[i] = this.entries[(this.head + i) % this.entries.length];
    this.entries = next;
    this.head = 0;
  }
}
