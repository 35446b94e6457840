/**
 * Measures the Redis store against the memory store, on this machine, with a throwaway redis-server:
 *
 * 1. round trips per request: Redis commands counted by a wrapped client, per guarded request;
 * 2. overhead per request: a guarded axios call with an instant adapter (no network but Redis), through
 *    MemoryStore and through RedisStore (ioredis, node-redis), in interleaved rounds; median of the rounds;
 * 3. several processes sharing a client_id against the vendor emulator: the server's own maxima against
 *    the limits.
 *
 *   npx tsx __tests__/redis/measure.ts [--rounds 15] [--requests 400] [--workers 4] [--per-worker 25]
 */
import axios, { type AxiosInstance } from 'axios';
import Redis from 'ioredis';
import { createClient } from 'redis';
import { startEmulator } from '../../emulator';
import { MemoryStore } from '../../src/memory-store';
import { rateGuard } from '../../src/rate-guard';
import { RedisStore, type RedisClientLike } from '../../src/redis-store';
import type { KeySpec, RateLimitStore } from '../../src/store';
import { runToEnd, spawnTs } from './helpers/child';
import { countingClient } from './helpers/counting-client';
import { RedisServer } from './helpers/redis-server';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(process.argv[at + 1]);
}

const ROUNDS = option('rounds', 15);
const REQUESTS = option('requests', 400);
const WORKERS = option('workers', 4);
const PER_WORKER = option('per-worker', 25);

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** Generous limits: the measurement is of the store's decisions, never of waiting. */
const LIMITS = { client: { requests: 1_000_000, perMs: 1000, concurrent: 10_000 }, token: { requests: 1_000_000, perMs: 1000, concurrent: 1000 } };

function guarded(store: RateLimitStore, clientId: string): AxiosInstance {
  const api = axios.create({ adapter: async (config) => ({ data: null, status: 200, statusText: 'OK', headers: {}, config }) });
  rateGuard(api, { clientId, store, limits: LIMITS });
  return api;
}

async function perRequestMicros(api: AxiosInstance, count: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < count; i++) await api.get('/x', { headers: { Authorization: `Bearer token-${i % 8}` } });
  return ((performance.now() - started) * 1000) / count;
}

async function storeOnlyMicros(store: RateLimitStore, keys: KeySpec[], count: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const result = await store.acquire(keys);
    if (!result.ok) throw new Error(`refused: ${JSON.stringify(result)}`);
    await store.release(keys, 'ok', result.lease);
  }
  return ((performance.now() - started) * 1000) / count;
}

async function main(): Promise<void> {
  const server = await RedisServer.start();
  const ioredis = new Redis({ host: '127.0.0.1', port: server.port });
  const nodeRedis = createClient({ socket: { host: '127.0.0.1', port: server.port } });
  await nodeRedis.connect();
  const clients: Array<[string, RedisClientLike]> = [
    ['ioredis', ioredis],
    ['node-redis', nodeRedis],
  ];

  // 1. Round trips
  console.log('## Round trips per guarded request (commands sent, counted by a wrapped client)');
  for (const [name, client] of clients) {
    const counted = countingClient(client);
    const store = new RedisStore({ client: counted.client, prefix: `measure-rt-${name}:` });
    const api = guarded(store, 'rt-app');
    await api.get('/warm', { headers: { Authorization: 'Bearer warm' } }); // SCRIPT LOAD, once per script
    await new Promise((resolve) => setTimeout(resolve, 20)); // the guard releases after it answers
    counted.reset();
    const n = 200;
    for (let i = 0; i < n; i++) await api.get('/x', { headers: { Authorization: `Bearer token-${i % 8}` } });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const byCommand = counted.commands.reduce<Record<string, number>>((acc, c) => ((acc[c] = (acc[c] ?? 0) + 1), acc), {});
    console.log(`${name}: ${(counted.commands.length / n).toFixed(2)} commands per request (${JSON.stringify(byCommand)} for ${n} requests; acquire and release, each one EVALSHA)`);
    store.close();
  }

  // 2. Overhead
  console.log(`\n## Overhead per request, median of ${ROUNDS} interleaved rounds of ${REQUESTS} sequential requests`);
  const subjects: Array<{ name: string; store: RateLimitStore }> = [
    { name: 'memory', store: new MemoryStore() },
    ...clients.map(([name, client]) => ({ name: `redis/${name}`, store: new RedisStore({ client, prefix: `measure-${name}:` }) })),
  ];
  const apis = subjects.map((s) => guarded(s.store, `oh-${s.name}`));
  const keys: KeySpec[] = [
    { id: 'store-app', level: 'client', limits: LIMITS.client, marginMs: 0 },
    { id: 'store-app|t:1', level: 'token', limits: LIMITS.token, marginMs: 0 },
  ];
  const guardedTimes = subjects.map(() => [] as number[]);
  const storeTimes = subjects.map(() => [] as number[]);
  for (let i = 0; i < subjects.length; i++) await perRequestMicros(apis[i], 100); // warm up
  await ioredis.call('CONFIG', ['RESETSTAT']);
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < subjects.length; i++) {
      guardedTimes[i].push(await perRequestMicros(apis[i], REQUESTS));
      storeTimes[i].push(await storeOnlyMicros(subjects[i].store, keys, REQUESTS));
    }
  }
  const base = median(guardedTimes[0]);
  const baseStore = median(storeTimes[0]);
  for (let i = 0; i < subjects.length; i++) {
    const g = median(guardedTimes[i]);
    const s = median(storeTimes[i]);
    const extra = i === 0 ? '' : `; overhead vs memory ${(g - base).toFixed(0)} µs per request (${(s - baseStore).toFixed(0)} µs per acquire+release)`;
    console.log(`${subjects[i].name.padEnd(17)} guarded request ${g.toFixed(1)} µs, store acquire+release ${s.toFixed(1)} µs${extra}`);
  }
  const evalsha = String(await ioredis.call('INFO', ['commandstats']))
    .split('\n')
    .find((line) => line.startsWith('cmdstat_evalsha:'));
  console.log(`Redis CPU per decision (EVALSHA, INFO commandstats): ${evalsha?.match(/usec_per_call=([\d.]+)/)?.[1]} µs`);
  subjects.forEach((s) => (s.store instanceof RedisStore ? s.store.close() : (s.store as MemoryStore).clear()));

  // 3. Several processes, one client_id
  console.log(`\n## ${WORKERS} processes sharing one client_id against the emulator (clover rules)`);
  const limits = { client: { requests: 10, perMs: 500, concurrent: 4 }, token: { requests: 4, perMs: 500, concurrent: 2 } };
  const emulator = await startEmulator({ vendor: 'clover', windowMs: 500, appRate: 10, tokenRate: 4, appConcurrent: 4, tokenConcurrent: 2, latencyMs: 20 });
  const startAt = Date.now() + 3000;
  const outputs = await Promise.all(
    Array.from({ length: WORKERS }, (_, worker) =>
      runToEnd(
        spawnTs('__tests__/redis/fixtures/burst-worker.ts', [
          JSON.stringify({
            redisPort: server.port,
            client: worker % 2 === 0 ? 'ioredis' : 'node-redis',
            prefix: 'measure-multi:',
            baseURL: emulator.url,
            clientId: 'shared-app',
            worker,
            count: PER_WORKER,
            tokens: 3,
            startAt,
            limits,
          }),
        ]),
      ),
    ),
  );
  const reports = outputs.map((out) => JSON.parse(out.trim().split('\n').pop()!));
  const stats = emulator.stats();
  const total = WORKERS * PER_WORKER;
  const lost = total - reports.reduce((n, r) => n + r.ok, 0);
  console.log(
    `${total} requests: ${stats.accepted} accepted (each path once: ${Object.values(stats.acceptedByPath).every((n) => n === 1)}), ` +
      `${lost} lost, ${stats.rejected429} 429s`,
  );
  console.log(`server max in any 500 ms window: app ${stats.maxInWindowPerApp} (limit 10), token ${stats.maxInWindowPerToken} (limit 4)`);
  console.log(`server max in flight: app ${stats.maxInFlightPerApp} (limit 4), token ${stats.maxInFlightPerToken} (limit 2)`);
  console.log(`slowest worker ${Math.max(...reports.map((r) => r.elapsedMs))} ms (ideal ≈ ${(total / 10 - 1) * 500} ms at 10 per 500 ms)`);
  await emulator.close();

  await ioredis.quit();
  await nodeRedis.quit();
  await server.stop();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
