/**
 * Every parser of what a server says, fed arbitrary text: nothing throws (a proxy's garbage header must
 * not fail a call that plain axios would resolve), and nothing yields a negative, NaN, infinite or
 * absurd delay (beyond MAX_SERVER_WAIT_MS), nor a limit below 1.
 */
import fc from 'fast-check';
import { MAX_SERVER_WAIT_MS, parseRetryAfter, parseRetryAfterMs, parseThrottle } from '../src/parse-429';
import { readRateLimitHeaders } from '../src/rate-limit-headers';
import { anyResetToMs, epochOrDeltaSecondsToMs, goDurationToMs, timestampToMs } from '../src/time-values';

const RATE_LIMIT_HEADERS = [
  'ratelimit',
  'ratelimit-policy',
  'ratelimit-limit',
  'ratelimit-remaining',
  'ratelimit-reset',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
  'x-ratelimit-reset-after',
  'x-ratelimit-resource',
  'retry-after',
  'x-ratelimit-tokenlimit',
  'x-ratelimit-crosstokenlimit',
  'x-ratelimit-tokenconcurrentlimit',
  'x-ratelimit-crosstokenconcurrentlimit',
  // issue 13's dialects
  'retry-after-ms',
  'beta-ratelimit',
  'beta-ratelimit-policy',
  'x-ratelimit-nearlimit',
  'ratelimit-reason',
  'x-ratelimit-scope',
  'x-ratelimit-global',
  'x-ratelimit-bucket',
  'x-ratelimit-limit-requests',
  'x-ratelimit-remaining-requests',
  'x-ratelimit-reset-requests',
  'x-ratelimit-limit-tokens',
  'x-ratelimit-remaining-tokens',
  'x-ratelimit-reset-tokens',
  'anthropic-ratelimit-requests-limit',
  'anthropic-ratelimit-requests-remaining',
  'anthropic-ratelimit-requests-reset',
  'anthropic-ratelimit-input-tokens-remaining',
  'anthropic-ratelimit-input-tokens-reset',
  'x-shopify-shop-api-call-limit',
  'x-hubspot-ratelimit-secondly',
  'x-hubspot-ratelimit-secondly-remaining',
  'x-hubspot-ratelimit-max',
  'x-hubspot-ratelimit-remaining',
  'x-hubspot-ratelimit-interval-milliseconds',
  'x-hubspot-ratelimit-daily',
  'x-hubspot-ratelimit-daily-remaining',
  'x-rate-limit',
  'x-rate-limit-limit',
  'x-rate-limit-remaining',
  'x-rate-limit-reset',
];

/** Text that looks like a header value often enough to reach deep into the parsers. */
const headerText = fc.oneof(
  fc.string(),
  fc.stringMatching(/^[\s"=;,a-z0-9.\-:]{0,40}$/),
  fc.array(fc.constantFrom(';', ',', '=', '"', ' ', 'r', 't', 'q', 'w', 'a', 'pk', ':', 'limit', 'remaining', 'reset', '1', '0', '-1', '1e9', '99999999', 'default'), { maxLength: 12 }).map((parts) => parts.join('')),
  // Durations, timestamps and call limits, whole or broken.
  fc.array(fc.constantFrom('1', '0', '99999', '.', '5', 'h', 'm', 's', 'ms', 'us', 'µs', 'ns'), { maxLength: 8 }).map((parts) => parts.join('')),
  fc.tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: -5, max: 40 }), fc.integer({ min: -5, max: 70 }), fc.constantFrom('Z', '+01:00', '', 'z', '-23:59')).map(
    ([year, month, second, zone]) => `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-22T12:00:${String(second).padStart(2, '0')}${zone}`,
  ),
  fc.tuple(fc.integer({ min: -5, max: 2e9 }), fc.integer({ min: -5, max: 2e9 })).map(([used, size]) => `${used}/${size}`),
  fc.double().map(String),
);

const headers = fc.dictionary(fc.constantFrom(...RATE_LIMIT_HEADERS), headerText, { maxKeys: 6 });
const wallNow = fc.integer({ min: 0, max: 4_102_444_800_000 });

const usable = (value: number | undefined): boolean => value === undefined || (Number.isFinite(value) && value >= 0 && value <= MAX_SERVER_WAIT_MS);

describe('parsers, fed arbitrary text', () => {
  it('readRateLimitHeaders never throws and yields only usable numbers', () => {
    fc.assert(
      fc.property(headers, wallNow, (h, now) => {
        const reading = readRateLimitHeaders(h, now);
        if (!reading) return;
        expect(usable(reading.remaining) && usable(reading.resetMs)).toBe(true);
        expect(reading.limit === undefined || (Number.isInteger(reading.limit) && reading.limit >= 1 && reading.limit <= 1e9)).toBe(true);
        for (const quota of reading.quotas ?? []) {
          expect(usable(quota.remaining) && usable(quota.resetMs)).toBe(true);
          expect(quota.limit === undefined || (Number.isInteger(quota.limit) && quota.limit >= 1 && quota.limit <= 1e9)).toBe(true);
        }
        if (reading.policy) {
          expect(Number.isInteger(reading.policy.requests) && reading.policy.requests >= 1).toBe(true);
          expect(reading.policy.requests <= 1e9 && usable(reading.policy.windowMs) && reading.policy.windowMs > 0).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('parseThrottle never throws and yields only usable numbers, whatever the headers and body', () => {
    const body = fc.oneof(fc.string(), fc.json(), fc.constant(undefined), fc.constant(null), fc.object());
    fc.assert(
      fc.property(headers, body, wallNow, (h, b, now) => {
        const signal = parseThrottle(h, b, now);
        expect(usable(signal.delayMs)).toBe(true);
        expect(signal.limit === undefined || (Number.isInteger(signal.limit) && signal.limit >= 1)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('parseRetryAfter never throws and yields only usable numbers', () => {
    fc.assert(
      fc.property(headerText, wallNow, (value, now) => {
        expect(usable(parseRetryAfter(value, now, []))).toBe(true);
        expect(usable(parseRetryAfterMs(value, []))).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('every time reader (epoch or delta, Go duration, timestamp) never throws and yields only usable numbers', () => {
    fc.assert(
      fc.property(headerText, wallNow, (value, now) => {
        for (const ms of [epochOrDeltaSecondsToMs(value, now), goDurationToMs(value), timestampToMs(value, now), anyResetToMs(value, now)]) {
          expect(usable(ms)).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('rejects waits beyond 31 days as unusable, whatever header says them', () => {
    const now = Date.UTC(2026, 10, 23);
    for (const headers of [
      { 'retry-after': '99999999' },
      { 'retry-after': 'Fri, 01 Jan 2100 00:00:00 GMT' },
      { 'x-ratelimit-reset': '999999999999' },
      { 'ratelimit-reset': String(Math.ceil(now / 1000) + 40 * 24 * 3600) },
      { 'x-ratelimit-reset-after': '99999999' },
      { 'retry-after-ms': String(32 * 24 * 3600 * 1000) },
      { 'x-ratelimit-reset': '2100-01-01T00:00:00Z' },
    ]) {
      const signal = parseThrottle(headers, undefined, now);
      expect({ headers, delayMs: signal.delayMs }).toEqual({ headers, delayMs: undefined });
      expect(signal.rejected).toHaveLength(1);
    }
    expect(parseThrottle({ 'retry-after': String(30 * 24 * 3600) }, undefined, now).delayMs).toBe(30 * 24 * 3600 * 1000);
  });

  it('reads the one-character headers that used to break every response', () => {
    expect(() => readRateLimitHeaders({ ratelimit: ';' }, 0)).not.toThrow();
    expect(() => readRateLimitHeaders({ 'ratelimit-policy': ';' }, 0)).not.toThrow();
    expect(readRateLimitHeaders({ ratelimit: '"default";r=1;t=2, ;' }, 0)).toMatchObject({ remaining: 1, resetMs: 2000 });
  });
});
