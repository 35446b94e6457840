/**
 * The rate limiter: a sliding-window log of the last N requests of a key, in a ring buffer.
 *
 * Why not a token bucket: a bucket of N tokens refilled at N per W lets 2N requests start within one
 * window (a full bucket spent at the end of one window plus the refill), which a fixed- or sliding-window
 * server rejects. This log admits a request only when the N-th most recent one is at least W old, so no
 * interval of length W ever holds more than N, whatever window the server uses; and it admits exactly N
 * per W when saturated, so nothing of the quota is given away.
 *
 * "Old" is measured from the latest moment the request may have reached the server, not from when it was
 * let go: a cold connection (TCP/TLS set-up), a stalled event loop or a browser's own queue can hold a
 * request long after that, and a request sent later on a warm connection overtakes it. A request admitted
 * at `now` arrives at `now` or later, so an entry may be stamped at any time by which its request surely
 * arrived. Its answer is one: nothing is answered before it arrives. Earlier than the answer by the
 * *floor*: how long the way back (server and network) takes at least, which no request was faster than.
 *
 * The floor comes from round trips measured from when each request was handed to the operating system,
 * which the adapter must have seen (Node's http adapter, see send-evidence.ts): it is the fastest such
 * round trip less the *spread* (the slowest of the last N to 2N round trips less the fastest). What varies
 * on our side (connection set-up, our event loop) happens before the write; what varies after it, the
 * network and the server, shows in the spread, so a request's way in and another's way back differ from
 * the fastest's by no more than that (the arrival assumption, README). The first N answers get no floor.
 * Without that evidence (browsers, the fetch adapter, custom adapters) the way in and the way back can vary
 * apart, unseen, and an answered request is stamped at its answer.
 *
 * A request in flight holds its place (stamp Infinity) until answered, with one exception, for endpoints
 * slower than the window: a request known to be written and on schedule (written no longer ago than the
 * fastest round trip plus the spread of the last 8N answers or more) is counted as arrived by the stamp that
 * answer would give it. Without it a 2 s endpoint would run at half of a 1 s limit; once overdue, it holds
 * its place until answered. Only the oldest entry is ever checked or evicted, so the guarantee needs no
 * order among stamps.
 */
/** An entry as the log holds it (see {@link SlidingWindowLog.entry}). */
export interface WindowEntry {
  readonly start: number;
  /** The latest the request may have reached the server; Infinity while it is in flight (see arrivalBound). */
  readonly stamp: number;
  /** When the request was handed to the operating system, if the adapter told; undefined otherwise. */
  readonly written: number | undefined;
}

/** The ring starts this small and doubles as needed, so a key with a limit of 100,000 costs nothing until used. */
const INITIAL_CAPACITY = 4;
/** Numbers per entry in the ring: start, stamp, written (NaN: not known). */
const START = 0;
const STAMP = 1;
const WRITTEN = 2;
const FIELDS = 3;
/**
 * Buckets of N answers whose slowest round trip bounds the way in of a request counted while in flight. A
 * busy server (or a busy neighbour on its machine) reads requests late in bursts that come and go; the last
 * 2N answers alone forget a burst within two windows, while the prediction holds for requests sent since.
 */
const IN_FLIGHT_MEMORY = 8;

export class SlidingWindowLog {
  /** The entries, oldest first from `head`, FIELDS numbers each (a plain array of doubles: unboxed). */
  private ring: number[];
  private capacity: number;
  private head = 0; // index of the oldest entry
  private size = 0;
  /** Sequence number of the oldest entry held (entries are numbered in the order recorded). */
  private headSeq = 0;
  /** Fastest round trip seen (from the write when known, else from the start). */
  private fastestMs = Infinity;
  private settledCount = 0;
  /** The slowest round trip among the last N to 2N answers (two buckets), for the spread. */
  private slowestNow = 0;
  private slowestBefore = 0;
  private bucketCount = 0;
  /** The slowest round trip of each of the last IN_FLIGHT_MEMORY buckets, their largest, and buckets closed. */
  private readonly slowestOfBuckets: number[] = [];
  private slowestRemembered = 0;
  private bucketsNoted = 0;

  constructor(
    private limitValue: number,
    /** Window length in ms, safety margin included. */
    public windowMs: number,
  ) {
    this.capacity = Math.max(1, Math.min(limitValue, INITIAL_CAPACITY));
    this.ring = new Array<number>(this.capacity * FIELDS).fill(0);
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
    const stamp = this.arrivalBound(this.head, now);
    if (stamp === Infinity) return undefined;
    const wait = stamp + this.windowMs - now;
    return wait > 0 ? wait : 0;
  }

  /**
   * When the request of the entry at ring slot `slot` reached the server at the latest, as far as is known
   * at `now`: its stamp once answered; while in flight, written and on schedule, the stamp its answer would
   * give it at the latest; else Infinity.
   */
  private arrivalBound(slot: number, now: number): number {
    const at = slot * FIELDS;
    const stamp = this.ring[at + STAMP];
    if (stamp !== Infinity) return stamp;
    const written = this.ring[at + WRITTEN];
    if (Number.isNaN(written) || this.settledCount < this.limitValue) return Infinity;
    // Nothing about this request can be checked before it is counted (its answer comes a window later or
    // more), so its round trip is taken as long as any seen over many windows of answers.
    const onTime = this.fastestMs + this.rememberedSpread();
    return now - written <= onTime ? written + onTime - this.floor() : Infinity;
  }

  /** The spread of the last N to (IN_FLIGHT_MEMORY + 1)·N answers: what the in-flight prediction assumes. */
  private rememberedSpread(): number {
    return Math.max(0, Math.max(this.slowestNow, this.slowestRemembered) - this.fastestMs);
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
      const stamp = this.arrivalBound((this.head + i) % this.capacity, now);
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
    while (this.size > this.limitValue && this.arrivalBound(this.head, now) + this.windowMs <= now) {
      this.head = (this.head + 1) % this.capacity;
      this.headSeq++;
      this.size--;
    }
  }

  /**
   * Records a request starting at `now`, and returns its entry's number, by which its holder reaches it
   * later. A number, not an object: the ring keeps plain numbers (a busy key's log holds a window's worth of
   * entries, 100,000 at 100,000 per second, which as objects would outlive the young generation and be
   * collected again by the old one), and a grant allocates nothing for its entry. Call only when
   * {@link waitMs} is 0.
   */
  record(now: number): number {
    this.forget(now);
    return this.push(now, Infinity);
  }

  /** The entry numbered `seq`, or undefined once it has left the ring (its window is over). */
  entry(seq: number): WindowEntry | undefined {
    const at = this.offsetOf(seq);
    if (at < 0) return undefined;
    const written = this.ring[at + WRITTEN];
    return { start: this.ring[at + START], stamp: this.ring[at + STAMP], written: Number.isNaN(written) ? undefined : written };
  }

  /** Where the numbers of the entry numbered `seq` begin in the ring, or -1 when it no longer holds it. */
  private offsetOf(seq: number): number {
    const age = seq - this.headSeq;
    return age >= 0 && age < this.size ? ((this.head + age) % this.capacity) * FIELDS : -1;
  }

  /** Appends an entry to the ring; returns its sequence number. */
  private push(start: number, stamp: number): number {
    if (this.size === this.capacity) this.relayout(this.capacity * 2);
    const at = ((this.head + this.size) % this.capacity) * FIELDS;
    this.ring[at + START] = start;
    this.ring[at + STAMP] = stamp;
    this.ring[at + WRITTEN] = NaN;
    this.size++;
    return this.headSeq + this.size - 1;
  }

  /**
   * Counts `count` requests of unknown start as if they had just arrived: for a log created when a limit
   * is learned, so the requests already sent in this window are not forgotten.
   */
  seed(count: number, now: number): void {
    for (let i = 0; i < Math.min(count, this.limitValue); i++) {
      this.forget(now);
      this.push(now, now);
    }
  }

  /** The request of entry `seq` was handed to the operating system at `at` (still in flight). */
  written(seq: number, at: number): void {
    const offset = this.offsetOf(seq);
    if (offset >= 0 && this.ring[offset + STAMP] === Infinity) this.ring[offset + WRITTEN] = Math.max(this.ring[offset + START], at);
  }

  /**
   * The request of entry `seq`, started at `start`, got its answer at `now`: stamp the latest it may have
   * arrived. `writtenAfterMs`: how long after its start it was handed to the operating system, if known.
   * The round trip counts even when the entry has left the ring (counted while in flight, on schedule).
   */
  settle(seq: number, start: number, now: number, writtenAfterMs?: number): void {
    if (writtenAfterMs === undefined) {
      // No evidence of when it left: its way in and the way back may have varied apart (a browser's
      // preflight and main thread, a custom adapter), so the answer itself is the only bound.
      this.stamp(seq, Math.max(start, now));
      return;
    }
    const sinceStart = Math.max(0, now - start);
    const latency = sinceStart - Math.min(Math.max(0, writtenAfterMs), sinceStart);
    if (latency < this.fastestMs) this.fastestMs = latency;
    this.noteLatency(latency);
    // The floor before this answer counts: the first N answers get none.
    this.stamp(seq, Math.max(start, now - this.floor()));
    this.settledCount++;
  }

  /**
   * Keeps the slowest round trip of the last N to 2N answers (old outliers age out, recent ones count), and
   * of the last IN_FLIGHT_MEMORY buckets of N, for requests counted while in flight.
   */
  private noteLatency(latency: number): void {
    if (latency > this.slowestNow) this.slowestNow = latency;
    if (++this.bucketCount >= Math.max(1, this.limitValue)) {
      this.slowestBefore = this.slowestNow;
      const buckets = this.slowestOfBuckets;
      buckets[this.bucketsNoted++ % IN_FLIGHT_MEMORY] = this.slowestNow;
      this.slowestRemembered = Math.max(...buckets);
      this.slowestNow = 0;
      this.bucketCount = 0;
    }
  }

  /** The request of entry `seq` was granted but never sent: it counts from its start. */
  unused(seq: number): void {
    const offset = this.offsetOf(seq);
    if (offset >= 0) this.ring[offset + STAMP] = this.ring[offset + START];
  }

  /** Entries inside the window ending at `now` (in flight included). */
  used(now: number): number {
    let count = 0;
    for (let i = 0; i < this.size; i++) {
      if (this.ring[((this.head + i) % this.capacity) * FIELDS + STAMP] + this.windowMs > now) count++;
    }
    return count;
  }

  /** True when every entry has been answered and left the window: the log can be dropped. */
  isIdle(now: number): boolean {
    return this.used(now) === 0;
  }

  /** Stamps the entry numbered `seq`, if the ring still holds it. */
  private stamp(seq: number, stamp: number): void {
    const offset = this.offsetOf(seq);
    if (offset >= 0) this.ring[offset + STAMP] = stamp;
  }

  /** Changes N. Every entry is kept, so the guarantee holds across the change, in either direction. */
  resize(limit: number): void {
    this.limitValue = limit;
  }

  /** Copies the live entries, oldest first, into a ring of `capacity`. */
  private relayout(capacity: number): void {
    const next = new Array<number>(capacity * FIELDS).fill(0);
    for (let i = 0; i < this.size; i++) {
      const from = ((this.head + i) % this.capacity) * FIELDS;
      const to = i * FIELDS;
      next[to + START] = this.ring[from + START];
      next[to + STAMP] = this.ring[from + STAMP];
      next[to + WRITTEN] = this.ring[from + WRITTEN];
    }
    this.ring = next;
    this.capacity = capacity;
    this.head = 0;
  }
}
