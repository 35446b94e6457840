/**
 * What is particular to the Redis store: one round trip per decision, state shared between stores (as
 * between processes), leases renewed by one timer and freed when their holder dies, key names and TTLs.
 * Several RedisStore instances on separate connections stand for separate processes; one test kills a
 * real child process.
 */
import axios from 'axios';
import { RedisStore, type RedisStoreOptions } from '../../src/redis-store';
import { rateGuard } from '../../src/rate-guard';
import type { AcquireResult, KeySpec, Lease } from '../../src/store';
import { kill, killPid, spawnTs, waitForLine } from './helpers/child';
import { connect, type TestClient } from './helpers/clients';
import { countingClient } from './helpers/counting-client';
import { RedisServer } from './helpers/redis-server';
import { timerCountingClock } from './helpers/timer-clock';

jest.setTimeout(20_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let server: RedisServer;
let ioredis: TestClient;
let ioredis2: TestClient;
let nodeRedis: TestClient;
let stores: RedisStore[] = [];
let prefixSeq = 0;
let prefix = '';

beforeAll(async () => {
  server = await RedisServer.start();
  [ioredis, ioredis2, nodeRedis] = await Promise.all([
    connect('ioredis', server.port),
    connect('ioredis', server.port),
    connect('node-redis', server.port),
  ]);
});
afterAll(async () => {
  await Promise.all([ioredis, ioredis2, nodeRedis].map((c) => c.close()));
  await server.stop();
});
beforeEach(() => {
  prefix = `t${++prefixSeq}-${Math.random().toString(36).slice(2, 6)}:`;
});
afterEach(() => {
  stores.forEach((s) => s.close());
  stores = [];
});

function store(client: TestClient | RedisStoreOptions['client'], options: Partial<RedisStoreOptions> = {}): RedisStore {
  const made = new RedisStore({ client: 'kind' in client ? client.client : client, prefix, ...options });
  stores.push(made);
  return made;
}

const key = (id: string, limits: KeySpec['limits'], level: KeySpec['level'] = 'client'): KeySpec => ({ id, level, limits, marginMs: 0 });

function granted(result: AcquireResult): Lease {
  if (!result.ok) throw new Error(`expected a grant, got ${JSON.stringify(result)}`);
  return result.lease;
}

describe('RedisStore', () => {
  it('holds a spent quota of another kind (tokens) until its own reset, even inside a request window our first request opened', async () => {
    const s = store(ioredis.client);
    const app = key('quota-kinds', {});
    await s.observe(app, { sentAt: s.clock.now(), limit: 10, remaining: 9, resetMs: 1000 }); // our request opened the window
    const tokens = await s.observe(app, { sentAt: s.clock.now(), remaining: 0, resetMs: 60_000, otherQuota: true });
    expect(tokens.heldMs).toBeGreaterThan(59_000);
    const requests = await s.observe(app, { sentAt: s.clock.now(), limit: 10, remaining: 0, resetMs: 5000 });
    expect(requests.heldMs).toBeLessThanOrEqual(1000); // the request quota's own window ends first
    await s.resume('quota-kinds');
  });

  it('takes one round trip per acquire, release, throttle and observe once its scripts are known', async () => {
    const counted = countingClient(ioredis.client);
    const s = store(counted.client);
    const keys = [key('app', { requests: 100, perMs: 1000, concurrent: 10 }), key('app|t:abc', { requests: 10 }, 'token')];
    const report = { delayMs: 10, backoff: { baseMs: 1000, maxMs: 60_000 }, jitter: { ratio: 0, maxMs: 0 }, random: 0 };
    const everyDecision = async () => {
      await s.release(keys, 'ok', granted(await s.acquire(keys)));
      await s.throttle(keys[1], { ...report, sentAt: s.clock.now() });
      await s.observe(keys[0], { sentAt: s.clock.now(), remaining: 50, resetMs: 1000 });
    };
    await everyDecision(); // the first call of a script asks Redis for its SHA (SCRIPT LOAD), once per script
    counted.reset();
    await sleep(15); // past the pause
    await everyDecision();
    expect(counted.commands).toEqual(['EVALSHA', 'EVALSHA', 'EVALSHA', 'EVALSHA']);
  });

  it('runs a script again with EVAL when Redis lost it (NOSCRIPT), then back to EVALSHA', async () => {
    const counted = countingClient(nodeRedis.client);
    const s = store(counted.client);
    const k = key('app', { concurrent: 5 });
    await s.release([k], 'ok', granted(await s.acquire([k])));
    await nodeRedis.command(['SCRIPT', 'FLUSH']);
    counted.reset();
    await s.release([k], 'ok', granted(await s.acquire([k])));
    expect(counted.commands).toEqual(['EVALSHA', 'EVAL', 'EVALSHA', 'EVAL']);
    counted.reset();
    await s.release([k], 'ok', granted(await s.acquire([k])));
    expect(counted.commands).toEqual(['EVALSHA', 'EVALSHA']);
  });

  it('never lets more than N start in any window across stores (processes), on the server clock', async () => {
    const limit = { requests: 5, perMs: 300 };
    const k = key('shared-window', limit);
    const starts: number[] = [];
    const worker = async (s: RedisStore) => {
      const until = Date.now() + 1300;
      while (Date.now() < until) {
        const result = await s.acquire([k]);
        if (result.ok) {
          starts.push((result.lease as { start: number }).start);
          await s.release([k], 'ok', result.lease);
        } else {
          await sleep(Math.min(result.retryInMs ?? 5, 20));
        }
      }
    };
    await Promise.all([worker(store(ioredis)), worker(store(ioredis2)), worker(store(nodeRedis)), worker(store(ioredis))]);
    starts.sort((a, b) => a - b);
    let most = 0;
    for (let i = 0; i < starts.length; i++) {
      const inWindow = starts.filter((t) => t > starts[i] - limit.perMs && t <= starts[i]).length;
      most = Math.max(most, inWindow);
    }
    expect(most).toBeLessThanOrEqual(limit.requests);
    // Saturated: about N per W (5 per 300 ms over 1.3 s is ~25 starts).
    expect(starts.length).toBeGreaterThanOrEqual(10);
  });

  it('shares concurrency: a slot held elsewhere refuses with a finite retry, and frees on release', async () => {
    const a = store(ioredis);
    const b = store(nodeRedis, { pollIntervalMs: 40 });
    const k = key('app', { concurrent: 1 });
    const lease = granted(await a.acquire([k]));
    const refused = await b.acquire([k]);
    expect(refused).toMatchObject({ ok: false, key: 'app', reason: 'concurrency' });
    if (!refused.ok) expect(refused.retryInMs).toBeLessThanOrEqual(40);
    await a.release([k], 'ok', lease);
    expect((await b.acquire([k])).ok).toBe(true);
  });

  it('shares a pause and a learned limit: a 429 seen by one store pauses the key in every store', async () => {
    const a = store(ioredis);
    const b = store(nodeRedis);
    const token = key('app|t:1', { requests: 10, perMs: 1000 }, 'token');
    const sent = granted(await a.acquire([token]));
    const outcome = await a.throttle(token, {
      sentAt: a.clock.now(),
      delayMs: 300,
      named: { requests: 4 },
      backoff: { baseMs: 1000, maxMs: 60_000 },
      jitter: { ratio: 0, maxMs: 0 },
      random: 0,
    });
    await a.release([token], 'throttled', sent);
    expect(outcome).toMatchObject({ strikes: 1, stale: false, source: 'server', learned: { requests: 4 } });
    const paused = await b.acquire([token]);
    expect(paused).toMatchObject({ ok: false, reason: 'paused' });
    if (!paused.ok) expect(paused.retryInMs).toBeGreaterThan(200);
    const [snapshot] = await b.snapshot('app|t:1');
    expect(snapshot).toMatchObject({ throttled: 1, strikes: 1, learned: { requests: 4 }, effective: { requests: 4, perMs: 1000 } });
    await sleep(320);
    const probe = granted(await b.acquire([token]));
    expect(await a.acquire([token])).toMatchObject({ ok: false, reason: 'concurrency' }); // one probe first
    await b.release([token], 'ok', probe);
    expect((await a.acquire([token])).ok).toBe(true);
  });

  it('renews every lease of a store with one timer, and frees the slots of a store that stops renewing', async () => {
    const clock = timerCountingClock();
    const a = store(ioredis, { leaseTtlMs: 300, clock });
    const b = store(nodeRedis, { pollIntervalMs: 20 });
    const keys = Array.from({ length: 20 }, (_, i) => key(`app${i}`, { concurrent: 1 }));
    for (const k of keys) granted(await a.acquire([k]));
    await sleep(20);
    expect(a.heldLeases).toBe(20);
    expect(clock.liveTimers).toBeLessThanOrEqual(3); // the renewal timer (+ the call-timeout timer, the fallback store's idle sweep)
    await sleep(700); // more than twice the lease TTL: alive only through renewal
    expect(await b.acquire([keys[0]])).toMatchObject({ ok: false, reason: 'concurrency' });
    a.close(); // as if the process froze or died: nobody renews
    const started = Date.now();
    let result = await b.acquire([keys[0]]);
    while (!result.ok && Date.now() - started < 2000) {
      await sleep(20);
      result = await b.acquire([keys[0]]);
    }
    expect(result.ok).toBe(true);
    expect(Date.now() - started).toBeLessThan(300 + 400); // the lease TTL, and slack for a busy machine
  });

  it('frees the slot of a process killed in the middle of a request within the lease TTL', async () => {
    const b = store(ioredis, { pollIntervalMs: 20 });
    const k = key('app', { concurrent: 1 });
    const child = spawnTs('__tests__/redis/fixtures/hold-lease.ts', [String(server.port), prefix, 'app', '400']);
    try {
      const worker = Number((await waitForLine(child, 'held ')).split(' ')[1]);
      await sleep(1000); // 2.5 lease TTLs: the child renews
      expect(await b.acquire([k])).toMatchObject({ ok: false, reason: 'concurrency' });
      killPid(worker); // the process holding the lease dies mid-request: no release, no more renewals
      const killedAt = Date.now();
      let result = await b.acquire([k]);
      while (!result.ok && Date.now() - killedAt < 3000) {
        await sleep(20);
        result = await b.acquire([k]);
      }
      expect(result.ok).toBe(true);
      expect(Date.now() - killedAt).toBeLessThan(400 + 400); // the lease TTL, and slack for a busy machine
    } finally {
      await kill(child);
    }
  });

  it('stamps an unused grant at its start, so it gives its place back at once', async () => {
    const s = store(ioredis);
    const k = key('app', { requests: 1, perMs: 200 });
    await s.release([k], 'unused', granted(await s.acquire([k])));
    const refused = await s.acquire([k]);
    expect(refused).toMatchObject({ ok: false, reason: 'rate' });
    await sleep(210);
    expect((await s.acquire([k])).ok).toBe(true);
  });

  it('puts a TTL on every key it writes, and no raw token in any key name', async () => {
    const s = store(ioredis, { idleTtlMs: 5000, leaseTtlMs: 1000 });
    const api = axios.create({ adapter: async (config) => ({ data: 'ok', status: 200, statusText: 'OK', headers: {}, config }) });
    rateGuard(api, {
      clientId: 'my-app',
      store: s,
      limits: { client: { requests: 10, perMs: 1000, concurrent: 2 }, token: { requests: 5, perMs: 1000 } },
    });
    const token = 'super-secret-token-value';
    await api.get('/x', { headers: { Authorization: `Bearer ${token}` } });
    const names = (await ioredis.command(['KEYS', `${prefix}*`])) as string[];
    expect(names.length).toBeGreaterThanOrEqual(5);
    expect(names.filter((n) => n.includes(token) || n.includes('super-secret'))).toEqual([]);
    for (const name of names) {
      const ttl = Number(await ioredis.command(['PTTL', name]));
      expect({ name, ttl: ttl > 0 && ttl <= 5000 }).toEqual({ name, ttl: true });
    }
    const [snapshot] = (await s.snapshot('my-app')).filter((x) => x.level === 'token');
    expect(snapshot.key).toMatch(/^my-app\|t:[0-9a-f]+$/);
  });

  it('snapshots the keys of a prefix through the index of its client id', async () => {
    const s = store(nodeRedis);
    const keys = [key('app', { concurrent: 3 }), key('app|t:1', { concurrent: 2 }, 'token'), key('app|t:2', {}, 'token'), key('other', {})];
    const held = granted(await s.acquire(keys.slice(0, 2)));
    await s.release([keys[2]], 'ok', granted(await s.acquire([keys[2]])));
    await s.release([keys[3]], 'ok', granted(await s.acquire([keys[3]])));
    const all = await s.snapshot('app');
    expect(all.map((x) => x.key).sort()).toEqual(['app', 'app|t:1', 'app|t:2']);
    expect(all.find((x) => x.key === 'app')).toMatchObject({ level: 'client', inFlight: 1, configured: { concurrent: 3 } });
    expect((await s.snapshot('app|t:1')).map((x) => x.key)).toEqual(['app|t:1']);
    await s.release(keys.slice(0, 2), 'ok', held);
    expect((await s.snapshot('app|t:1'))[0].inFlight).toBe(0);
  });
});
