import { anyResetToMs, EPOCH_SECONDS_THRESHOLD, epochOrDeltaSecondsToMs, goDurationToMs, MAX_SERVER_WAIT_MS, timestampToMs } from '../../src/time-values';
import { readRateLimitHeaders } from '../../src/rate-limit-headers';
import { parseThrottle } from '../../src/parse-429';

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);

describe('the epoch-or-delta rule (above 10⁹ seconds is an epoch)', () => {
  it('takes 10⁹ as a delay (31 years: rejected) and 10⁹ + 1 as an epoch (2001: long past, rejected)', () => {
    expect(EPOCH_SECONDS_THRESHOLD).toBe(1e9);
    expect(epochOrDeltaSecondsToMs('1000000000', NOW)).toBeUndefined();
    expect(epochOrDeltaSecondsToMs('1000000001', NOW)).toBeUndefined();
    // Seen from 2001-09-09T01:46:40Z, the same two numbers: a delay too long, and an epoch 1 s ahead.
    expect(epochOrDeltaSecondsToMs('1000000000', 1e12)).toBeUndefined();
    expect(epochOrDeltaSecondsToMs('1000000001', 1e12)).toBe(1000);
  });

  it('reads a delta up to 31 days, and an epoch up to 31 days ahead or a minute behind', () => {
    expect(epochOrDeltaSecondsToMs('2.5', NOW)).toBe(2500);
    expect(epochOrDeltaSecondsToMs(String(31 * 86400), NOW)).toBe(MAX_SERVER_WAIT_MS);
    expect(epochOrDeltaSecondsToMs(String(31 * 86400 + 1), NOW)).toBeUndefined();
    expect(epochOrDeltaSecondsToMs(String(NOW / 1000 + 12.5), NOW)).toBe(12_500);
    expect(epochOrDeltaSecondsToMs(String(NOW / 1000 - 30), NOW)).toBe(0);
    expect(epochOrDeltaSecondsToMs(String(NOW / 1000 - 61), NOW)).toBeUndefined();
  });

  it('is the same rule in the header normalizer and the 429 parser', () => {
    for (const value of ['1000000000', '1000000001', String(NOW / 1000 + 9)]) {
      const reading = readRateLimitHeaders({ 'x-ratelimit-limit': '5', 'x-ratelimit-reset': value }, NOW);
      expect(parseThrottle({ 'x-ratelimit-reset': value }, undefined, NOW).delayMs).toBe(reading?.resetMs);
    }
  });
});

describe('Go durations (OpenAI resets)', () => {
  it.each([
    ['1s', 1000],
    ['6m0s', 360_000],
    ['12ms', 12],
    ['1h2m3.5s', 3_723_500],
    ['0s', 0],
    ['250us', 1],
  ])('%s is %d ms', (raw, ms) => expect(goDurationToMs(raw)).toBe(ms));

  it.each(['', '1', 's', '1x', '-1s', '1.s', '1 s', '800h'])('rejects %j', (raw) => expect(goDurationToMs(raw)).toBeUndefined());
});

describe('timestamps (RFC 3339 / ISO 8601)', () => {
  it('reads them with a zone, with or without seconds', () => {
    expect(timestampToMs('2026-11-22T12:00:30Z', NOW)).toBe(30_000);
    expect(timestampToMs('2026-11-22T12:00:30.250Z', NOW)).toBe(30_250);
    expect(timestampToMs('2026-11-22T13:01:00+01:00', NOW)).toBe(60_000);
    expect(timestampToMs('2026-11-22T12:01Z', NOW)).toBe(60_000);
  });

  it('rejects one without a zone, garbage, and one past the 31-day bound', () => {
    expect(timestampToMs('2026-11-22T12:00:30', NOW)).toBeUndefined();
    expect(timestampToMs('2026-13-45T99:00:00Z', NOW)).toBeUndefined();
    expect(timestampToMs('2027-11-22T12:00:00Z', NOW)).toBeUndefined();
  });

  it('anyResetToMs takes each form', () => {
    expect(anyResetToMs('3', NOW)).toBe(3000);
    expect(anyResetToMs('3s', NOW)).toBe(3000);
    expect(anyResetToMs('2026-11-22T12:00:03Z', NOW)).toBe(3000);
    expect(anyResetToMs('later', NOW)).toBeUndefined();
  });
});
