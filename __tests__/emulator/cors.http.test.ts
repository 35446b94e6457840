import { EXPOSED_HEADERS } from '../../emulator/cors.js';
import { tooManyRequests } from '../../emulator/vendor-responses.js';
import type { LimitKind, Vendor } from '../../emulator/index.js';
import { bearer, send, useEmulators } from './helpers.js';

const PAGE = 'http://127.0.0.1:5173';
/** What a browser sends before a cross-origin GET with an Authorization header. */
const PREFLIGHT = {
  method: 'OPTIONS',
  headers: { origin: PAGE, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization,x-client-id' },
};
/** Response headers every page may read without Access-Control-Expose-Headers (Fetch standard). */
const SAFELISTED = new Set(['cache-control', 'content-language', 'content-length', 'content-type', 'expires', 'last-modified', 'pragma']);

const exposedList = (value: string | string[] | undefined): string[] =>
  String(value ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);

const { agent, start } = useEmulators('clover');

describe('CORS off (the default)', () => {
  it('sends no Access-Control header, and an OPTIONS request is an API call like any other', async () => {
    const emu = await start({ appRate: 1 });
    // A preflight carries no credentials: both count against the default app.
    const ok = await send(emu.url, '/v3/a', { headers: { origin: PAGE }, agent });
    const options = await send(emu.url, '/v3/a', { ...PREFLIGHT, agent });
    expect(ok.status).toBe(200);
    expect(options.status).toBe(429); // counted and limited: the page would never get past its preflight
    for (const res of [ok, options]) expect(res.headerNames.filter((n) => /^access-control-/i.test(n))).toEqual([]);
    expect(emu.stats()).toMatchObject({ received: 2, preflights: 0 });
  });
});

describe('CORS on', () => {
  it('answers preflights 204 with the allowed methods and headers, never counting or limiting them', async () => {
    const emu = await start({ appRate: 1, tokenRate: 1, cors: true });
    await send(emu.url, '/v3/a', { headers: bearer('t', 'app'), agent });
    const throttled = await send(emu.url, '/v3/b', { headers: bearer('t', 'app'), agent });
    expect(throttled.status).toBe(429); // the app is now over its limit and paused

    const preflight = await send(emu.url, '/v3/b', { ...PREFLIGHT, headers: { ...PREFLIGHT.headers, ...bearer('t', 'app') }, agent });
    expect(preflight.status).toBe(204);
    expect(preflight.body.length).toBe(0);
    expect(preflight.headers['access-control-allow-origin']).toBe('*');
    expect(exposedList(preflight.headers['access-control-allow-headers'])).toEqual(
      expect.arrayContaining(['authorization', 'x-client-id', 'content-type']),
    );
    expect(exposedList(preflight.headers['access-control-allow-methods'])).toEqual(
      expect.arrayContaining(['get', 'post', 'put', 'patch', 'delete']),
    );
    const stats = emu.stats();
    expect(stats).toMatchObject({ received: 2, accepted: 1, rejected429: 1, preflights: 1, arrivedDuringPause: 0 });
    expect(stats.timeline.map((e) => e.status)).toEqual([200, 429]);
  });

  it('lets a page read Retry-After and X-RateLimit-* on a 429, and the echo on a 200', async () => {
    const emu = await start({ tokenRate: 1, cors: true });
    const ok = await send(emu.url, '/v3/a', { headers: { ...bearer('t', 'app'), origin: PAGE }, agent });
    const throttled = await send(emu.url, '/v3/b', { headers: { ...bearer('t', 'app'), origin: PAGE }, agent });
    expect(throttled.status).toBe(429);
    for (const res of [ok, throttled]) {
      expect(res.headers['access-control-allow-origin']).toBe('*');
      expect(res.headers.vary).toBeUndefined();
    }
    const exposed = exposedList(throttled.headers['access-control-expose-headers']);
    expect(exposed).toEqual(expect.arrayContaining(['retry-after', 'x-ratelimit-tokenlimit']));
    // Every header this 429 carries is readable by the page: safelisted or exposed.
    const unreadable = Object.keys(throttled.headers).filter(
      (name) => !SAFELISTED.has(name) && !exposed.includes(name) && !name.startsWith('access-control-') && !['vary', 'date', 'connection', 'keep-alive'].includes(name),
    );
    expect(unreadable).toEqual([]);
  });

  it('exposes every non-safelisted header of every vendor’s 429', () => {
    const exposed = EXPOSED_HEADERS.map((name) => name.toLowerCase());
    const kinds: LimitKind[] = ['tokenLimit', 'crossTokenLimit', 'tokenConcurrentLimit', 'crossTokenConcurrentLimit'];
    for (const vendor of ['clover', 'giponext', 'genesys'] as Vendor[]) {
      for (const limit of kinds) {
        const reply = tooManyRequests(vendor, { limit, value: 5, retryAfterSec: 1, withRetryAfter: true, correlationId: 'c' });
        const hidden = Object.keys(reply.headers).filter((name) => !SAFELISTED.has(name.toLowerCase()) && !exposed.includes(name.toLowerCase()));
        expect({ vendor, limit, hidden }).toEqual({ vendor, limit, hidden: [] });
      }
    }
  });

  it('allows one origin when given one, on the control routes too', async () => {
    const emu = await start({ cors: PAGE });
    const preflight = await send(emu.url, '/v3/a', { ...PREFLIGHT, agent });
    const ok = await send(emu.url, '/v3/a', { headers: { origin: PAGE }, agent });
    const stats = await send(emu.url, '/__stats', { headers: { origin: PAGE }, agent });
    for (const res of [preflight, ok, stats]) {
      expect(res.headers['access-control-allow-origin']).toBe(PAGE);
      expect(res.headers.vary).toBe('Origin');
    }
    expect(stats.json()).toMatchObject({ received: 1, preflights: 1 });
  });

  it('with corsExposeHeaders false, allows the origin but hides Retry-After and X-RateLimit-* from pages', async () => {
    const emu = await start({ tokenRate: 1, cors: true, corsExposeHeaders: false });
    await send(emu.url, '/v3/a', { headers: bearer('t', 'app'), agent });
    const throttled = await send(emu.url, '/v3/b', { headers: bearer('t', 'app'), agent });
    expect(throttled.status).toBe(429);
    expect(throttled.headers['access-control-allow-origin']).toBe('*');
    expect(throttled.headers['access-control-expose-headers']).toBeUndefined();
    expect(throttled.headers['retry-after']).toBe('1'); // still sent: only a browser hides it
  });

  it('counts a plain OPTIONS (no Access-Control-Request-Method) as an API call', async () => {
    const emu = await start({ cors: true });
    const res = await send(emu.url, '/v3/a', { method: 'OPTIONS', headers: bearer('t', 'app'), agent });
    expect(res.status).toBe(200);
    expect(emu.stats()).toMatchObject({ received: 1, accepted: 1, preflights: 0 });
  });
});
