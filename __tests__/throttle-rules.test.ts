/**
 * Throttles that are not a 429, on fake time: each built-in rule with the vendor's own headers and body,
 * the user's isThrottle, and the answers that must not be taken for a throttle (never replayed).
 */
import { AxiosError, AxiosHeaders, type AxiosResponse } from 'axios';
import type { PauseEvent, RateLimitedEvent } from '../src/events';
import { MemoryStore } from '../src/memory-store';
import { normalizeOptions, type RateGuardOptions } from '../src/options';
import { GITHUB_SECONDARY_WAIT_MS, throttleDetector } from '../src/throttle-rules';
import { FakeClock } from './helpers/fake-clock';
import { mockApi, track } from './helpers/mock-api';
import * as F from './fixtures/vendor-signals';

type Reply = [number, unknown, Record<string, string>?];

/** A guard on fake time at the fixtures' wall clock; the server answers `first`, then 200s. */
function setup(first: Reply, options: RateGuardOptions = {}) {
  const clock = new FakeClock(F.NOW);
  const store = new MemoryStore({ clock });
  const throttles: RateLimitedEvent[] = [];
  const pauses: PauseEvent[] = [];
  const api = mockApi({ onRateLimited: (e) => throttles.push(e), onPause: (e) => pauses.push(e), ...options }, { clock, store });
  api.mock.reset();
  let answered = 0;
  api.mock.onAny().reply((config) => {
    api.sent.push({ t: clock.now(), url: config.url ?? '' });
    return answered++ === 0 ? first : [200, { ok: true }];
  });
  return { ...api, throttles, pauses };
}

/** Sends one GET, and reports when the server saw it (and its replay). */
async function sendOne(s: ReturnType<typeof setup>, untilMs: number) {
  const call = track(s.api.get('/thing'));
  await s.clock.advance(untilMs);
  await call.promise;
  return call;
}

const string = (body: unknown) => JSON.stringify(body);

describe('GitHub', () => {
  it('primary: a 403 with x-ratelimit-remaining 0 pauses until x-ratelimit-reset, then replays once', async () => {
    const reset = { ...F.GITHUB_PRIMARY_403, 'x-ratelimit-reset': String(F.NOW / 1000 + 120) };
    const s = setup([403, string(F.GITHUB_PRIMARY_BODY), reset]);
    const call = track(s.api.get('/repos/o/r'));
    await s.clock.advance(119_999);
    expect(s.sent.map((e) => e.t)).toEqual([0]);
    await s.clock.advance(1);
    await call.promise;
    expect(s.sent.map((e) => e.t)).toEqual([0, 120_000]);
    expect(call.value?.status).toBe(200);
    expect(s.throttles).toMatchObject([{ status: 403, signal: { rule: 'github', delaySource: 'ratelimit-reset', delayMs: 120_000 } }]);
  });

  it('secondary without retry-after: waits GitHub’s minute, not the primary window’s reset', async () => {
    const s = setup([403, string(F.GITHUB_SECONDARY_BODY), F.GITHUB_SECONDARY_HEADERS]);
    const call = await sendOne(s, GITHUB_SECONDARY_WAIT_MS);
    expect(s.sent.map((e) => e.t)).toEqual([0, 60_000]);
    expect(call.value?.status).toBe(200);
    expect(s.pauses).toMatchObject([{ pauseMs: 60_000, source: 'rule' }]);
  });

  it('secondary with retry-after: waits what it says', async () => {
    const s = setup([403, string(F.GITHUB_SECONDARY_BODY), { ...F.GITHUB_SECONDARY_HEADERS, 'retry-after': '7' }]);
    await sendOne(s, 7000);
    expect(s.sent.map((e) => e.t)).toEqual([0, 7000]);
    expect(s.pauses).toMatchObject([{ pauseMs: 7000, source: 'retry-after' }]);
  });

  it('a 403 of permissions is never replayed, with or without rate-limit headers', async () => {
    for (const headers of [{}, F.GITHUB_SECONDARY_HEADERS]) {
      const s = setup([403, string(F.GITHUB_FORBIDDEN_BODY), headers]);
      const call = await sendOne(s, 120_000);
      expect(s.sent).toHaveLength(1);
      expect((call.error as AxiosError).response?.status).toBe(403);
      expect(s.throttles).toEqual([]);
      expect((await s.guard.stats()).replays).toBe(0);
    }
  });

  it('throttleRules without github: its 403 is an ordinary answer', async () => {
    const s = setup([403, string(F.GITHUB_PRIMARY_BODY), F.GITHUB_PRIMARY_403], { throttleRules: [] });
    const call = await sendOne(s, 10_000);
    expect(s.sent).toHaveLength(1);
    expect((call.error as AxiosError).response?.status).toBe(403);
  });
});

describe('GraphQL errors in a 200', () => {
  it('Shopify THROTTLED: waits until the query’s cost is available at the restore rate, then replays', async () => {
    // (202 requested − 20 available) / 100 per second = 1.82 s.
    const s = setup([200, string(F.SHOPIFY_GRAPHQL_THROTTLED), { 'content-type': 'application/json' }]);
    const call = track(s.api.post('/admin/api/2026-10/graphql.json', { query: '{ shop { name } }' }));
    await s.clock.advance(1819);
    expect(s.sent).toHaveLength(1);
    await s.clock.advance(1);
    await call.promise;
    expect(s.sent.map((e) => e.t)).toEqual([0, 1820]);
    expect(call.value?.data).toEqual({ ok: true });
    expect(s.throttles).toMatchObject([{ status: 200, method: 'POST', signal: { rule: 'graphql', delaySource: 'graphql-cost', delayMs: 1820 } }]);
  });

  it('GitHub RATE_LIMITED: waits until its x-ratelimit-reset', async () => {
    const headers = { 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(F.NOW / 1000 + 30) };
    const s = setup([200, string(F.GITHUB_GRAPHQL_RATE_LIMITED), headers]);
    const call = track(s.api.post('/graphql', { query: '{ viewer { login } }' }));
    await s.clock.advance(30_000);
    await call.promise;
    expect(s.sent.map((e) => e.t)).toEqual([0, 30_000]);
    expect(s.throttles).toMatchObject([{ status: 200, signal: { rule: 'graphql' } }]);
  });

  it('an error that is no throttle is returned as it is, once', async () => {
    const s = setup([200, string(F.GRAPHQL_NOT_FOUND)]);
    const call = track(s.api.post('/graphql', { query: '{ node(id: "x") { id } }' }));
    await s.clock.advance(10_000);
    await call.promise;
    expect(s.sent).toHaveLength(1);
    expect(call.value?.data).toEqual(F.GRAPHQL_NOT_FOUND);
  });

  it('a GET that sent its query in the query string is recognised; the answer to a GET without one is not GraphQL', async () => {
    const query = setup([200, string(F.SHOPIFY_GRAPHQL_THROTTLED)]);
    const withQuery = track(query.api.get('/graphql', { params: { query: '{ shop { name } }' } }));
    await query.clock.advance(1820);
    await withQuery.promise;
    expect(query.sent.map((e) => e.t)).toEqual([0, 1820]);

    const rest = setup([200, string(F.SHOPIFY_GRAPHQL_THROTTLED)]);
    const plain = await sendOne(rest, 10_000);
    expect(rest.sent).toHaveLength(1);
    expect(rest.throttles).toHaveLength(0);
    expect(plain.value?.data).toEqual(F.SHOPIFY_GRAPHQL_THROTTLED);
  });
});

describe('Salesforce', () => {
  it('a 403 REQUEST_LIMIT_EXCEEDED pauses (by backoff: it sends no wait) and replays', async () => {
    const s = setup([403, string(F.SALESFORCE_LIMIT_BODY)]);
    const call = await sendOne(s, 1000);
    expect(s.sent.map((e) => e.t)).toEqual([0, 1000]);
    expect(call.value?.status).toBe(200);
    expect(s.pauses).toMatchObject([{ source: 'backoff', pauseMs: 1000 }]);
  });

  it('another 403 of Salesforce is not replayed', async () => {
    const s = setup([403, string(F.SALESFORCE_FORBIDDEN_BODY)]);
    const call = await sendOne(s, 5000);
    expect(s.sent).toHaveLength(1);
    expect((call.error as AxiosError).response?.status).toBe(403);
  });
});

describe('503 with Retry-After (opt-in)', () => {
  it('is an ordinary answer by default', async () => {
    const s = setup([503, 'busy', { 'retry-after': '2' }]);
    const call = await sendOne(s, 5000);
    expect(s.sent).toHaveLength(1);
    expect((call.error as AxiosError).response?.status).toBe(503);
  });

  it('with the 503 rule, pauses for Retry-After and replays; a 503 without it is not replayed', async () => {
    const s = setup([503, 'busy', { 'retry-after': '2' }], { throttleRules: ['503'] });
    const call = await sendOne(s, 2000);
    expect(s.sent.map((e) => e.t)).toEqual([0, 2000]);
    expect(call.value?.status).toBe(200);
    expect(s.throttles).toMatchObject([{ status: 503, signal: { rule: '503', delayMs: 2000 } }]);

    const bare = setup([503, 'down'], { throttleRules: ['503'] });
    await sendOne(bare, 5000);
    expect(bare.sent).toHaveLength(1);
  });
});

describe('isThrottle', () => {
  it('takes the user’s verdict, its wait and its level', async () => {
    const seen: unknown[] = [];
    const s = setup([200, '{"status":"slow_down","wait":3}'], {
      isThrottle: (response) => {
        seen.push(response.data);
        return typeof response.data === 'string' && response.data.includes('slow_down') ? { delayMs: 3000, level: 'client' } : false;
      },
    });
    const call = await sendOne(s, 3000);
    expect(s.sent.map((e) => e.t)).toEqual([0, 3000]);
    expect(call.value?.data).toEqual({ ok: true });
    expect(seen[0]).toBe('{"status":"slow_down","wait":3}'); // the raw body, before transformResponse
    expect(s.throttles).toMatchObject([{ signal: { rule: 'isThrottle', delaySource: 'rule', delayMs: 3000 } }]);
  });

  it('one that throws is taken as false', async () => {
    const s = setup([200, 'x'], {
      isThrottle: () => {
        throw new Error('bug');
      },
    });
    const call = await sendOne(s, 1000);
    expect(call.value?.status).toBe(200);
    expect(s.sent).toHaveLength(1);
  });
});

describe('throttleDetector', () => {
  const detect = throttleDetector(['github', 'graphql', 'salesforce'])!;
  const clock = { wallNow: () => F.NOW };
  const response = (status: number, data: unknown, headers: Record<string, string> = {}) =>
    ({ status, data, headers: new AxiosHeaders(headers), statusText: '', config: {} }) as unknown as AxiosResponse;

  it('reads bodies as strings, bytes or objects', () => {
    const text = string(F.SHOPIFY_GRAPHQL_THROTTLED);
    expect(detect(response(200, text), clock)?.delayMs).toBe(1820);
    expect(detect(response(200, new TextEncoder().encode(text)), clock)?.delayMs).toBe(1820);
    expect(detect(response(200, F.SHOPIFY_GRAPHQL_THROTTLED), clock)?.delayMs).toBe(1820);
    expect(detect(response(403, Buffer.from(string(F.SALESFORCE_LIMIT_BODY))), clock)?.rule).toBe('salesforce');
  });

  it('does not parse an ordinary body, nor one over 64 KiB, nor a non-2xx GraphQL error', () => {
    const parse = jest.spyOn(JSON, 'parse');
    try {
      expect(detect(response(200, '{"data":{"errors":[]},"items":[1,2,3]}'), clock)).toBeUndefined();
      expect(detect(response(200, '{"errors":[{"extensions":{"code":"THROTTLED"}}],"pad":"' + ' '.repeat(70_000) + '"}'), clock)).toBeUndefined();
      expect(parse).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
    }
    expect(detect(response(500, string(F.SHOPIFY_GRAPHQL_THROTTLED)), clock)).toBeUndefined();
    expect(detect(response(200, '{"errors":"THROTTLED"}'), clock)).toBeUndefined();
  });

  it('searches a 2xx body only when its request may have been GraphQL: it sent a body or a query string', () => {
    const throttled = () => response(200, string(F.SHOPIFY_GRAPHQL_THROTTLED));
    const includes = jest.spyOn(String.prototype, 'includes');
    try {
      expect(detect(throttled(), clock, { url: '/v3/orders/1' })).toBeUndefined();
      expect(detect(throttled(), clock, { url: '/v3/orders/1', data: '' })).toBeUndefined();
      expect(includes.mock.calls.filter(([marker]) => marker === 'THROTTLED' || marker === 'RATE_LIMITED')).toEqual([]);
    } finally {
      includes.mockRestore();
    }
    expect(detect(throttled(), clock, { url: '/graphql.json', data: '{"query":"{ shop { name } }"}' })?.rule).toBe('graphql');
    expect(detect(throttled(), clock, { url: '/graphql?query=%7B%20shop%20%7D' })?.rule).toBe('graphql');
    expect(detect(throttled(), clock, { url: '/graphql', params: { extensions: '{"persistedQuery":{}}' } })?.rule).toBe('graphql');
    // No request known (a detector called on its own): every rule looks.
    expect(detect(throttled(), clock)?.rule).toBe('graphql');
  });

  it('has nothing to do with no rules and no isThrottle', () => {
    expect(throttleDetector([])).toBeUndefined();
  });

  it('a THROTTLED without cost fields gives no wait (the guard backs off)', () => {
    expect(detect(response(200, '{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED"}}]}'), clock)).toEqual({ rule: 'graphql' });
  });
});

describe('options', () => {
  it('validates throttleRules and isThrottle with messages that say what was expected', () => {
    expect(() => normalizeOptions({ throttleRules: ['github', 'nope' as never] })).toThrow(
      "Expected `throttleRules` to be a list of 'github', 'graphql', 'salesforce', '503', got [\"github\",\"nope\"]",
    );
    expect(() => normalizeOptions({ isThrottle: 'yes' as never })).toThrow('Expected `isThrottle` to be a function, got string');
    expect(normalizeOptions({}).detectThrottle).toBeDefined();
    expect(normalizeOptions({ throttleRules: [] }).detectThrottle).toBeUndefined();
  });
});
