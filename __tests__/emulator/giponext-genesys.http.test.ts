import http from 'node:http';
import axios from 'axios';
import { GIPONEXT_429_BODY, startEmulator, tokenLabel, type RunningEmulator } from '../../emulator/index.js';
import { bearer, send } from './helpers.js';

const agent = new http.Agent({ keepAlive: true });
let emu: RunningEmulator | undefined;

afterEach(async () => {
  await emu?.close();
  emu = undefined;
});
afterAll(() => agent.destroy());

describe('GipoNext emulator', () => {
  it('limits per client_id only, answers with Retry-After and the rate_limit_exceeded body', async () => {
    emu = await startEmulator({ vendor: 'giponext', appRate: 20, windowMs: 2000 });
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) {
      // One token sends all 20: GipoNext has no per-token limit (Clover's would stop it at 16).
      statuses.push((await send(emu.url, `/patients/${i}`, { headers: bearer('one-token', 'clinic-app'), agent })).status);
    }
    expect(statuses).toEqual(Array(20).fill(200));

    const limited = await send(emu.url, '/patients/20', { headers: bearer('other-token', 'clinic-app'), agent });
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('1');
    expect(limited.headers['content-type']).toBe('application/json');
    expect(Object.keys(limited.headers).filter((h) => h.startsWith('x-ratelimit'))).toEqual([]);
    expect(limited.json()).toEqual(GIPONEXT_429_BODY);
    expect(limited.json()).toEqual({
      error: 'rate_limit_exceeded',
      message: 'Too many requests. Please retry after the indicated time.',
    });

    // Retrying inside the announced second is punished; another client_id is unaffected.
    const retried = await send(emu.url, '/patients/20', { headers: bearer('other-token', 'clinic-app'), agent });
    expect(retried.status).toBe(429);
    expect((await send(emu.url, '/patients/0', { headers: bearer('x', 'another-app'), agent })).status).toBe(200);

    const stats = emu.stats();
    expect(stats).toMatchObject({ accepted: 21, rejected429: 2, arrivedDuringPause: 1, maxInWindowPerApp: 20 });
    expect(stats.byApp['clinic-app']).toMatchObject({ accepted: 20, rejected: 2, arrivedDuringPause: 1 });
    expect(stats.byToken[tokenLabel('one-token')].maxInAnyWindow).toBe(20);
    expect(stats.rejectedByLimit.crossTokenLimit).toBe(2);
  });
});

describe('Genesys emulator', () => {
  it('sends the normalized 429 body and leaves Retry-After out of every other 429', async () => {
    emu = await startEmulator({ vendor: 'genesys', tokenRate: 2, windowMs: 2000, penalty: false });
    const client = axios.create({ baseURL: emu.url, httpAgent: agent, validateStatus: () => true });
    const responses = [];
    for (let i = 0; i < 6; i++) {
      responses.push(await client.get(`/api/v2/users/${i}`, { headers: bearer('genesys-token') }));
    }
    expect(responses.map((r) => r.status)).toEqual([200, 200, 429, 429, 429, 429]);
    const tooMany = responses.slice(2);
    expect(tooMany.map((r) => r.headers['retry-after'])).toEqual(['1', undefined, '1', undefined]);
    for (const r of tooMany) {
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.data).toEqual({
        message: 'Rate limit exceeded the maximum. Retry the request in [1] seconds',
        code: 'too.many.requests.retry.after',
        status: 429,
        contextId: r.headers['inin-correlation-id'],
        details: [],
        errors: [],
      });
      expect(r.data.contextId).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(new Set(tooMany.map((r) => r.data.contextId)).size).toBe(4);

    const stats = emu.stats();
    expect(stats.retryAfterSent).toEqual([1, 1]);
    expect(stats.rejected429).toBe(4);
    expect(stats.rejectedByLimit.tokenLimit).toBe(4);
    expect(stats.arrivedDuringPause).toBe(3); // penalty off: counted, not punished
  });

  it('has no app limit by default: other tokens of the same app are accepted', async () => {
    emu = await startEmulator({ vendor: 'genesys', tokenRate: 2, windowMs: 2000 });
    const results = [];
    for (let i = 0; i < 12; i++) {
      results.push((await send(emu.url, `/api/v2/q/${i}`, { headers: bearer(`token-${Math.floor(i / 2)}`), agent })).status);
    }
    expect(results).toEqual(Array(12).fill(200));
    expect(emu.stats().byApp.default).toMatchObject({ accepted: 12, maxInAnyWindow: 12 });
  });
});
