/**
 * The nginx harness itself (no guard): limit_req admits as nginx defines it, its 429s look like an nginx in
 * front of an API (a static Retry-After, no rate-limit header), and the access log sees every request.
 *
 * nginx's limit_req with `rate=20r/s burst=5 nodelay` is a leaky bucket of excess kept per key in
 * thousandths of a request: each arrival adds 1, the excess drains at 20 per second (by the ms), and an
 * arrival that would take it above 5 is refused and changes nothing. So an idle key admits burst + 1 = 6 at
 * once (not 20 or 25), then one per 50 ms; a refused request does not count.
 */
import fs from 'node:fs';
import axios from 'axios';
import { NginxServer, countEntries, parseLogLine, perBucket } from './nginx';

jest.setTimeout(20_000);

let server: NginxServer;

beforeAll(async () => {
  server = await NginxServer.start({ rate: 20, burst: 5 });
});
afterAll(async () => {
  await server?.stop();
});

function client(clientId: string) {
  return axios.create({ baseURL: server.url, validateStatus: () => true, headers: { 'x-client-id': clientId } });
}

const sleepUntil = (t: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, t - performance.now())));

/** Sends `count` GETs at a fixed rate (absolute schedule) and waits for every answer. */
async function paced(clientId: string, perSecond: number, count: number) {
  const api = client(clientId);
  const start = performance.now();
  const pending: Array<Promise<unknown>> = [];
  for (let i = 0; i < count; i++) {
    await sleepUntil(start + (i * 1000) / perSecond);
    pending.push(api.get(`/paced/${i}`));
  }
  await Promise.all(pending);
  return server.settle({ count, filter: { clientId } });
}

describe('NginxServer (limit_req 20 r/s, burst 5 nodelay)', () => {
  it('admits burst + 1 of 30 quick requests at once; the rest get 429 with Retry-After: 1 and no rate-limit header', async () => {
    const api = client('quick-30');
    const responses = await Promise.all(Array.from({ length: 30 }, (_, i) => api.get(`/item/${i}`)));
    const entries = await server.settle({ count: 30, filter: { clientId: 'quick-30' } });

    // The log saw every request, each once, with the status the client got.
    expect(entries).toHaveLength(30);
    expect(new Set(entries.map((e) => e.uri)).size).toBe(30);
    const statusByUri = new Map(entries.map((e) => [e.uri, e.status]));
    responses.forEach((r, i) => expect(statusByUri.get(`/item/${i}`)).toBe(r.status));

    // 6 at once; one more per 50 ms the arrivals were spread over (a slow machine may spread them).
    const arrivals = entries.map((e) => e.arrivedAt);
    const spreadMs = Math.max(...arrivals) - Math.min(...arrivals);
    const accepted = responses.filter((r) => r.status === 200).length;
    expect(accepted).toBeGreaterThanOrEqual(6);
    expect(accepted).toBeLessThanOrEqual(6 + Math.floor(spreadMs / 50));
    expect(countEntries(entries)).toMatchObject({ accepted, rejected: 30 - accepted, other: 0 });

    const limited = responses.filter((r) => r.status === 429);
    for (const r of limited) {
      expect(r.headers['retry-after']).toBe('1');
      expect(Object.keys(r.headers).filter((h) => /ratelimit/i.test(h))).toEqual([]);
    }
    expect(entries.filter((e) => e.status === 429).every((e) => e.limitReq === 'REJECTED')).toBe(true);
    expect(entries.filter((e) => e.status === 200).every((e) => e.limitReq === 'PASSED')).toBe(true);
    // 200s carry no rate-limit header either: nothing advertises the limit.
    const ok = responses.find((r) => r.status === 200);
    expect(Object.keys(ok?.headers ?? {}).filter((h) => /ratelimit|retry-after/i.test(h))).toEqual([]);
  });

  it('counts per x-client-id: another key has its own bucket', async () => {
    const a = await Promise.all(Array.from({ length: 8 }, (_, i) => client('key-a').get(`/a/${i}`)));
    const b = await Promise.all(Array.from({ length: 8 }, (_, i) => client('key-b').get(`/b/${i}`)));
    expect(a.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(6);
    expect(b.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(6);
  });

  it('after a burst admits one per 50 ms, and refused requests do not count against the bucket', async () => {
    // At 40 and at 100 per second for 1.5 s, the bucket admits the same: 6 at once, then 20 per second.
    const at40 = countEntries(await paced('paced-40', 40, 60));
    const at100 = countEntries(await paced('paced-100', 100, 150));
    // 6 + 20 × 1.475 s (the last is sent at 1475 ms) ≈ 35; timer jitter can add or remove one.
    for (const counts of [at40, at100]) {
      expect(counts.accepted).toBeGreaterThanOrEqual(33);
      expect(counts.accepted).toBeLessThanOrEqual(37);
    }
    expect(Math.abs(at40.accepted - at100.accepted)).toBeLessThanOrEqual(2);
    expect(at40.rejected + at40.accepted).toBe(60);
    expect(at100.rejected + at100.accepted).toBe(150);
  });

  it('at the configured rate, paced, nothing is refused', async () => {
    const entries = await paced('paced-20', 20, 30);
    expect(countEntries(entries)).toMatchObject({ accepted: 30, rejected: 0 });
    // perBucket rows cover every arrival.
    const rows = perBucket(entries, 250);
    expect(rows.reduce((sum, r) => sum + r.accepted, 0)).toBe(30);
  });

  it('retryAfter: null sends no Retry-After; stop() kills nginx and removes its prefix', async () => {
    const bare = await NginxServer.start({ rate: 1, burst: 0, retryAfter: null });
    const prefix = bare.prefix;
    const pid = bare.pid as number;
    try {
      const api = axios.create({ baseURL: bare.url, validateStatus: () => true });
      const [first, second] = await Promise.all([api.get('/x'), api.get('/y')]);
      expect([first.status, second.status].sort()).toEqual([200, 429]);
      expect((first.status === 429 ? first : second).headers['retry-after']).toBeUndefined();
      // No x-client-id: counted by address, logged as '-'.
      expect((await bare.settle({ count: 2 })).map((e) => e.clientId)).toEqual(['-', '-']);
    } finally {
      await bare.stop();
    }
    expect(fs.existsSync(prefix)).toBe(false);
    expect(() => process.kill(pid, 0)).toThrow();
  });
});

describe('parseLogLine', () => {
  it('reads arrival as $msec − $request_time', () => {
    expect(parseLogLine('1700000000.250 0.050 429 REJECTED GET "app" /v1/x?y=1')).toEqual({
      arrivedAt: 1_700_000_000_200,
      loggedAt: 1_700_000_000_250,
      status: 429,
      limitReq: 'REJECTED',
      method: 'GET',
      clientId: 'app',
      uri: '/v1/x?y=1',
    });
    expect(parseLogLine('garbage')).toBeUndefined();
  });
});
