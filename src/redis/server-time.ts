/**
 * The offset between the Redis server's clock (the one every script reads with TIME) and this process's
 * monotonic clock, estimated from the server time each script returns: the script ran somewhere between
 * sending and receiving, so the midpoint is the estimate and half the round trip its error bound.
 *
 * The store's own clock stays local and monotonic (timers, deadlines and the fallback store use it); only
 * times the guard reports to a script (a throttled request's `sentAt`) are translated to server time.
 */
export class ServerTimeOffset {
  private offset: number | undefined;
  private bestRtt = Infinity;
  private bestAt = Number.NEGATIVE_INFINITY;

  /** Estimate before the first answer: the local wall clock (Redis TIME is a wall clock too). */
  constructor(private readonly initial: () => number) {}

  /** A script that was sent at local `sentAt` and answered at local `receivedAt` read `serverNow`. */
  sample(serverNow: number, sentAt: number, receivedAt: number): void {
    const rtt = receivedAt - sentAt;
    // Keep the tightest recent sample: a slow answer (queued behind others, event-loop lag) says little.
    // A sample older than 10 s is replaced anyway, so drift between the clocks is followed.
    if (rtt > this.bestRtt * 2 + 1 && receivedAt - this.bestAt < 10_000) return;
    this.bestRtt = rtt;
    this.bestAt = receivedAt;
    this.offset = serverNow - (sentAt + receivedAt) / 2;
  }

  /** Local monotonic time `local` on the server's clock. Infinite values stay infinite. */
  toServer(local: number): number {
    if (!Number.isFinite(local)) return local;
    return local + (this.offset ?? this.initial());
  }
}
