import type { BucketLimit, ClientLimit } from '../types';

/**
 * A leaky bucket in a window limiter's terms: one request per 1/rate. A window of burst + 1 per
 * (burst + 1) / rate would use the burst, but nginx refuses the bucket's last request if it arrives a
 * millisecond early, and a client stamps requests when it sends them, not when they arrive: the rate alone
 * never overflows (it leaves the burst unused, as Bottleneck's `minTime` does).
 */
export function bucketAsWindow(bucket: BucketLimit): ClientLimit {
  return { requests: 1, perMs: 1000 / bucket.rate };
}

/**
 * A leaky bucket as the guard's README says to write it down: b per b / rate. The guard stamps each request
 * with the latest moment it may have arrived (not when it was sent), so a window of b never puts more than
 * rate × t + b into a span t, which the bucket (b + 1 at once) accepts; one window per b requests pays the
 * stamping time once, not b times.
 */
export function bucketAsGuardWindow(bucket: BucketLimit): ClientLimit {
  if (bucket.burst < 1) return bucketAsWindow(bucket);
  return { requests: bucket.burst, perMs: (1000 * bucket.burst) / bucket.rate };
}

/** "50/1000 ms, 10 in flight", for the reports. */
export function limitText(limit: ClientLimit): string {
  return `${limit.requests}/${limit.perMs} ms${limit.concurrent !== undefined ? `, ${limit.concurrent} in flight` : ''}`;
}
