/**
 * Against real rate limiters written by others (express-rate-limit in its three header modes,
 * @fastify/rate-limit) and the vendor emulator, with NO limits configured in the plugin: it must learn
 * them. Counts come from the servers; timings are printed for the closing report, not asserted.
 */
import express from 'express';
import { rateLimit } from 'express-rate-limit';
import Fastify from 'fastify';
import fastifyRateLimit from '@fastify/rate-limit';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { startEmulator } from '../../emulator';
import { guardedClient, lateArrivalsDuringPause } from './helpers';

jest.setTimeout(40_000);

const REQUESTS = 40;
const LIMIT = 10;
const WINDOW_MS = 1000;
/** The first LIMIT go at once, then LIMIT per window: the last can start after this long at best. */
const IDEAL_MS = (Math.ceil(REQUESTS / LIMIT) - 1) * WINDOW_MS;

interface Counts {
  accepted: number;
  rejected: number;
  byPath: Map<string, number>;
}

function counter(): Counts {
  return { accepted: 0, rejected: 0, byPath: new Map() };
}

async function runBurst(url: string, clientId: string) {
  const learned: string[] = [];
  const { api, guard } = guardedClient(url, { clientId, onLimitLearned: (e) => learned.push(`${e.kind} ${JSON.stringify(e.learned)}`) });
  const started = performance.now();
  const results = await Promise.allSettled(Array.from({ length: REQUESTS }, (_, i) => api.get(`/item/${i}`)));
  const elapsedMs = performance.now() - started;
  return { results, elapsedMs, learned, stats: await guard.stats() };
}

function report(name: string, counts: Counts, elapsedMs: number) {
  const ratio = elapsedMs / IDEAL_MS;
  console.log(`${name}: ${REQUESTS} requests, ${counts.rejected} 429s, ${Math.round(elapsedMs)} ms vs ideal ${IDEAL_MS} ms (${ratio.toFixed(2)}x)`);
}

function expectNoneLost(counts: Counts) {
  for (let i = 0; i < REQUESTS; i++) expect(counts.byPath.get(`/item/${i}`)).toBe(1);
}

describe.each(['draft-6', 'draft-7', 'draft-8'] as const)('express-rate-limit, standardHeaders %s', (standardHeaders) => {
  let server: Server;
  let counts: Counts;

  beforeEach(async () => {
    counts = counter();
    const app = express();
    app.use((req, res, next) => {
      res.on('finish', () => {
        if (res.statusCode === 429) counts.rejected++;
        else {
          counts.accepted++;
          counts.byPath.set(req.path, (counts.byPath.get(req.path) ?? 0) + 1);
        }
      });
      next();
    });
    app.use(rateLimit({ windowMs: WINDOW_MS, limit: LIMIT, standardHeaders, legacyHeaders: false }));
    app.get('/item/:n', (_req, res) => {
      res.send('ok');
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('learns the advertised quota and completes the burst with no 429', async () => {
    const { port } = server.address() as AddressInfo;
    const { results, elapsedMs, learned } = await runBurst(`http://127.0.0.1:${port}`, `express-${standardHeaders}`);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expectNoneLost(counts);
    expect(counts.rejected).toBe(0);
    if (standardHeaders !== 'draft-6' || learned.length > 0) expect(learned.length).toBeGreaterThan(0);
    report(`express-rate-limit ${standardHeaders}`, counts, elapsedMs);
  });
});

describe('@fastify/rate-limit', () => {
  it('keeps to the advertised remaining/reset and completes the burst with no 429', async () => {
    const counts = counter();
    const fastify = Fastify();
    fastify.addHook('onResponse', async (request, reply) => {
      if (reply.statusCode === 429) counts.rejected++;
      else {
        counts.accepted++;
        const path = request.url;
        counts.byPath.set(path, (counts.byPath.get(path) ?? 0) + 1);
      }
    });
    await fastify.register(fastifyRateLimit, { max: LIMIT, timeWindow: WINDOW_MS });
    fastify.get('/item/:n', async () => 'ok');
    await fastify.listen({ port: 0, host: '127.0.0.1' });
    try {
      const { port } = fastify.server.address() as AddressInfo;
      const { results, elapsedMs } = await runBurst(`http://127.0.0.1:${port}`, 'fastify');
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      expectNoneLost(counts);
      expect(counts.rejected).toBe(0);
      report('@fastify/rate-limit', counts, elapsedMs);
    } finally {
      await fastify.close();
    }
  });
});

describe('vendor emulator, limits not configured', () => {
  it('Clover: one throttle episode per limit it names, then keeps to the learned values', async () => {
    const emulator = await startEmulator({ vendor: 'clover', windowMs: WINDOW_MS, appRate: LIMIT, tokenRate: null, appConcurrent: 4, tokenConcurrent: null, latencyMs: 20 });
    try {
      const { api, guard } = guardedClient(emulator.url, { clientId: 'clover-learn' });
      const started = performance.now();
      const results = await Promise.allSettled(
        Array.from({ length: REQUESTS }, (_, i) => api.get(`/v3/orders/${i}`, { headers: { Authorization: `Bearer t${i % 4}` } })),
      );
      const elapsedMs = performance.now() - started;
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      const stats = emulator.stats();
      expect(stats.accepted).toBe(REQUESTS);
      // Each limit is hit in one episode at most: 429s of requests already on the wire with it are the same episode.
      const episodes = new Set(stats.timeline.filter((e) => e.status === 429 && !e.duringPause).map((e) => e.limit));
      expect([...episodes].length).toBeLessThanOrEqual(2);
      // Each limit costs one episode: its first 429 (no limit is crossed twice), and the 429s of requests
      // already on the wire with it, which arrive within a round trip; none sent after the guard heard of it.
      expect(stats.timeline.filter((e) => e.status === 429 && !e.duringPause)).toHaveLength(episodes.size);
      expect(lateArrivalsDuringPause(stats.timeline, 100)).toEqual([]);
      // The app's concurrency is learned when crossed; AIMD crosses it only while concurrency is what holds the
      // key back (here the rate may bind first, and then no request needs a fifth slot).
      const app = (await guard.stats()).keys.find((k) => k.level === 'client');
      if (episodes.has('crossTokenConcurrentLimit')) expect(app?.learned).toMatchObject({ concurrent: 4 });
      expect(stats.maxInFlightPerApp).toBeLessThanOrEqual(4);
      console.log(
        `emulator clover (unconfigured): ${REQUESTS} requests, ${stats.rejected429} 429s in ${episodes.size} episodes ` +
          `(${[...episodes].join(', ')}), ${Math.round(elapsedMs)} ms vs ideal ${IDEAL_MS} ms (${(elapsedMs / IDEAL_MS).toFixed(2)}x)`,
      );
    } finally {
      await emulator.close();
    }
  });
});
