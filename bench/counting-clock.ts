import type { Clock, TimerHandle } from '../src';

interface CountedTimer {
  handle: TimerHandle;
  /** Housekeeping (the store's idle sweep): does not keep the process alive and no request waits on it. */
  unref: boolean;
}

export interface TimerCounts {
  /** setTimer calls for timers that requests wait on (referenced), and for housekeeping (unref'd). */
  setWaiting: number;
  setHousekeeping: number;
  fired: number;
  cleared: number;
  /** Live right now. */
  liveWaiting: number;
  liveHousekeeping: number;
  /** Most live at once since the last resetPeaks(). */
  peakWaiting: number;
  peakHousekeeping: number;
}

/**
 * A clock (the system clock in the bench), with every timer the store and scheduler set counted (the plugin promises one per
 * paused or waiting key, never one per request) and a manual offset to make keys idle without waiting.
 */
export class CountingClock implements Clock {
  private readonly live = new Set<CountedTimer>();
  /** Of `live`, the housekeeping ones: kept as a count, so that setting a timer costs O(1) however many are live. */
  private liveUnref = 0;
  private offsetMs = 0;
  private counts = { setWaiting: 0, setHousekeeping: 0, fired: 0, cleared: 0, peakWaiting: 0, peakHousekeeping: 0 };

  constructor(private readonly inner: Clock) {}

  now(): number {
    return this.inner.now() + this.offsetMs;
  }

  wallNow(): number {
    return this.inner.wallNow() + this.offsetMs;
  }

  random(): number {
    return this.inner.random();
  }

  setTimer(fn: () => void, ms: number, options?: { unref?: boolean }): TimerHandle {
    const timer: CountedTimer = { handle: undefined, unref: !!options?.unref };
    timer.handle = this.inner.setTimer(
      () => {
        if (this.forget(timer)) this.counts.fired++;
        fn();
      },
      ms,
      options,
    );
    this.live.add(timer);
    if (timer.unref) {
      this.liveUnref++;
      this.counts.setHousekeeping++;
    } else this.counts.setWaiting++;
    const { waiting, housekeeping } = this.liveCounts();
    this.counts.peakWaiting = Math.max(this.counts.peakWaiting, waiting);
    this.counts.peakHousekeeping = Math.max(this.counts.peakHousekeeping, housekeeping);
    return timer;
  }

  clearTimer(handle: TimerHandle): void {
    const timer = handle as CountedTimer;
    if (this.forget(timer)) this.counts.cleared++;
    this.inner.clearTimer(timer.handle);
  }

  /** Moves this clock's time forward without waiting (timers already set still fire in real time). */
  advance(ms: number): void {
    this.offsetMs += ms;
  }

  resetPeaks(): void {
    const { waiting, housekeeping } = this.liveCounts();
    this.counts.peakWaiting = waiting;
    this.counts.peakHousekeeping = housekeeping;
  }

  snapshot(): TimerCounts {
    const { waiting, housekeeping } = this.liveCounts();
    return { ...this.counts, liveWaiting: waiting, liveHousekeeping: housekeeping };
  }

  private forget(timer: CountedTimer): boolean {
    if (!this.live.delete(timer)) return false;
    if (timer.unref) this.liveUnref--;
    return true;
  }

  private liveCounts(): { waiting: number; housekeeping: number } {
    return { waiting: this.live.size - this.liveUnref, housekeeping: this.liveUnref };
  }
}
