/**
 * The rate limiter: a sliding-window log of the last N start times in a ring buffer.
 *
 * Why not a token bucket: a bucket of N tokens refilled at N per W lets 2N requests start within one
 * window (a full bucket spent at the end of one window plus the refill), which a fixed- or sliding-window
 * server rejects. This log admits a start only when the N-th most recent start is at least W old, so no
 * interval of length W ever holds more than N starts, whatever window the server uses; and it admits
 * exactly N per W when saturated, so nothing of the quota is given away. Cost: one number per allowed
 * request of the window, O(1) per start.
 */
export class SlidingWindowLog {
  private starts: number[];
  private head = 0; // index of the oldest recorded start
  private size = 0;

  constructor(
    private limitValue: number,
    /** Window length in ms, safety margin included. */
    public windowMs: number,
  ) {
    this.starts = new Array<number>(limitValue);
  }

  get limit(): number {
    return this.limitValue;
  }

  /** Ms until one more start is allowed: 0 when one may start now. */
  waitMs(now: number): number {
    if (this.size < this.limitValue) return 0;
    const wait = this.starts[this.head] + this.windowMs - now;
    return wait > 0 ? wait : 0;
  }

  /** Records a start at `now`. Call only when {@link waitMs} is 0. */
  record(now: number): void {
    const capacity = this.limitValue;
    if (this.size < capacity) {
      this.starts[(this.head + this.size) % capacity] = now;
      this.size++;
    } else {
      this.starts[this.head] = now;
      this.head = (this.head + 1) % capacity;
    }
  }

  /** Starts inside the window ending at `now`. */
  used(now: number): number {
    let count = 0;
    for (let i = 0; i < this.size; i++) {
      if (this.starts[(this.head + i) % this.limitValue] + this.windowMs > now) count++;
    }
    return count;
  }

  /** True when no recorded start is inside the window any more: the log can be dropped. */
  isIdle(now: number): boolean {
    if (this.size === 0) return true;
    const newest = this.starts[(this.head + this.size - 1) % this.limitValue];
    return newest + this.windowMs <= now;
  }

  /** Changes N, keeping the most recent starts so that the guarantee holds across the change. */
  resize(limit: number): void {
    if (limit === this.limitValue) return;
    const keep = Math.min(this.size, limit);
    const next = new Array<number>(limit);
    for (let i = 0; i < keep; i++) {
      next[i] = this.starts[(this.head + this.size - keep + i) % this.limitValue];
    }
    this.starts = next;
    this.head = 0;
    this.size = keep;
    this.limitValue = limit;
  }
}
