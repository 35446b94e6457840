/**
 * OpenAI: `x-ratelimit-{limit,remaining,reset}-{requests,tokens}`, resets as Go durations (`1s`, `6m0s`,
 * `12ms`). The request quota paces requests; the token quota is reported, and holds the key when spent.
 */
import type { QuotaReading, ReportedQuota } from '../rate-limit-headers.js';
import { goDurationToMs } from '../time-values.js';
import { count, readingOfQuotas, time, type HeaderMap } from './common.js';

const KINDS = ['requests', 'tokens'] as const;

export function isOpenAI(h: HeaderMap): boolean {
  return KINDS.some((kind) => h.has(`x-ratelimit-limit-${kind}`) || h.has(`x-ratelimit-remaining-${kind}`));
}

function quota(h: HeaderMap, kind: string, rejected: string[]): ReportedQuota {
  return {
    name: kind,
    limit: count(`x-ratelimit-limit-${kind}`, h.get(`x-ratelimit-limit-${kind}`), rejected, 1),
    remaining: count(`x-ratelimit-remaining-${kind}`, h.get(`x-ratelimit-remaining-${kind}`), rejected, 0),
    resetMs: time(`x-ratelimit-reset-${kind}`, h.get(`x-ratelimit-reset-${kind}`), rejected, goDurationToMs),
  };
}

export function readOpenAI(h: HeaderMap, rejected: string[]): QuotaReading | undefined {
  return readingOfQuotas('openai', quota(h, 'requests', rejected), [quota(h, 'tokens', rejected)], rejected);
}
