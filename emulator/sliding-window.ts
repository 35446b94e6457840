/**
 * Timestamps of accepted requests for one key, over a true sliding window: at time `now` the window
 * holds the stamps t with now - windowMs < t <= now.
 *
 * Times must be non-decreasing across calls (they come from a monotonic clock); old stamps are dropped
 * as the window moves, so memory stays bounded by the rate.
 */
export class SlidingWindow {
  private readonly stamps: number[] = [];
  private head = 0;
  private last = -Infinity;
  private max = 0;

  constructor(readonly windowMs: number) {}

  /** How many stamps lie in (now - windowMs, now]. */
  count(now: number): number {
    this.advance(now);
    return this.stamps.length - this.head;
  }

  /** Records a stamp at `t` and returns the count in the window ending at `t`, including it. */
  record(t: number): number {
    this.advance(t);
    this.stamps.push(t);
    const inWindow = this.stamps.length - this.head;
    // The busiest interval of length windowMs can always be slid right until it ends on a stamp, so
    // checking the window that ends at each new stamp finds the true maximum.
    if (inWindow > this.max) this.max = inWindow;
    return inWindow;
  }

  /** The most stamps ever seen inside one interval of windowMs. */
  get maxInAnyWindow(): number {
    return this.max;
  }

  private advance(now: number): void {
    if (now < this.last) {
      throw new RangeError(`SlidingWindow times must not go backwards: got ${now} after ${this.last}`);
    }
    this.last = now;
    const edge = now - this.windowMs;
    while (this.head < this.stamps.length && this.stamps[this.head] <= edge) this.head++;
    // Compact occasionally rather than shift() on every expiry.
    if (this.head > 1024 && this.head * 2 > this.stamps.length) {
      this.stamps.splice(0, this.head);
      this.head = 0;
    }
  }
}
