/**
 * The hyphenated `X-Rate-Limit` family: Zendesk's `X-Rate-Limit` / `X-Rate-Limit-Remaining` (per minute,
 * no reset sent) and X's (Twitter's) `x-rate-limit-limit` / `-remaining` / `-reset` (epoch seconds).
 * Zendesk's `ratelimit-*` headers are IETF draft-6 and read as such, before this family.
 */
import type { QuotaReading } from '../rate-limit-headers.js';
import { epochOrDeltaSecondsToMs } from '../time-values.js';
import { checkQuota, count, time, type HeaderMap } from './common.js';

export function isXRateLimit(h: HeaderMap): boolean {
  return h.has('x-rate-limit') || h.has('x-rate-limit-limit') || h.has('x-rate-limit-remaining');
}

export function readXRateLimit(h: HeaderMap, wallNow: number, rejected: string[]): QuotaReading | undefined {
  const limitName = h.has('x-rate-limit-limit') ? 'x-rate-limit-limit' : 'x-rate-limit';
  const quota = checkQuota(
    {
      name: 'requests',
      limit: count(limitName, h.get(limitName), rejected, 1),
      remaining: count('x-rate-limit-remaining', h.get('x-rate-limit-remaining'), rejected, 0),
      resetMs: time('x-rate-limit-reset', h.get('x-rate-limit-reset'), rejected, (raw) => epochOrDeltaSecondsToMs(raw, wallNow)),
    },
    rejected,
  );
  return { dialect: 'x-rate-limit', limit: quota.limit, remaining: quota.remaining, resetMs: quota.resetMs, rejected };
}
