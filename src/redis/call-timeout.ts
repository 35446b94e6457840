import type { Clock, TimerHandle } from '../clock.js';

/** A Redis call that did not answer within the store's `callTimeoutMs`. */
export class RedisTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`Redis did not answer within ${timeoutMs} ms`);
    this.name = 'RedisTimeoutError';
  }
}

interface Pending {
  readonly at: number;
  done: boolean;
  readonly reject: (error: Error) => void;
}

/**
 * Per-call timeouts with one timer for all calls, not one per request. Every call gets the same timeout,
 * so deadlines arrive in call order and a FIFO suffices: the timer is armed for the oldest live call, and
 * calls that answered are dropped when the timer reaches them.
 */
export class CallTimeouts {
  private queue: Pending[] = [];
  private head = 0;
  private timer: TimerHandle | undefined;

  constructor(
    private readonly clock: Clock,
    readonly timeoutMs: number,
  ) {}

  /** `promise`, or a RedisTimeoutError if it has not settled within the timeout. */
  track<T>(promise: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: Pending = { at: this.clock.now() + this.timeoutMs, done: false, reject };
      this.queue.push(entry);
      promise.then(
        (value) => {
          entry.done = true;
          resolve(value);
        },
        (error: unknown) => {
          entry.done = true;
          reject(error);
        },
      );
      if (this.timer === undefined) this.arm(this.timeoutMs);
    });
  }

  /** Stops the timer; calls still pending are failed at once. */
  close(): void {
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    for (let i = this.head; i < this.queue.length; i++) this.expire(this.queue[i]);
    this.queue = [];
    this.head = 0;
  }

  private arm(ms: number): void {
    // Referenced: a request waits on the call, and it must settle even if nothing else keeps Node alive.
    this.timer = this.clock.setTimer(() => this.fire(), Math.max(0, Math.ceil(ms)));
  }

  private fire(): void {
    this.timer = undefined;
    const now = this.clock.now();
    while (this.head < this.queue.length) {
      const entry = this.queue[this.head];
      if (!entry.done && entry.at > now) break;
      this.expire(entry);
      this.head++;
    }
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
      return;
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.arm(this.queue[this.head].at - now);
  }

  private expire(entry: Pending): void {
    if (entry.done) return;
    entry.done = true;
    entry.reject(new RedisTimeoutError(this.timeoutMs));
  }
}
