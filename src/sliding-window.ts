/**
 * The rate limiter: a sliding-window log of the last N requests of a key, in a ring buffer.
 *
 * Why not a token bucket: a bucket of N tokens refilled at N per W lets 2N requests start within one
 * window (a full bucket spent at the end of one window plus the refill), which a fixed- or sliding-window
 * server rejects. This log admits a request only when the N-th most recent one is at least W old, so no
 * interval of length W ever holds more than N, whatever window the server uses; and it admits exactly N
 * per W when saturated, so nothing of the quota is given away.
 *
 * "Old" is measured from when the request most likely reached the server, not from when it was handed to
 * the adapter: a request on a cold connection (TCP/TLS handshake) can arrive tens of ms after one sent
 * later on a warm connection, and a strict sliding-window server then counts N+1. So each entry is
 * stamped, once its answer is back, at start + (its latency − the key's fastest latency), capped at W/10:
 * the extra time it took is time it may have spent before arriving. Until then it counts as in flight
 * and holds its place. Only the oldest entry is ever checked or evicted, so the guarantee needs no order
 * among stamps.
 */
export interface WindowEntry {
  readonly start: number;
  /** Estimated arrival at the server; Infinity while the request is in flight. */
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
   * still in flight (wait for its answer).
   */
  waitMs(now: number): number | undefined {
    if (this.size < this.limitValue) return 0;
    if (this.size > this.limitValue) return this.waitAfterShrink(now);
    const stamp = this.entries[this.head].stamp;
    if (stamp === Infinity) return undefined;
    const wait = stamp + this.windowMs - now;
    return wait > 0 ? wait : 0;
  }

  /**
   * After the limit shrank below the entries held: count those still in the window, and wait until
   * enough of them leave it (rare, so a sort is fine).
   */
  private waitAfterShrink(now: number): number | undefined {
    const inWindow: number[] = [];
    for (let i = 0; i < this.size; i++) {
      const { stamp } = this.entries[(this.head + i) % this.entries.length];
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
    // Entries that have left the window can never matter again. Others are kept even beyond the newest N:
    // after a limit shrinks, they count again if it grows back within the window.
    while (this.size > 0 && this.entries[this.head].stamp + this.windowMs <= now) {
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

  /** The request of `entry` got its answer at `now`: stamp its likely arrival. */
  settle(entry: WindowEntry, now: number): void {
    const latency = Math.max(0, now - entry.start);
    if (latency < this.fastestMs) this.fastestMs = latency;
    const floor = this.settledCount++ < this.limitValue ? 0 : this.fastestMs;
    entry.stamp = entry.start + Math.min(latency - floor, this.windowMs / 10);
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
