/**
 * What every dialect reader shares: the response's rate-limit headers by lower-case name (collected in one
 * pass by rate-limit-headers.ts), count parsing that never trusts garbage, and the rule for APIs that report
 * several quotas at once (requests and tokens).
 */
import type { QuotaReading, ReportedQuota } from '../rate-limit-headers.js';

/** A response's rate-limit headers, by lower-case name. */
export type HeaderMap = ReadonlyMap<string, string>;

/** The most requests (or tokens) a quota may count: anything above is garbage, not a limit. */
export const MAX_COUNT = 1e9;
const INTEGER = /^\d+$/;

/** A whole count from `min` up, or undefined (listed in `rejected` when present but unusable). */
export function count(label: string, raw: string | undefined, rejected: string[], min: number): number | undefined {
  if (raw === undefined) return undefined;
  if (INTEGER.test(raw)) {
    const n = Number(raw);
    if (n >= min && n <= MAX_COUNT) return n;
  }
  rejected.push(`${label}: ${raw}`);
  return undefined;
}

/** A time value read by `parse`, or undefined (listed in `rejected` when present but unusable). */
export function time(label: string, raw: string | undefined, rejected: string[], parse: (raw: string) => number | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const ms = parse(raw);
  if (ms === undefined) rejected.push(`${label}: ${raw}`);
  return ms;
}

/** Drops a remaining count above its own limit (contradictory: neither can be trusted to gate). */
export function checkQuota(quota: ReportedQuota, rejected: string[]): ReportedQuota {
  if (quota.limit !== undefined && quota.remaining !== undefined && quota.remaining > quota.limit) {
    rejected.push(`${quota.name} remaining ${quota.remaining} above limit ${quota.limit}`);
    return { ...quota, remaining: undefined };
  }
  return quota;
}

const hasAny = (quota: ReportedQuota): boolean => quota.limit !== undefined || quota.remaining !== undefined || quota.resetMs !== undefined;

/**
 * Two or more quotas at once (OpenAI, Anthropic): the request quota paces requests; the others are reported
 * in `quotas`. A spent one (remaining 0, with a reset) holds the key: the reading then says remaining 0 until
 * its reset, the longest of the spent ones, and names it in `binding`. Its limit is left out, since it
 * counts tokens, not requests.
 */
export function readingOfQuotas(
  dialect: QuotaReading['dialect'],
  requests: ReportedQuota,
  others: ReportedQuota[],
  rejected: string[],
): QuotaReading | undefined {
  const pacing = checkQuota(requests, rejected);
  const reported = others.map((quota) => checkQuota(quota, rejected)).filter(hasAny);
  if (!hasAny(pacing) && reported.length === 0) return { dialect, rejected };
  let spent: ReportedQuota | undefined;
  for (const quota of [pacing, ...reported]) {
    if (quota.remaining === 0 && quota.resetMs !== undefined && (spent === undefined || quota.resetMs > (spent.resetMs ?? 0))) spent = quota;
  }
  const reading: QuotaReading = { dialect, rejected };
  if (reported.length > 0) reading.quotas = reported;
  if (spent && spent !== pacing) {
    reading.remaining = 0;
    reading.resetMs = spent.resetMs;
    reading.binding = spent.name;
    return reading;
  }
  reading.limit = pacing.limit;
  reading.remaining = pacing.remaining;
  reading.resetMs = pacing.resetMs;
  return reading;
}
