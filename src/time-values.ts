/**
 * How servers write a time: delta-seconds or epoch seconds, Go duration strings (OpenAI), ISO 8601 / RFC 3339
 * timestamps (Anthropic, Atlassian). Each reader returns ms from now, or undefined for anything unusable; the
 * caller lists what it rejected. This is the one place where "epoch or delta" is decided.
 */

/**
 * The longest wait a server may impose (Retry-After, a reset, a spent quota): 31 days, the longest quota
 * period APIs use (monthly). A longer value is a bug or an attack (`Retry-After: 99999999` is 3 years);
 * it is rejected as unusable, so the guard backs off instead of bricking the key.
 */
export const MAX_SERVER_WAIT_MS = 31 * 24 * 3600 * 1000;

/**
 * The epoch-or-delta rule: a reset value in seconds **above 10⁹** is an epoch (2001-09-09 onwards), at or
 * below it a delay. No API waits 31 years, and no server's clock is before 2001, so the two never overlap:
 * 1 000 000 000 is a delay (then rejected, being over 31 days), 1 000 000 001 an epoch.
 */
export const EPOCH_SECONDS_THRESHOLD = 1e9;

/** An epoch this far in the past is a broken clock or garbage, not "now". */
const MAX_PAST_MS = 60_000;

const DECIMAL = /^\d+(?:\.\d+)?$/;
const GO_DURATION = /^(?:\d+(?:\.\d+)?(?:h|m|s|ms|us|µs|ns))+$/;
const GO_PART = /(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/g;
const GO_UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 1e-3, 'µs': 1e-3, ns: 1e-6 };
/** ISO 8601 / RFC 3339 date-time with a zone (`Z` or ±hh:mm); seconds optional (Atlassian writes `16:00Z`). */
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/i;

function withinWait(ms: number): number | undefined {
  return Number.isFinite(ms) && ms >= 0 && ms <= MAX_SERVER_WAIT_MS ? Math.ceil(ms) : undefined;
}

/** An absolute time as a wait: a past time (within a minute) is 0; longer ago, or beyond 31 days, unusable. */
function untilTime(at: number, wallNow: number): number | undefined {
  const ms = at - wallNow;
  if (!Number.isFinite(ms) || ms < -MAX_PAST_MS) return undefined;
  return withinWait(Math.max(0, ms));
}

/** Delta-seconds (`2`, `1.5`). */
export function deltaSecondsToMs(raw: string): number | undefined {
  return DECIMAL.test(raw) ? withinWait(Number(raw) * 1000) : undefined;
}

/** Seconds that are a delta or, above {@link EPOCH_SECONDS_THRESHOLD}, an epoch (`X-RateLimit-Reset`). */
export function epochOrDeltaSecondsToMs(raw: string, wallNow: number): number | undefined {
  if (!DECIMAL.test(raw)) return undefined;
  const n = Number(raw);
  return n > EPOCH_SECONDS_THRESHOLD ? untilTime(n * 1000, wallNow) : withinWait(n * 1000);
}

/** A Go duration as OpenAI sends it: `1s`, `6m0s`, `12ms`, `1h2m3.5s`. */
export function goDurationToMs(raw: string): number | undefined {
  if (raw.length > 64 || !GO_DURATION.test(raw)) return undefined;
  let ms = 0;
  for (const [, value, unit] of raw.matchAll(GO_PART)) ms += Number(value) * GO_UNIT_MS[unit];
  return withinWait(ms);
}

/** An ISO 8601 / RFC 3339 timestamp with a zone (`2026-11-22T12:00:30Z`, `2026-03-26T16:00Z`). */
export function timestampToMs(raw: string, wallNow: number): number | undefined {
  if (raw.length > 40 || !ISO_TIMESTAMP.test(raw)) return undefined;
  return untilTime(Date.parse(raw.toUpperCase()), wallNow);
}

/** A reset in any of the forms above: number (epoch or delta), Go duration, or timestamp. */
export function anyResetToMs(raw: string, wallNow: number): number | undefined {
  return epochOrDeltaSecondsToMs(raw, wallNow) ?? goDurationToMs(raw) ?? timestampToMs(raw, wallNow);
}
