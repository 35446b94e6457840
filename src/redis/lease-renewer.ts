import type { Clock, TimerHandle } from '../clock.js';

/**
 * Keeps this process's leases alive while their requests run: one timer per store, however many requests
 * are in flight, and each tick renews every lease held in one call (one round trip). A lease that is
 * released (or abandoned) is dropped at once; with none held the timer stops.
 */
export class LeaseRenewer<T> {
  private readonly held = new Map<string, T>();
  private timer: TimerHandle | undefined;
  private renewing = false;

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly renew: (leases: ReadonlyArray<[string, T]>) => Promise<unknown>,
  ) {}

  get size(): number {
    return this.held.size;
  }

  add(id: string, value: T): void {
    this.held.set(id, value);
    if (this.timer === undefined) this.arm();
  }

  delete(id: string): void {
    this.held.delete(id);
    if (this.held.size === 0 && this.timer !== undefined) {
      this.clock.clearTimer(this.timer);
      this.timer = undefined;
    }
  }

  close(): void {
    this.held.clear();
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    // Unref'd: the requests it renews keep the process alive on their own.
    this.timer = this.clock.setTimer(() => this.tick(), this.intervalMs, { unref: true });
  }

  private tick(): void {
    this.timer = undefined;
    if (this.held.size === 0) return;
    this.arm();
    if (this.renewing) return; // the previous round has not answered yet: do not pile up calls
    this.renewing = true;
    const done = () => {
      this.renewing = false;
    };
    this.renew([...this.held]).then(done, done);
  }
}
