import http from 'node:http';
import { randomBytes } from 'node:crypto';
import axios from 'axios';
import { startEmulator, tokenLabel, type EchoBody, type EmulatorStats, type RunningEmulator } from '../../emulator/index.js';
import { bearer, send } from './helpers.js';

const agent = new http.Agent({ keepAlive: true });
let emu: RunningEmulator;

beforeEach(async () => {
  emu = await startEmulator({ vendor: 'clover', windowMs: 2000, appRate: 30, tokenRate: 30 });
});
afterEach(() => emu.close());
afterAll(() => agent.destroy());

describe('echo', () => {
  it('returns the POST body byte for byte (binary, every byte value)', async () => {
    const body = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(4096)]);
    const res = await send(emu.url, '/v3/upload?kind=bin', {
      method: 'POST',
      headers: { ...bearer('secret', 'app-e'), 'content-type': 'application/octet-stream' },
      body,
      agent,
    });
    expect(res.status).toBe(200);
    const echo = res.json<EchoBody>();
    expect(Buffer.from(echo.bodyBase64, 'base64').equals(body)).toBe(true);
    expect(echo).toMatchObject({ ok: true, method: 'POST', path: '/v3/upload', query: { kind: 'bin' }, bodyLength: body.length });
    expect(echo.contentType).toBe('application/octet-stream');
  });

  it('reads a large body completely before answering', async () => {
    const body = randomBytes(3 * 1024 * 1024);
    const res = await send(emu.url, '/big', { method: 'PUT', body, agent, headers: { 'content-type': 'application/octet-stream' } });
    const echo = res.json<EchoBody>();
    expect(echo.bodyLength).toBe(body.length);
    expect(Buffer.from(echo.bodyBase64, 'base64').equals(body)).toBe(true);
  });

  it('echoes an axios JSON body exactly as sent, with headers lowercased and authorization redacted', async () => {
    const client = axios.create({ baseURL: emu.url, httpAgent: agent });
    const payload = { name: 'Zoë', items: [1, 2, 3], nested: { ok: true } };
    const res = await client.post<EchoBody>('/v3/orders?expand=lineItems&tag=a&tag=b', payload, {
      headers: { ...bearer('secret-token', 'app-json'), 'X-Custom': 'Value' },
    });
    const echo = res.data;
    expect(Buffer.from(echo.bodyBase64, 'base64').toString('utf8')).toBe(JSON.stringify(payload));
    expect(echo.query).toEqual({ expand: 'lineItems', tag: ['a', 'b'] });
    expect(echo.headers.authorization).toBe('<redacted>');
    expect(echo.headers['x-custom']).toBe('Value');
    expect(echo.headers['x-client-id']).toBe('app-json');
    expect(echo.contentType).toBe('application/json');
    expect(JSON.stringify(echo)).not.toContain('secret-token');
  });

  it('accepts GET, PUT, PATCH and DELETE on any path', async () => {
    for (const method of ['GET', 'PUT', 'PATCH', 'DELETE']) {
      const res = await send(emu.url, `/any/${method.toLowerCase()}/path`, { method, agent });
      expect(res.status).toBe(200);
      expect(res.json<EchoBody>()).toMatchObject({ method, path: `/any/${method.toLowerCase()}/path`, bodyLength: 0, contentType: null });
    }
  });

  it('uses app "default" and token "anonymous" when the headers are missing', async () => {
    await send(emu.url, '/anon', { agent });
    const stats = emu.stats();
    expect(Object.keys(stats.byApp)).toEqual(['default']);
    expect(Object.keys(stats.byToken)).toEqual(['anonymous']);
  });
});

describe('acceptedByPath', () => {
  it('counts each accepted path with its query, duplicates included, rejections excluded', async () => {
    const small = await startEmulator({ vendor: 'giponext', appRate: 4, windowMs: 2000 });
    try {
      for (const path of ['/r/1?x=1', '/r/2', '/r/1?x=1', '/r/1?x=2', '/r/3', '/r/4']) {
        await send(small.url, path, { agent });
      }
      expect(small.stats().acceptedByPath).toEqual({ '/r/1?x=1': 2, '/r/2': 1, '/r/1?x=2': 1 });
      expect(small.stats().timeline.map((e) => e.path)).toEqual(['/r/1?x=1', '/r/2', '/r/1?x=1', '/r/1?x=2', '/r/3', '/r/4']);
    } finally {
      await small.close();
    }
  });
});

describe('control routes', () => {
  it('GET /__stats returns the stats and is neither counted nor limited', async () => {
    await send(emu.url, '/one', { headers: bearer('tok', 'app-s'), agent });
    for (let i = 0; i < 40; i++) {
      expect((await send(emu.url, '/__stats', { agent })).status).toBe(200);
    }
    const viaHttp = (await send(emu.url, '/__stats', { agent })).json<EmulatorStats>();
    expect(viaHttp).toEqual(emu.stats());
    expect(viaHttp.received).toBe(1);
    expect(viaHttp.byToken[tokenLabel('tok')].accepted).toBe(1);
  });

  it('POST /__reset forgets windows, pauses and stats; wrong methods get 405', async () => {
    const small = await startEmulator({ vendor: 'clover', appRate: 1, retryAfterSec: 5 });
    try {
      await send(small.url, '/a', { agent });
      expect((await send(small.url, '/a', { agent })).status).toBe(429); // now paused for 5 s
      const reset = await send(small.url, '/__reset', { method: 'POST', agent });
      expect(reset.status).toBe(200);
      expect(small.stats()).toMatchObject({ received: 0, accepted: 0, timeline: [] });
      expect((await send(small.url, '/a', { agent })).status).toBe(200);
      expect(small.stats().timeline[0].t).toBeLessThan(1000); // the clock restarted

      const wrong = await send(small.url, '/__reset', { method: 'GET', agent });
      expect(wrong.status).toBe(405);
      expect(wrong.headers.allow).toBe('POST');
      expect((await send(small.url, '/__stats', { method: 'POST', agent })).status).toBe(405);
      expect(small.stats().received).toBe(1);
    } finally {
      await small.close();
    }
  });
});
