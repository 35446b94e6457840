import type { Clock, TimerHandle } from '../../src/clock';

interface FakeTimer {
  id: number;
  at: number;
  fn: () => void;
  unref: boolean;
}

/** Lets the event loop run every pending promise callback (and I/O callbacks already due). */
export const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A deterministic Clock: time moves only when a test calls advance(), timers fire in time order, and
 * every promise callback runs between two timers, so "after 999 ms nothing is sent; at 1000 ms one is".
 */
export class FakeClock implements Clock {
  private time = 0;
  private nextId = 1;
  private timers: FakeTimer[] = [];
  private seed: number;

  constructor(private readonly epoch = Date.UTC(2026, 0, 1), seed = 42) {
    this.seed = seed;
  }

  now(): number {
    return this.time;
  }

  wallNow(): number {
    return this.epoch + this.time;
  }

  setTimer(fn: () => void, ms: number, options?: { unref?: boolean }): TimerHandle {
    const timer = { id: this.nextId++, at: this.time + Math.max(0, ms), fn, unref: !!options?.unref };
    this.timers.push(timer);
    return timer.id;
  }

  clearTimer(handle: TimerHandle): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  /** Deterministic pseudo-random numbers (mulberry32). */
  random(): number {
    let t = (this.seed += 0x6d2b79f5);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Timers pending; `refOnly` counts only those that would keep a Node process alive. */
  pendingTimers(refOnly = false): number {
    return this.timers.filter((t) => !refOnly || !t.unref).length;
  }

  /** Moves time forward by `ms`, firing due timers in order and letting promises settle after each. */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    await flush();
    for (;;) {
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.time = Math.max(this.time, due.at);
      due.fn();
      await flush();
    }
    this.time = end;
    await flush();
  }

  /** Advances until no referenced timer is left (or `limitMs` passes). */
  async runAll(limitMs = 3_600_000): Promise<void> {
    const end = this.time + limitMs;
    while (this.time < end) {
      await flush();
      const next = this.timers.filter((t) => !t.unref).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      await this.advance(Math.max(0, next.at - this.time));
    }
    await flush();
  }
}
