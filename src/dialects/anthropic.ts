/**
 * Anthropic: `anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-{limit,remaining,reset}`,
 * resets as RFC 3339 timestamps. The request quota paces requests; the token quotas are reported, and the
 * spent one with the latest reset holds the key. Its 429s carry `retry-after`, read by the 429 parser.
 */
import type { QuotaReading, ReportedQuota } from '../rate-limit-headers.js';
import { timestampToMs } from '../time-values.js';
import { count, readingOfQuotas, time, type HeaderMap } from './common.js';

const PREFIX = 'anthropic-ratelimit-';
const TOKEN_KINDS = ['tokens', 'input-tokens', 'output-tokens'];

export function isAnthropic(h: HeaderMap): boolean {
  for (const name of h.keys()) if (name.startsWith(PREFIX)) return true;
  return false;
}

function quota(h: HeaderMap, kind: string, wallNow: number, rejected: string[]): ReportedQuota {
  const name = `${PREFIX}${kind}`;
  return {
    name: kind,
    limit: count(`${name}-limit`, h.get(`${name}-limit`), rejected, 1),
    remaining: count(`${name}-remaining`, h.get(`${name}-remaining`), rejected, 0),
    resetMs: time(`${name}-reset`, h.get(`${name}-reset`), rejected, (raw) => timestampToMs(raw, wallNow)),
  };
}

export function readAnthropic(h: HeaderMap, wallNow: number, rejected: string[]): QuotaReading | undefined {
  const tokens = TOKEN_KINDS.map((kind) => quota(h, kind, wallNow, rejected));
  return readingOfQuotas('anthropic', quota(h, 'requests', wallNow, rejected), tokens, rejected);
}
