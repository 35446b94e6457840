/**
 * HubSpot: `X-HubSpot-RateLimit-Secondly` / `-Secondly-Remaining` (per second), `-Max` / `-Remaining` per
 * `-Interval-Milliseconds` (the 10-second burst limit), and `-Daily` / `-Daily-Remaining`. The per-second or
 * interval quota with fewer left paces requests; its reset is not sent, so it is taken as a whole window (a
 * spent second waits at most a second). The daily quota is reported, not held: HubSpot resets it at
 * midnight in the account's time zone, which the headers do not say.
 */
import type { QuotaReading, ReportedQuota } from '../rate-limit-headers.js';
import { checkQuota, count, type HeaderMap } from './common.js';

const PREFIX = 'x-hubspot-ratelimit-';

export function isHubSpot(h: HeaderMap): boolean {
  for (const name of h.keys()) if (name.startsWith(PREFIX)) return true;
  return false;
}

interface Windowed extends ReportedQuota {
  windowMs?: number;
}

export function readHubSpot(h: HeaderMap, rejected: string[]): QuotaReading | undefined {
  const get = (suffix: string, min: number) => count(`${PREFIX}${suffix}`, h.get(`${PREFIX}${suffix}`), rejected, min);
  const candidates: Windowed[] = [
    { name: 'secondly', limit: get('secondly', 1), remaining: get('secondly-remaining', 0), windowMs: 1000 },
    { name: 'interval', limit: get('max', 1), remaining: get('remaining', 0), windowMs: get('interval-milliseconds', 1) },
  ];
  const daily = checkQuota({ name: 'daily', limit: get('daily', 1), remaining: get('daily-remaining', 0) }, rejected);
  let binding: Windowed | undefined;
  for (const raw of candidates) {
    const quota: Windowed = { ...checkQuota(raw, rejected), windowMs: raw.windowMs };
    if (quota.limit === undefined && quota.remaining === undefined) continue;
    const fewer = binding === undefined || (quota.remaining ?? Infinity) < (binding.remaining ?? Infinity);
    if (fewer) binding = quota;
  }
  const reading: QuotaReading = { dialect: 'hubspot', rejected };
  if (daily.limit !== undefined || daily.remaining !== undefined) reading.quotas = [daily];
  if (!binding) return reading;
  reading.remaining = binding.remaining;
  if (binding.limit !== undefined && binding.windowMs !== undefined) {
    reading.policy = { requests: binding.limit, windowMs: binding.windowMs };
    if (binding.remaining !== undefined) reading.resetMs = binding.windowMs;
  } else {
    reading.limit = binding.limit;
  }
  return reading;
}
