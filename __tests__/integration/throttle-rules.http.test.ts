/**
 * End to end, real time, real HTTP on 127.0.0.1: throttles that are not a 429, one test per family, against
 * a local server sending the vendor's status, headers and body. From the server's counts: the throttled
 * request is replayed once after the wait, nothing of the key arrives during the pause, and an answer that
 * is no throttle (a 403 of permissions, a GraphQL error) arrives once and is never replayed.
 */
import axios, { AxiosError } from 'axios';
import type { RateLimitedEvent } from '../../src/events';
import type { RateGuardOptions } from '../../src/options';
import { guardedClient } from './helpers';
import { startScriptedServer, type Answer, type Arrival, type ScriptedServer, TOLERANCE_MS, sleep } from './fixtures/scripted-server';
import * as F from '../fixtures/vendor-signals';

jest.setTimeout(30_000);


let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** The first arrival of `path` gets `throttle`, every other request 200. */
function throttleOnce(path: string, throttle: (a: Arrival) => Answer) {
  let sent = false;
  return (a: Arrival): Answer => {
    if (a.path === path && !sent) {
      sent = true;
      return throttle(a);
    }
    return { body: { ok: true, path: a.path } };
  };
}

function client(clientId: string, options: RateGuardOptions = {}) {
  const events: RateLimitedEvent[] = [];
  const { api, guard } = guardedClient(server!.url, { clientId, onRateLimited: (e) => events.push(e), ...options });
  return { api, guard, events };
}

/**
 * Sends `path`, and 150 ms later (its throttle surely answered) `/other` of the same app; returns both
 * settled results and the arrivals of each.
 */
async function throttledThenOther(api: ReturnType<typeof client>['api'], path: string, method: 'get' | 'post' = 'get') {
  // Settled at once, so that a rejection during the sleep is not an unhandled one.
  const throttled = Promise.allSettled([method === 'get' ? api.get(path) : api.post(path, { query: '{ shop { name } }' })]);
  await sleep(150);
  const other = Promise.allSettled([api.get('/other')]);
  const [[a], [b]] = await Promise.all([throttled, other]);
  return { throttled: a, other: b, arrivals: server!.of(path), others: server!.of('/other') };
}

describe('GitHub REST: 403s', () => {
  it('primary (remaining 0): waits until x-ratelimit-reset, replays once; nothing arrives during the pause', async () => {
    let reset = 0;
    server = await startScriptedServer(
      throttleOnce('/repos/o/r', (a) => {
        reset = Math.ceil(a.wall / 1000) + 1;
        return { status: 403, headers: { ...F.GITHUB_PRIMARY_403, 'x-ratelimit-reset': String(reset) }, body: F.GITHUB_PRIMARY_BODY };
      }),
    );
    const { api, events } = client('github-primary-e2e');
    const { throttled, arrivals, others } = await throttledThenOther(api, '/repos/o/r');
    expect(throttled.status).toBe('fulfilled');
    expect(arrivals).toHaveLength(2);
    expect(arrivals[1].wall).toBeGreaterThanOrEqual(reset * 1000 - TOLERANCE_MS);
    expect(others).toHaveLength(1);
    expect(others[0].wall).toBeGreaterThanOrEqual(reset * 1000 - TOLERANCE_MS);
    expect(events).toMatchObject([{ status: 403, signal: { rule: 'github' } }]);
  });

  it('secondary (its message, with retry-after): waits it, replays once', async () => {
    server = await startScriptedServer(
      throttleOnce('/search/code', () => ({ status: 403, headers: { ...F.GITHUB_SECONDARY_HEADERS, 'retry-after': '1' }, body: F.GITHUB_SECONDARY_BODY })),
    );
    const { api } = client('github-secondary-e2e');
    const { throttled, arrivals, others } = await throttledThenOther(api, '/search/code');
    expect(throttled.status).toBe('fulfilled');
    expect(arrivals).toHaveLength(2);
    expect(arrivals[1].at - arrivals[0].at).toBeGreaterThanOrEqual(1000 - TOLERANCE_MS);
    expect(others[0].at - arrivals[0].at).toBeGreaterThanOrEqual(1000 - TOLERANCE_MS);
  });

  it('a 403 that is no throttle arrives once, is not replayed, and pauses nothing', async () => {
    server = await startScriptedServer((a) =>
      a.path === '/forbidden' ? { status: 403, headers: F.GITHUB_SECONDARY_HEADERS, body: F.GITHUB_FORBIDDEN_BODY } : { body: { ok: true } },
    );
    const { api, guard } = client('github-forbidden-e2e');
    const started = performance.now();
    const { throttled, arrivals, others } = await throttledThenOther(api, '/forbidden');
    expect(throttled.status).toBe('rejected');
    expect(((throttled as PromiseRejectedResult).reason as AxiosError).response?.status).toBe(403);
    expect(arrivals).toHaveLength(1);
    expect(others).toHaveLength(1);
    expect(others[0].at - started).toBeLessThan(1000);
    expect((await guard.stats()).replays).toBe(0);
  });
});

describe('GraphQL: throttles inside a 200', () => {
  it('Shopify THROTTLED: waits for the cost to be restored, replays once, returns the data', async () => {
    // (150 requested − 50 available) / 100 restored per second = 1 s.
    const throttledBody = {
      ...F.SHOPIFY_GRAPHQL_THROTTLED,
      extensions: { cost: { requestedQueryCost: 150, actualQueryCost: null, throttleStatus: { maximumAvailable: 1000.0, currentlyAvailable: 50, restoreRate: 100.0 } } },
    };
    server = await startScriptedServer(throttleOnce('/admin/api/2026-10/graphql.json', () => ({ body: throttledBody })));
    const { api, events } = client('shopify-graphql-e2e');
    const { throttled, arrivals, others } = await throttledThenOther(api, '/admin/api/2026-10/graphql.json', 'post');
    expect(throttled.status).toBe('fulfilled');
    expect((throttled as PromiseFulfilledResult<{ data: unknown }>).value.data).toEqual({ ok: true, path: '/admin/api/2026-10/graphql.json' });
    expect(arrivals).toHaveLength(2);
    expect(arrivals[1].at - arrivals[0].at).toBeGreaterThanOrEqual(1000 - TOLERANCE_MS);
    expect(others[0].at - arrivals[0].at).toBeGreaterThanOrEqual(1000 - TOLERANCE_MS);
    expect(events).toMatchObject([{ status: 200, method: 'POST', signal: { rule: 'graphql', delaySource: 'graphql-cost', delayMs: 1000 } }]);
  });

  it('GitHub RATE_LIMITED waits for its reset; a GraphQL error that is no throttle arrives once', async () => {
    let reset = 0;
    const rateLimited = throttleOnce('/graphql', (arrival) => {
      reset = Math.ceil(arrival.wall / 1000) + 1;
      return { headers: { 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) }, body: F.GITHUB_GRAPHQL_RATE_LIMITED };
    });
    server = await startScriptedServer((a) => (a.path === '/graphql-missing' ? { body: F.GRAPHQL_NOT_FOUND } : rateLimited(a)));
    const { api } = client('github-graphql-e2e');
    const missing = await api.post('/graphql-missing', { query: '{ node(id: "x") { id } }' });
    expect(missing.data).toEqual(F.GRAPHQL_NOT_FOUND);
    expect(server.of('/graphql-missing')).toHaveLength(1);
    await api.post('/graphql', { query: '{ viewer { login } }' });
    expect(server.of('/graphql').map((a) => a.wall >= reset * 1000 - TOLERANCE_MS)).toEqual([false, true]);
  });
});

describe('Salesforce: 403 REQUEST_LIMIT_EXCEEDED', () => {
  it('pauses by backoff (it sends no wait) and replays once; another 403 of it is not replayed', async () => {
    const limited = throttleOnce('/services/data/v62.0/query', () => ({ status: 403, body: F.SALESFORCE_LIMIT_BODY }));
    server = await startScriptedServer((a) => (a.path === '/services/data/v62.0/sobjects/Account/disabled' ? { status: 403, body: F.SALESFORCE_FORBIDDEN_BODY } : limited(a)));
    const { api } = client('salesforce-e2e');
    const { throttled, arrivals } = await throttledThenOther(api, '/services/data/v62.0/query');
    expect(throttled.status).toBe('fulfilled');
    expect(arrivals).toHaveLength(2);
    expect(arrivals[1].at - arrivals[0].at).toBeGreaterThanOrEqual(1000 - TOLERANCE_MS);
    const forbidden = await api.get('/services/data/v62.0/sobjects/Account/disabled').catch((e: unknown) => e);
    expect(axios.isAxiosError(forbidden) && forbidden.response?.status).toBe(403);
    expect(server.of('/services/data/v62.0/sobjects/Account/disabled')).toHaveLength(1);
  });
});

describe('503 with Retry-After, opt-in', () => {
  it('replays after Retry-After with the 503 rule; without it, the 503 is the answer', async () => {
    const answer503 = (): Answer => ({ status: 503, headers: { 'retry-after': '1' }, body: 'Service Unavailable' });
    server = await startScriptedServer(throttleOnce('/opted-in', answer503));
    const optedIn = client('503-opt-in-e2e', { throttleRules: ['github', 'graphql', 'salesforce', '503'] });
    const { throttled, arrivals } = await throttledThenOther(optedIn.api, '/opted-in');
    expect(throttled.status).toBe('fulfilled');
    expect(arrivals).toHaveLength(2);
    expect(arrivals[1].at - arrivals[0].at).toBeGreaterThanOrEqual(1000 - TOLERANCE_MS);
    expect(optedIn.events).toMatchObject([{ status: 503, signal: { rule: '503' } }]);

    await server.close();
    server = await startScriptedServer(throttleOnce('/default', answer503));
    const byDefault = client('503-default-e2e');
    const error = await byDefault.api.get('/default').catch((e: unknown) => e);
    expect(axios.isAxiosError(error) && error.response?.status).toBe(503);
    expect(server.of('/default')).toHaveLength(1);
  });
});

describe('isThrottle: the user’s own API', () => {
  it('a 200 whose body says "slow down" pauses for the wait it names and replays once', async () => {
    server = await startScriptedServer(throttleOnce('/jobs', () => ({ body: { status: 'slow_down', retry_in_ms: 800 } })));
    const { api } = client('own-api-e2e', {
      isThrottle: (response) => {
        if (typeof response.data !== 'string' || !response.data.includes('slow_down')) return false;
        const body = JSON.parse(response.data) as { retry_in_ms: number };
        return { delayMs: body.retry_in_ms };
      },
    });
    const { throttled, arrivals, others } = await throttledThenOther(api, '/jobs');
    expect(throttled.status).toBe('fulfilled');
    expect(arrivals).toHaveLength(2);
    expect(arrivals[1].at - arrivals[0].at).toBeGreaterThanOrEqual(800 - TOLERANCE_MS);
    expect(others[0].at - arrivals[0].at).toBeGreaterThanOrEqual(800 - TOLERANCE_MS);
  });
});
