/**
 * npm run demo: starts the vendor emulator on 127.0.0.1 with Clover's limits (50/s and 10 in flight per
 * app, 16/s and 5 in flight per token, penalty for early requests) and sends a burst through the plugin:
 * first with the limits configured, then with nothing configured (the plugin learns them from 429s).
 */
import axios from 'axios';
import { startEmulator, type EmulatorStats } from '../emulator';
import { MemoryStore, rateGuard, type RateGuard } from '../src';

const REQUESTS = 300;
const TOKENS = 6;
const APP_RATE = 50;

interface RunSummary {
  throttled: number;
  lost: number;
  failed: number;
  ratio: number;
  maxPerWindow: number;
  maxInFlight: number;
}

async function run(title: string, configured: boolean): Promise<RunSummary> {
  const emulator = await startEmulator({ vendor: 'clover', latencyMs: 30 });
  const store = new MemoryStore();
  let pauses = 0;
  const limits = configured
    ? { client: { requests: 50, perMs: 1000, concurrent: 10 }, token: { requests: 16, perMs: 1000, concurrent: 5 } }
    : undefined;
  // Two axios instances of the same app: they share the app's limits through the store.
  const guards: RateGuard[] = [];
  const apis = [0, 1].map(() => {
    const api = axios.create({ baseURL: emulator.url, headers: { 'x-client-id': 'demo-app' } });
    guards.push(rateGuard(api, { clientId: 'demo-app', store, limits, onPause: () => pauses++ }));
    return api;
  });

  console.log(`\n${title}`);
  let done = 0;
  let failed = 0;
  const started = performance.now();
  const progress = setInterval(async () => {
    const stats = await guards[0].stats();
    const app = stats.keys.find((k) => k.level === 'client');
    console.log(
      `  ${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s  done ${String(done).padStart(3)}/${REQUESTS}` +
        `  in flight ${app?.inFlight ?? 0}  waiting ${app?.queued ?? 0}  server 429s ${emulator.stats().rejected429}`,
    );
  }, 1000);

  await Promise.all(
    Array.from({ length: REQUESTS }, (_, i) =>
      apis[i % 2]
        .get(`/v3/merchants/m${i % TOKENS}/orders/${i}`, { headers: { Authorization: `Bearer demo-token-${i % TOKENS}` } })
        .then(
          () => done++,
          () => failed++,
        ),
    ),
  );
  clearInterval(progress);
  const seconds = (performance.now() - started) / 1000;
  const server: EmulatorStats = emulator.stats();
  const learned = (await guards[0].stats()).keys.find((k) => k.level === 'client')?.learned;
  console.log(`  requests ${REQUESTS}: ${done} succeeded, ${failed} failed, ${REQUESTS - server.accepted} lost at the server`);
  console.log(`  429s from the server ${server.rejected429}, pauses ${pauses}, arrivals during a pause ${server.arrivedDuringPause}`);
  // The first APP_RATE may start at once, then APP_RATE per second: the last one can start no earlier than this.
  const idealSeconds = (REQUESTS - APP_RATE) / APP_RATE;
  console.log(
    `  completed in ${seconds.toFixed(2)} s; the app limit lets the last request start at ${idealSeconds.toFixed(2)} s at best ` +
      `(${(seconds / idealSeconds).toFixed(2)}x ideal, ${((server.accepted - APP_RATE) / seconds).toFixed(1)} req/s after the first burst vs ${APP_RATE}/s)`,
  );
  console.log(
    `  server saw at most ${server.maxInWindowPerApp} per second per app (limit 50), ${server.maxInWindowPerToken} per token (16), ` +
      `${server.maxInFlightPerApp} in flight per app (10), ${server.maxInFlightPerToken} per token (5)`,
  );
  if (!configured) console.log(`  learned app limits: ${JSON.stringify(learned)}`);
  await emulator.close();
  return {
    throttled: server.rejected429,
    lost: REQUESTS - server.accepted,
    failed,
    ratio: seconds / idealSeconds,
    maxPerWindow: server.maxInWindowPerApp,
    maxInFlight: server.maxInFlightPerApp,
  };
}

async function main(): Promise<void> {
  const known = await run('1. Limits configured (Clover: 50/s, 16/s per token, 10 and 5 in flight)', true);
  const learned = await run('2. Nothing configured: the plugin learns the limits from the 429s', false);

  // The promise of part 1, judged by the server's own counts: no 429, nothing lost, never over a limit.
  const kept = known.throttled === 0 && known.lost === 0 && known.failed === 0 && known.maxPerWindow <= APP_RATE && known.maxInFlight <= 10;
  console.log('\nSummary (as the server counted)');
  console.log(
    `  limits configured:  ${known.throttled} 429s, ${known.lost} lost, at most ${known.maxPerWindow}/${APP_RATE} per second and ` +
      `${known.maxInFlight}/10 in flight, ${known.ratio.toFixed(2)}x ideal: ${kept ? 'promise kept (0 429s)' : 'PROMISE BROKEN'}`,
  );
  console.log(
    `  nothing configured: ${learned.throttled} 429s while learning, ${learned.lost} lost, ${learned.ratio.toFixed(2)}x ideal`,
  );
  if (!kept) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
