/**
 * Several processes, one client_id, one quota: Node child processes, each with its own axios instance, guard
 * and Redis connection (ioredis and node-redis alike), send a burst at the same moment to the vendor
 * emulator. The server's own counts must show every request accepted once, no 429, and never more than the
 * limits in any window or in flight.
 */
import { startEmulator, type RunningEmulator } from '../../emulator';
import { runToEnd, spawnTs } from './helpers/child';
import { RedisServer } from './helpers/redis-server';

jest.setTimeout(40_000);

let server: RedisServer;
let emulator: RunningEmulator | undefined;
beforeAll(async () => {
  server = await RedisServer.start();
});
afterAll(async () => {
  await emulator?.close();
  await server.stop();
});

it('keeps four processes sharing a client_id inside its rate and concurrency limits, with nothing lost', async () => {
  const limits = { client: { requests: 10, perMs: 500, concurrent: 4 }, token: { requests: 4, perMs: 500, concurrent: 2 } };
  emulator = await startEmulator({ vendor: 'clover', windowMs: 500, appRate: 10, tokenRate: 4, appConcurrent: 4, tokenConcurrent: 2, latencyMs: 20 });
  const workers = 4;
  const perWorker = 15;
  const startAt = Date.now() + 3000; // every worker has started and connected by then
  const children = Array.from({ length: workers }, (_, worker) =>
    spawnTs('__tests__/redis/fixtures/burst-worker.ts', [
      JSON.stringify({
        redisPort: server.port,
        client: worker % 2 === 0 ? 'ioredis' : 'node-redis',
        prefix: 'multi:',
        baseURL: emulator!.url,
        clientId: 'shared-app',
        worker,
        count: perWorker,
        tokens: 3,
        startAt,
        limits,
      }),
    ]),
  );
  const outputs = await Promise.all(children.map(runToEnd));
  const reports = outputs.map((out) => JSON.parse(out.trim().split('\n').pop()!));

  expect(reports.map((r) => r.errors)).toEqual(Array(workers).fill([]));
  expect(reports.map((r) => r.fallbacks)).toEqual(Array(workers).fill([]));
  const stats = emulator.stats();
  expect(stats.rejected429).toBe(0);
  expect(stats.accepted).toBe(workers * perWorker);
  expect(Object.values(stats.acceptedByPath).every((n) => n === 1)).toBe(true);
  expect(stats.maxInWindowPerApp).toBeLessThanOrEqual(10);
  expect(stats.maxInWindowPerToken).toBeLessThanOrEqual(4);
  expect(stats.maxInFlightPerApp).toBeLessThanOrEqual(4);
  expect(stats.maxInFlightPerToken).toBeLessThanOrEqual(2);
  const slowest = Math.max(...reports.map((r) => r.elapsedMs));
  console.log(
    `${workers} processes x ${perWorker} requests: ${stats.accepted} accepted, ${stats.rejected429} 429s; server max per 500 ms window ` +
      `app ${stats.maxInWindowPerApp}/10, token ${stats.maxInWindowPerToken}/4; max in flight app ${stats.maxInFlightPerApp}/4, ` +
      `token ${stats.maxInFlightPerToken}/2; done in ${slowest} ms (ideal ≈ ${((workers * perWorker) / 10 - 1) * 500} ms)`,
  );
});
