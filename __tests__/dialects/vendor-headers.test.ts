import { AxiosHeaders } from 'axios';
import { parseThrottle } from '../../src/parse-429';
import { readRateLimitHeaders } from '../../src/rate-limit-headers';
import * as F from '../fixtures/vendor-signals';

const { NOW } = F;
const read = (headers: Record<string, string>) => readRateLimitHeaders(new AxiosHeaders(headers), NOW);

describe('OpenAI', () => {
  it('paces by the request quota and reports the token quota', () => {
    expect(read(F.OPENAI)).toEqual({
      dialect: 'openai',
      limit: 60,
      remaining: 59,
      resetMs: 1000,
      quotas: [{ name: 'tokens', limit: 150_000, remaining: 149_984, resetMs: 360_000 }],
      rejected: [],
    });
  });

  it('holds the key until the token reset when the token quota is spent', () => {
    expect(read(F.OPENAI_TOKENS_SPENT)).toMatchObject({ remaining: 0, resetMs: 62_500, binding: 'tokens' });
    expect(read(F.OPENAI_TOKENS_SPENT)?.limit).toBeUndefined(); // the request limit does not count tokens
  });

  it('keeps the longer reset when both quotas are spent', () => {
    const both = { ...F.OPENAI_TOKENS_SPENT, 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '2m' };
    expect(read(both)).toMatchObject({ remaining: 0, resetMs: 120_000, limit: 60 });
    expect(read(both)?.binding).toBeUndefined();
  });

  it('rejects a duration it cannot read, and a remaining above its limit', () => {
    const reading = read({ ...F.OPENAI, 'x-ratelimit-reset-requests': 'soon', 'x-ratelimit-remaining-tokens': '999999' });
    expect(reading?.resetMs).toBeUndefined();
    expect(reading?.quotas?.[0].remaining).toBeUndefined();
    expect(reading?.rejected).toEqual(['x-ratelimit-reset-requests: soon', 'tokens remaining 999999 above limit 150000']);
  });

  it('prefers retry-after-ms over Retry-After on a 429', () => {
    expect(parseThrottle(F.OPENAI_429, undefined, NOW)).toMatchObject({ delayMs: 1250, delaySource: 'retry-after-ms' });
    expect(parseThrottle({ 'retry-after-ms': 'x', 'retry-after': '2' }, undefined, NOW)).toMatchObject({
      delayMs: 2000,
      delaySource: 'retry-after',
      rejected: ['retry-after-ms: x'],
    });
  });
});

describe('Anthropic', () => {
  it('paces by requests; the spent input-token quota holds the key until its RFC 3339 reset', () => {
    const reading = read(F.ANTHROPIC);
    expect(reading).toMatchObject({ dialect: 'anthropic', remaining: 0, resetMs: 30_000, binding: 'input-tokens' });
    expect(reading?.quotas?.map((q) => q.name)).toEqual(['tokens', 'input-tokens', 'output-tokens']);
  });

  it('paces by the request quota while no token quota is spent', () => {
    const fresh = { ...F.ANTHROPIC, 'anthropic-ratelimit-input-tokens-remaining': '100' };
    expect(read(fresh)).toMatchObject({ limit: 50, remaining: 49, resetMs: 1000 });
  });

  it('reads retry-after on its 429', () => {
    expect(parseThrottle(F.ANTHROPIC_429, JSON.stringify(F.ANTHROPIC_429_BODY), NOW)).toMatchObject({ delayMs: 30_000, delaySource: 'retry-after' });
  });
});

describe('Atlassian', () => {
  it('reads the IETF fields behind the Beta- prefix, with the reason and the near-limit flag', () => {
    expect(read(F.ATLASSIAN_BETA)).toEqual({
      dialect: 'ietf',
      policy: { requests: 100_100, windowMs: 3_600_000 },
      remaining: 17_842,
      resetMs: 2_107_000,
      nearLimit: true,
      reason: 'jira-quota-tenant-based',
      rejected: [],
    });
  });

  it('reads X-RateLimit-Reset as an ISO 8601 timestamp, and RateLimit-Reason on a 429', () => {
    expect(read(F.ATLASSIAN_429)).toMatchObject({ limit: 350, remaining: 0, resetMs: 5000, nearLimit: true, reason: 'jira-burst-based' });
    const withoutRetryAfter = { ...F.ATLASSIAN_429, 'Retry-After': undefined } as unknown as Record<string, string>;
    delete withoutRetryAfter['Retry-After'];
    expect(parseThrottle(withoutRetryAfter, undefined, NOW)).toMatchObject({ delayMs: 5000, delaySource: 'ratelimit-reset', reason: 'jira-burst-based' });
    expect(read({ 'X-RateLimit-Limit': '10', 'X-RateLimit-Reset': '2026-11-22T12:00Z' })?.resetMs).toBe(0);
  });
});

describe('IETF draft-11 and later', () => {
  it('chooses the most constraining partition (fewest remaining) and its own policy', () => {
    expect(read(F.IETF_PARTITIONS)).toMatchObject({ policy: { requests: 10, windowMs: 1000 }, remaining: 3, resetMs: 1000 });
  });

  it('accepts the renamed parameters: a for r, and w for t in RateLimit (t and r first when both are sent)', () => {
    expect(read(F.IETF_RENAMED)).toMatchObject({ remaining: 80, resetMs: 45_000, policy: { requests: 100, windowMs: 60_000 } });
    expect(read({ RateLimit: '"default";r=4;a=9;t=1;w=7' })).toMatchObject({ remaining: 4, resetMs: 1000 });
    expect(read({ RateLimit: '"default";a=-1;w=soon' })?.rejected).toEqual(['ratelimit a: -1', 'ratelimit w: soon']);
  });
});

describe('Shopify REST', () => {
  it('reads the leaky bucket: what is left now, one more per leak interval (size / 20 per second)', () => {
    expect(read(F.SHOPIFY_REST)).toEqual({
      dialect: 'shopify',
      policy: { requests: 1, windowMs: 500 },
      remaining: 8,
      resetMs: 500,
      quotas: [{ name: 'bucket', limit: 40, remaining: 8 }],
      rejected: [],
    });
    expect(read(F.SHOPIFY_REST_FULL)).toMatchObject({ remaining: 0, resetMs: 500 });
    expect(read({ 'X-Shopify-Shop-Api-Call-Limit': '10/400' })).toMatchObject({ policy: { requests: 1, windowMs: 50 }, remaining: 390 });
  });

  it('rejects a fill above the size, and garbage', () => {
    for (const bad of ['41/40', '3/0', 'full', '1/2/3']) {
      expect(read({ 'X-Shopify-Shop-Api-Call-Limit': bad })).toEqual({ dialect: 'shopify', rejected: [`x-shopify-shop-api-call-limit: ${bad}`] });
    }
  });

  it('reads Retry-After: 2.0 on its 429', () => {
    expect(parseThrottle(F.SHOPIFY_REST_429, undefined, NOW).delayMs).toBe(2000);
  });
});

describe('HubSpot', () => {
  it('paces by the per-second or 10-second quota with fewer left, and reports the daily one', () => {
    expect(read(F.HUBSPOT)).toEqual({
      dialect: 'hubspot',
      policy: { requests: 10, windowMs: 1000 },
      remaining: 9,
      resetMs: 1000,
      quotas: [{ name: 'daily', limit: 250_000, remaining: 249_999 }],
      rejected: [],
    });
    const burst = { ...F.HUBSPOT, 'X-HubSpot-RateLimit-Remaining': '2' };
    expect(read(burst)).toMatchObject({ policy: { requests: 100, windowMs: 10_000 }, remaining: 2, resetMs: 10_000 });
  });

  it('does not hold on a spent daily quota (its reset is not sent)', () => {
    const reading = read({ 'X-HubSpot-RateLimit-Daily': '250000', 'X-HubSpot-RateLimit-Daily-Remaining': '0' });
    expect(reading).toMatchObject({ quotas: [{ name: 'daily', remaining: 0 }] });
    expect(reading?.remaining).toBeUndefined();
  });
});

describe('Zendesk and X', () => {
  it('reads Zendesk X-Rate-Limit (no reset) and its draft-6 ratelimit-*', () => {
    expect(read(F.ZENDESK)).toEqual({ dialect: 'x-rate-limit', limit: 700, remaining: 699, resetMs: undefined, rejected: [] });
    expect(read(F.ZENDESK_RATELIMIT)).toMatchObject({ dialect: 'ietf-draft6', limit: 100, remaining: 99, resetMs: 41_000 });
  });

  it('reads X x-rate-limit-* with the reset as epoch seconds', () => {
    expect(read(F.X_API)).toMatchObject({ dialect: 'x-rate-limit', limit: 900, remaining: 0, resetMs: 840_000 });
  });
});

describe('Discord', () => {
  it('reads Reset-After before Reset, and the bucket', () => {
    expect(read(F.DISCORD)).toMatchObject({ dialect: 'x-ratelimit', limit: 5, remaining: 0, resetMs: 1000, bucket: 'abcd1234' });
  });

  it('on a 429: Retry-After first, the scope, and X-RateLimit-Global', () => {
    expect(parseThrottle(F.DISCORD_429, JSON.stringify(F.DISCORD_429_BODY), NOW)).toMatchObject({
      delayMs: 65_000,
      delaySource: 'retry-after',
      dialect: 'discord',
      scope: 'user',
    });
    const { 'Retry-After': _dropped, ...noRetryAfter } = F.DISCORD_429;
    expect(parseThrottle(noRetryAfter, undefined, NOW)).toMatchObject({ delayMs: 64_570, delaySource: 'ratelimit-reset' });
    expect(parseThrottle({ 'X-RateLimit-Global': 'true', 'Retry-After': '1' }, undefined, NOW).scope).toBe('global');
  });
});
