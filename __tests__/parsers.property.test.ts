/**
 * Every parser of what a server says, fed arbitrary text: nothing throws (a proxy's garbage header must
 * not fail a call that plain axios would resolve), and nothing yields a negative, NaN, infinite or
 * absurd delay (beyond MAX_SERVER_WAIT_MS), nor a limit below 1.
 */
import fc from 'fast-check';
import { MAX_SERVER_WAIT_MS, parseRetryAfter, parseThrottle } from '../src/parse-429';
import { readRateLimitHeaders } from '../src/rate-limit-headers';

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
];

/** Text that looks like a header value often enough to reach deep into the parsers. */
const headerText = fc.oneof(
  fc.string(),
  fc.stringMatching(/^[\s"=;,a-z0-9.\-:]{0,40}$/),
  fc.array(fc.constantFrom(';', ',', '=', '"', ' ', 'r', 't', 'q', 'w', 'limit', 'remaining', 'reset', '1', '0', '-1', '1e9', '99999999', 'default'), { maxLength: 12 }).map((parts) => parts.join('')),
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
        expect(reading.limit === undefined || (Number.isInteger(reading.limit) && reading.limit >= 1)).toBe(true);
        if (reading.policy) {
          expect(Number.isInteger(reading.policy.requests) && reading.policy.requests >= 1).toBe(true);
          expect(Number.isFinite(reading.policy.windowMs) && reading.policy.windowMs > 0).toBe(true);
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
