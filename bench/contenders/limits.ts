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

/** "50/1000 ms, 10 in flight", for the reports. */
export function limitText(limit: ClientLimit): string {
  return `${limit.requests}/${limit.perMs} ms${limit.concurrent !== undefined ? `, ${limit.concurrent} in flight` : ''}`;
}
