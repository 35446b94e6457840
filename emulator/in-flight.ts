/** Requests currently in flight per key, and the most there ever were at once. */
export class InFlightCounter {
  private readonly current = new Map<string, number>();
  private readonly peak = new Map<string, number>();

  of(key: string): number {
    return this.current.get(key) ?? 0;
  }

  maxOf(key: string): number {
    return this.peak.get(key) ?? 0;
  }

  enter(key: string): void {
    const now = this.of(key) + 1;
    this.current.set(key, now);
    if (now > this.maxOf(key)) this.peak.set(key, now);
  }

  leave(key: string): void {
    const now = this.of(key) - 1;
    if (now < 0) throw new RangeError(`InFlightCounter: more leaves than enters for key ${JSON.stringify(key)}`);
    if (now === 0) this.current.delete(key);
    else this.current.set(key, now);
  }
}
