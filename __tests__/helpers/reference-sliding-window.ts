/* eslint-disable */
/**
 * The sliding-window log as it was with one object per entry in the ring (before the ring kept plain
 * numbers): the reference that __tests__/sliding-window.ring.test.ts holds the current log to.
 */
export interface ReferenceEntry {
  readonly start: number;
  /** The latest the request may have reached the server; Infinity while it is in flight (see arrivalBound). */
  stamp: number;
  /** When the request was handed to the operating system, if the adapter told; undefined otherwise. */
  written: number | undefined;
}

/** The ring starts this small and doubles as needed, so a key with a limit of 100,000 costs nothing until used. */
const INITIAL_CAPACITY = 16;
const IN_FLIGHT_MEMORY = 8;

export class ReferenceWindowLog {
  private entries: ReferenceEntry[];
  private head = 0; // index of the oldest entry
  private size = 0;
  /** Fastest round trip seen (from the write when known, else from the start). */
  private fastestMs = Infinity;
  private settledCount = 0;
  /** The slowest round trip among the last N to 2N answers (two buckets), for the spread. */
  private slowestNow = 0;
  private slowestBefore = 0;
  private bucketCount = 0;
  /** The slowest round trip of each of the last IN_FLIGHT_MEMORY buckets (for requests counted in flight). */
  private readonly slowestOfBuckets: number[] = [];

  constructor(
    private limitValue: number,
    /** Window length in ms, safety margin included. */
    public windowMs: number,
  ) {
    this.entries = new Array<ReferenceEntry>(Math.min(limitValue, INITIAL_CAPACITY));
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
    this.forget(now);
    if (this.size > this.limitValue) return this.waitAfterShrink(now);
    const stamp = this.arrivalBound(this.entries[this.head], now);
    if (stamp === Infinity) return undefined;
    const wait = stamp + this.windowMs - now;
    return wait > 0 ? wait : 0;
  }

  /**
   * When the request of `entry` reached the server at the latest, as far as is known at `now`: its stamp
   * once answered; while in flight, written and on schedule, the stamp its answer would give it at the latest;
   * else Infinity.
   */
  arrivalBound(entry: ReferenceEntry, now: number): number {
    if (entry.stamp !== Infinity) return entry.stamp;
    const { written } = entry;
    if (written === undefined || this.settledCount < this.limitValue) return Infinity;
    const onTime = this.fastestMs + this.rememberedSpread();
    return now - written <= onTime ? written + onTime - this.floor() : Infinity;
  }

  private rememberedSpread(): number {
    return Math.max(0, Math.max(this.slowestNow, ...this.slowestOfBuckets) - this.fastestMs);
  }

  private spread(): number {
    // Against the fastest as it is now: a new fastest widens the spread of answers already in.
    return Math.max(0, Math.max(this.slowestNow, this.slowestBefore) - this.fastestMs);
  }

  /** How long, at least, the way back takes (see above); 0 until N answers are in. */
  private floor(): number {
    return this.settledCount < this.limitValue ? 0 : Math.max(0, this.fastestMs - this.spread());
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

  /**
   * Drops the oldest entries that have left the window, but never the newest N: a window that grows (a
   * learned 2 per second after 3 per 500 ms) must still count them. Entries inside the window are kept even
   * beyond the newest N: after a limit shrinks, they count again if it grows back within the window.
   */
  private forget(now: number): void {
    while (this.size > this.limitValue && this.arrivalBound(this.entries[this.head], now) + this.windowMs <= now) {
      this.head = (this.head + 1) % this.entries.length;
      this.size--;
    }
  }

  /** Records a request starting at `now`. Call only when {@link waitMs} is 0. */
  record(now: number): ReferenceEntry {
    const entry: ReferenceEntry = { start: now, stamp: Infinity, written: undefined };
    this.forget(now);
    if (this.size === this.entries.length) this.relayout(this.size * 2);
    this.entries[(this.head + this.size) % this.entries.length] = entry;
    this.size++;
    return entry;
  }

  /** True while the log holds `entry` (it has not left the window). */
  holds(entry: ReferenceEntry): boolean {
    for (let i = 0; i < this.size; i++) if (this.entries[(this.head + i) % this.entries.length] === entry) return true;
    return false;
  }

  /**
   * Counts `count` requests of unknown start as if they had just arrived: for a log created when a limit
   * is learned, so the requests already sent in this window are not forgotten.
   */
  seed(count: number, now: number): void {
    for (let i = 0; i < Math.min(count, this.limitValue); i++) this.record(now).stamp = now;
  }

  /** The request of `entry` was handed to the operating system at `at` (still in flight). */
  written(entry: ReferenceEntry, at: number): void {
    if (entry.stamp === Infinity) entry.written = Math.max(entry.start, at);
  }

  /**
   * The request of `entry` got its answer at `now`: stamp the latest it may have arrived. `writtenAfterMs`:
   * how long after its start it was handed to the operating system, if known.
   */
  settle(entry: ReferenceEntry, now: number, writtenAfterMs?: number): void {
    if (writtenAfterMs === undefined) {
      // No evidence of when it left: its way in and the way back may have varied apart (a browser's
      // preflight and main thread, a custom adapter), so the answer itself is the only bound.
      entry.stamp = Math.max(entry.start, now);
      return;
    }
    const sinceStart = Math.max(0, now - entry.start);
    const latency = sinceStart - Math.min(Math.max(0, writtenAfterMs), sinceStart);
    if (latency < this.fastestMs) this.fastestMs = latency;
    this.noteLatency(latency);
    // The floor before this answer counts: the first N answers get none.
    entry.stamp = Math.max(entry.start, now - this.floor());
    this.settledCount++;
  }

  /** Keeps the slowest round trip of the last N to 2N answers: old outliers age out, recent ones count. */
  private noteLatency(latency: number): void {
    if (latency > this.slowestNow) this.slowestNow = latency;
    if (++this.bucketCount >= Math.max(1, this.limitValue)) {
      this.slowestBefore = this.slowestNow;
      this.slowestOfBuckets.push(this.slowestNow);
      if (this.slowestOfBuckets.length > IN_FLIGHT_MEMORY) this.slowestOfBuckets.shift();
      this.slowestNow = 0;
      this.bucketCount = 0;
    }
  }

  /** The request of `entry` was granted but never sent. */
  unused(entry: ReferenceEntry): void {
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
    const next = new Array<ReferenceEntry>(capacity);
    for (let i = 0; i < this.size; i++) next[i] = this.entries[(this.head + i) % this.entries.length];
    this.entries = next;
    this.head = 0;
  }
}
