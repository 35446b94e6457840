import { AxiosHeaders } from 'axios';
import { readRateLimitHeaders } from '../src/rate-limit-headers';

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);

describe('readRateLimitHeaders', () => {
  it('returns undefined when no rate-limit header is present', () => {
    expect(readRateLimitHeaders(new AxiosHeaders({ 'content-type': 'application/json', 'retry-after': '3' }), NOW)).toBeUndefined();
    expect(readRateLimitHeaders(undefined, NOW)).toBeUndefined();
  });

  it('reads IETF structured fields (draft-8 and later): policy q/w and the binding item r/t', () => {
    const reading = readRateLimitHeaders(
      {
        'RateLimit-Policy': '"burst";q=100;w=60, "daily";q=1000;w=86400',
        RateLimit: '"burst";r=50;t=30, "daily";r=900;t=3600',
      },
      NOW,
    );
    expect(reading).toMatchObject({ dialect: 'ietf', policy: { requests: 100, windowMs: 60_000 }, remaining: 50, resetMs: 30_000 });
  });

  it('reads express-rate-limit draft-8 output (with a pk parameter)', () => {
    const reading = readRateLimitHeaders(
      { ratelimit: '"100-in-1min"; r=99; t=60', 'ratelimit-policy': '"100-in-1min"; q=100; w=60; pk=:MTJjYTE3YjQ5YWYy:' },
      NOW,
    );
    expect(reading).toMatchObject({ policy: { requests: 100, windowMs: 60_000 }, remaining: 99, resetMs: 60_000 });
  });

  it('reads draft-7 combined RateLimit with its policy', () => {
    const reading = readRateLimitHeaders({ RateLimit: 'limit=100, remaining=50, reset=5', 'RateLimit-Policy': '100;w=60' }, NOW);
    expect(reading).toMatchObject({ dialect: 'ietf-draft7', limit: 100, remaining: 50, resetMs: 5000, policy: { requests: 100, windowMs: 60_000 } });
  });

  it('reads draft-6 separate headers', () => {
    const reading = readRateLimitHeaders(
      { 'RateLimit-Limit': '100', 'RateLimit-Remaining': '99', 'RateLimit-Reset': '60', 'RateLimit-Policy': '100;w=60' },
      NOW,
    );
    expect(reading).toMatchObject({ dialect: 'ietf-draft6', limit: 100, remaining: 99, resetMs: 60_000, policy: { requests: 100, windowMs: 60_000 } });
  });

  it('reads X-RateLimit-* with reset as delta seconds or an epoch (by magnitude), and GitHub resource', () => {
    expect(readRateLimitHeaders({ 'x-ratelimit-limit': '5', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1' }, NOW)).toMatchObject({
      dialect: 'x-ratelimit',
      limit: 5,
      remaining: 0,
      resetMs: 1000,
    });
    const github = readRateLimitHeaders(
      {
        'x-ratelimit-limit': '5000',
        'x-ratelimit-remaining': '4999',
        'x-ratelimit-reset': String(NOW / 1000 + 3600),
        'x-ratelimit-resource': 'core',
      },
      NOW,
    );
    expect(github).toMatchObject({ limit: 5000, remaining: 4999, resetMs: 3_600_000, resource: 'core' });
    expect(readRateLimitHeaders({ 'X-RateLimit-Limit': '10', 'X-RateLimit-Reset-After': '2.5' }, NOW)?.resetMs).toBe(2500);
  });

  it('ignores malformed, negative, absurd and contradictory values, listing them', () => {
    const reading = readRateLimitHeaders(
      { 'x-ratelimit-limit': '0', 'x-ratelimit-remaining': '-1', 'x-ratelimit-reset': 'soon' },
      NOW,
    );
    expect(reading).toMatchObject({ limit: undefined, remaining: undefined, resetMs: undefined });
    expect(reading?.rejected).toEqual(['x-ratelimit-limit: 0', 'x-ratelimit-remaining: -1', 'x-ratelimit-reset: soon']);

    const absurd = readRateLimitHeaders({ 'RateLimit-Policy': '"p";q=99999999999;w=60, "q";q=10;w=0' }, NOW);
    expect(absurd?.policy).toBeUndefined();

    const contradictory = readRateLimitHeaders({ 'x-ratelimit-limit': '10', 'x-ratelimit-remaining': '50' }, NOW);
    expect(contradictory?.remaining).toBeUndefined();
    expect(contradictory?.rejected).toEqual(['remaining 50 above limit 10']);

    const farEpoch = readRateLimitHeaders({ 'x-ratelimit-limit': '10', 'x-ratelimit-reset': String(NOW / 1000 + 90 * 86400) }, NOW);
    expect(farEpoch?.resetMs).toBeUndefined();
  });
});
