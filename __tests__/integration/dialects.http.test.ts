/**
 * End to end, real time, real HTTP on 127.0.0.1: one test per dialect family, against a local server that
 * sends the vendor's headers. Assertions are on what the server saw: nothing arrives while a spent quota
 * holds the key, and a server enforcing the advertised limit never has to refuse.
 */
import { guardedClient } from './helpers';
import { startScriptedServer, type Answer, type ScriptedServer, TOLERANCE_MS } from './fixtures/scripted-server';
import * as F from '../fixtures/vendor-signals';

jest.setTimeout(30_000);

/** Timers may fire up to a millisecond early against performance.now(); wall-clock times are whole ms. */

let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Sends /first, then (once its answer is in) /second and /third; returns the server's arrivals. */
async function holdAfterFirst(clientId: string) {
  const { api } = guardedClient(server!.url, { clientId });
  await api.get('/first');
  await Promise.all([api.get('/second'), api.get('/third')]);
  const first = server!.of('/first')[0];
  const later = [...server!.of('/second'), ...server!.of('/third')];
  return { first, later };
}

describe('AI APIs: the token quota holds the key when spent', () => {
  it('OpenAI: duration resets; nothing is sent until the token reset', async () => {
    server = await startScriptedServer((_a, i) => ({
      headers: i === 0 ? { ...F.OPENAI, 'x-ratelimit-remaining-tokens': '0', 'x-ratelimit-reset-tokens': '800ms' } : F.OPENAI,
    }));
    const { first, later } = await holdAfterFirst('openai-e2e');
    expect(later).toHaveLength(2);
    for (const a of later) expect(a.at - first.at).toBeGreaterThanOrEqual(800 - TOLERANCE_MS);
  });

  it('Anthropic: RFC 3339 resets; nothing is sent until the spent input-token quota resets', async () => {
    let resetAt = 0;
    server = await startScriptedServer((a, i) => {
      if (i === 0) resetAt = a.wall + 900;
      const headers: Record<string, string> = { ...F.ANTHROPIC, 'anthropic-ratelimit-input-tokens-remaining': '100' };
      for (const name of Object.keys(headers)) if (name.endsWith('-reset')) headers[name] = new Date(a.wall + 1000).toISOString();
      if (i === 0) {
        headers['anthropic-ratelimit-input-tokens-remaining'] = '0';
        headers['anthropic-ratelimit-input-tokens-reset'] = new Date(resetAt).toISOString();
      }
      return { headers };
    });
    const { later } = await holdAfterFirst('anthropic-e2e');
    for (const a of later) expect(a.wall).toBeGreaterThanOrEqual(resetAt - TOLERANCE_MS);
  });
});

describe('IETF fields: Atlassian’s Beta- prefix and draft-11 partitions', () => {
  it('holds on the most constraining partition (r=0) of a Beta-RateLimit field', async () => {
    server = await startScriptedServer((_a, i) => ({
      headers: {
        'Beta-RateLimit-Policy': '"tenant-app-quota";q=100100;w=3600;pk=:dDE=:, "tenant-app-quota";q=100;w=1;pk=:dTE=:',
        'Beta-RateLimit': `"tenant-app-quota";r=17842;t=2107;pk=:dDE=:, "tenant-app-quota";r=${i === 0 ? 0 : 50};t=1;pk=:dTE=:`,
        'X-Beta-RateLimit-Reason': 'jira-quota-tenant-based',
      },
    }));
    const { first, later } = await holdAfterFirst('atlassian-e2e');
    for (const a of later) expect(a.at - first.at).toBeGreaterThanOrEqual(1000 - TOLERANCE_MS);
  });
});

describe('Shopify REST: a leaky bucket of 40 leaking 2 per second', () => {
  it('uses the bucket, then keeps to the leak: 46 requests, no 429', async () => {
    let level = 0;
    let last = performance.now();
    let refused = 0;
    server = await startScriptedServer((a): Answer => {
      level = Math.max(0, level - ((a.at - last) / 1000) * 2);
      last = a.at;
      if (level + 1 > 40) {
        refused++;
        return { status: 429, headers: { 'X-Shopify-Shop-Api-Call-Limit': '40/40', 'Retry-After': '2.0' }, body: { errors: 'Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.' } };
      }
      level += 1;
      return { headers: { 'X-Shopify-Shop-Api-Call-Limit': `${Math.ceil(level)}/40` }, body: { ok: true } };
    });
    const { api } = guardedClient(server.url, { clientId: 'shopify-e2e' });
    const started = performance.now();
    const results = await Promise.allSettled(Array.from({ length: 46 }, (_, i) => api.get(`/admin/api/2026-10/orders/${i}.json`)));
    const elapsed = performance.now() - started;
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(refused).toBe(0);
    expect(server.arrivals).toHaveLength(46);
    // 40 at once, then one per 500 ms: the last of the 6 past the bucket at about 3 s.
    expect(elapsed).toBeGreaterThanOrEqual(2500);
    console.log(`shopify leaky bucket: 46 requests in ${Math.round(elapsed)} ms (ideal ≈ 3000 ms), ${refused} 429s`);
  });
});

describe('HubSpot: 10 per second, with the daily quota beside it', () => {
  it('keeps to X-HubSpot-RateLimit-Secondly against a server counting per second: 25 requests, no 429', async () => {
    const perSecond = new Map<number, number>();
    let refused = 0;
    server = await startScriptedServer((a) => {
      const second = Math.floor(a.wall / 1000);
      const used = (perSecond.get(second) ?? 0) + 1;
      perSecond.set(second, used);
      const headers = { ...F.HUBSPOT, 'X-HubSpot-RateLimit-Secondly-Remaining': String(Math.max(0, 10 - used)), 'X-HubSpot-RateLimit-Remaining': '99' };
      if (used > 10) {
        refused++;
        return { status: 429, headers, body: { status: 'error', message: 'You have reached your secondly limit.', errorType: 'RATE_LIMIT', policyName: 'SECONDLY' } };
      }
      return { headers, body: { ok: true } };
    });
    const { api } = guardedClient(server.url, { clientId: 'hubspot-e2e' });
    const results = await Promise.allSettled(Array.from({ length: 25 }, (_, i) => api.get(`/crm/v3/objects/contacts/${i}`)));
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(refused).toBe(0);
    expect(Math.max(...perSecond.values())).toBeLessThanOrEqual(10);
  });
});

describe('X and Zendesk: x-rate-limit-*', () => {
  it('X: remaining 0 with an epoch reset holds the key until that second', async () => {
    let reset = 0;
    server = await startScriptedServer((a, i) => {
      if (i === 0) reset = Math.ceil(a.wall / 1000) + 1;
      return { headers: i === 0 ? { 'x-rate-limit-limit': '900', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(reset) } : F.ZENDESK };
    });
    const { later } = await holdAfterFirst('x-e2e');
    for (const a of later) expect(a.wall).toBeGreaterThanOrEqual(reset * 1000 - TOLERANCE_MS);
  });
});

describe('Discord: X-RateLimit-Reset-After', () => {
  it("remaining 0 holds the route's bucket for Reset-After (not the whole-second Reset); another route goes", async () => {
    server = await startScriptedServer((a, i) => ({
      headers: {
        ...F.DISCORD,
        'X-RateLimit-Remaining': i === 0 ? '0' : '4',
        'X-RateLimit-Reset-After': i === 0 ? '0.7' : '1',
        'X-RateLimit-Reset': String(Math.ceil(a.wall / 1000) + 5),
      },
    }));
    // X-RateLimit-Bucket puts /first's route in its bucket (issue 12): the hold is that bucket's.
    const { api } = guardedClient(server.url, { clientId: 'discord-e2e' });
    await api.get('/first');
    await Promise.all([api.get('/first'), api.get('/first'), api.get('/other')]);
    const [first, ...later] = server.of('/first');
    expect(later).toHaveLength(2);
    for (const a of later) {
      expect(a.at - first.at).toBeGreaterThanOrEqual(700 - TOLERANCE_MS);
      expect(a.at - first.at).toBeLessThan(4000);
    }
    expect(server.of('/other')[0].at - first.at).toBeLessThan(500);
  });
});
