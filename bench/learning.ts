/**
 * The learning section (issue 9): nothing configured in axios-rate-guard, against real servers whose limits
 * it must find: nginx limit_req (no rate-limit header, a static Retry-After), express-rate-limit in its three
 * header drafts, @fastify/rate-limit, the Clover emulator (limits named only in 429s) and Genesys (429s that
 * name nothing, Retry-After on half of them). Beside it plain axios, axios-retry, and Bottleneck told the
 * limits (the anchor). Counts and curves come from the servers. See bench/README.md, "Learning".
 *
 * The servers and the runner are exported for __tests__/learning/targets.http.test.ts.
 */
import { setMaxListeners } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AxiosError, AxiosResponse } from 'axios';
import Bottleneck from 'bottleneck';
import express from 'express';
import { rateLimit } from 'express-rate-limit';
import Fastify from 'fastify';
import fastifyRateLimit from '@fastify/rate-limit';
import { startEmulator, type EmulatorOptions } from '../emulator';
import { NginxServer } from '../__tests__/helpers/nginx';
import { MAX_RETRIES } from './config';
import { axiosRetryContender } from './contenders/axios-retry';
import { createInstances, requestConfig } from './contenders/instances';
import { plainAxios } from './contenders/plain';
import { axiosRateGuard } from './contenders/rate-guard';
import { lastArrivalBound } from './ideal';
import { classify, describeError } from './metrics';
import { seconds, table } from './report/format';
import { medianIndex, spread } from './spread';
import type { Machine } from './report/machine';
import { arrivalsDuringPause } from './pauses';
import type { BenchRequest, ClientOutcome, Contender, KnownLimits } from './types';

/** A contender gets this multiple of the ideal time per run; what is pending then is aborted and lost. */
export const LEARNING_CAP_IDEAL_MULTIPLE = 2;
/** axios-rate-guard runs each target this many times (the anchors once): its cells are median and min–max. */
export const LEARNING_GUARD_RUNS = 3;
/** Curve resolution (accepted arrivals per bin). */
export const CURVE_BIN_MS = 250;
/** The app's client_id in every learning run. */
const CLIENT_ID = 'learning-app';

// ---------------------------------------------------------------------------------------------------------
// Servers

/** One arrival at the server, ms after the burst was fired (the server's own clock). */
export interface Arrival {
  t: number;
  status: number;
  path: string;
  /** The limit a vendor emulator's 429 named. */
  limit?: string;
  /** The emulators' own verdict: the app or token was paused by an earlier 429 when this arrived. */
  duringPause?: boolean;
  /** For a 429 of the other servers: the wait its Retry-After asked for (see ./pauses.ts). */
  retryAfterMs?: number;
}

/** A started server: `mark()` just before the burst is fired; arrivals are then counted from it. */
export interface TargetServer {
  url: string;
  mark(): void;
  /** Every request the server saw since mark(), in arrival order. */
  arrivals(): Promise<Arrival[]>;
  close(): Promise<void>;
}

/** How Bottleneck, told the limits, is set up for a server: the anchor. */
export type AnchorShape =
  /**
   * nginx's leaky bucket. Bottleneck's token-bucket recipe (reservoirIncreaseInterval) adds on its heartbeat
   * and restarts the interval from each heartbeat, so it runs slow; `minTime: 1000 / rate` paces exactly and
   * leaves the burst unused ((burst + 1) / rate later than ideal: 300 ms here).
   */
  | { kind: 'bucket'; rate: number; burst: number }
  /** A quota per window (Bottleneck's reservoir refresh), for the app and/or each token, with concurrency. */
  | { kind: 'window'; app?: WindowLimit; token?: WindowLimit };

interface WindowLimit {
  requests: number;
  perMs: number;
  concurrent?: number;
}

export interface LearningTarget {
  id: string;
  title: string;
  /** The server's limits, in words. */
  limits: string;
  requests: BenchRequest[];
  /** Fastest completion with the limits known (first burst at once, then the rate), and why. */
  ideal: { ms: number; why: string };
  /** Fastest completion for a learner that must pay the waits its unavoidable 429s impose, and why. */
  floor: { ms: number; why: string };
  /** The issue's targets for axios-rate-guard with nothing configured. */
  target: { maxRatio: number; max429: number | 'per-distinct-limit' | 'report' };
  /** Record the accepted-per-second curve in the report. */
  curve: boolean;
  anchor: AnchorShape;
  /** Contenders beside the guard and the anchor (plain axios, axios-retry). */
  baselines: readonly Contender[];
  start(): Promise<TargetServer>;
}

function requests(count: number, tokens: number, prefix = '/items'): BenchRequest[] {
  return Array.from({ length: count }, (_, index) => ({
    index,
    instance: 0,
    method: 'get' as const,
    path: `${prefix}/${index}`,
    token: `token-${index % tokens}`,
  }));
}

export const NGINX = { rate: 20, burst: 5, retryAfterSec: 1 } as const;

/** nginx: an idle key admits burst + 1 at once, then one per 1/rate (measured: __tests__/helpers/nginx.test.ts). */
function nginxIdealMs(n: number): number {
  return (Math.max(0, n - (NGINX.burst + 1)) * 1000) / NGINX.rate;
}

export function nginxTarget(count: number, baselines: readonly Contender[]): LearningTarget {
  const first = NGINX.burst + 1;
  const ideal = nginxIdealMs(count);
  // Two 429s: the first burst's, and the probe's, which a learner needs (a bucket's rate cannot be told
  // from below: every rate under it is accepted alike). Each Retry-After empties the bucket, so each of the
  // three stretches starts with `first` at once.
  const floor = 2 * NGINX.retryAfterSec * 1000 + nginxIdealMs(count - 2 * first);
  return {
    id: `nginx-${count}`,
    title: `${count} GETs at once to nginx limit_req`,
    limits: `limit_req ${NGINX.rate} r/s per x-client-id, burst=${NGINX.burst} nodelay; 429 with Retry-After: ${NGINX.retryAfterSec}, no rate-limit header`,
    requests: requests(count, 1),
    ideal: { ms: ideal, why: `${first} at once, then one per ${1000 / NGINX.rate} ms: (${count} − ${first}) × ${1000 / NGINX.rate} ms` },
    floor: {
      ms: floor,
      why:
        `nothing tells of the limit before a 429: at best the first ${first} go at once and the next is refused; its ` +
        `Retry-After (${NGINX.retryAfterSec} s) empties the bucket. Its rate cannot be told from below (every rate under it ` +
        `is accepted alike), so a second 429 past it is needed, and its Retry-After; each stretch starts with ${first} at once: ` +
        `2 × ${NGINX.retryAfterSec} s + (${count} − 3 × ${first}) × ${1000 / NGINX.rate} ms ` +
        `(one 429 and the rate guessed right would be ${seconds(NGINX.retryAfterSec * 1000 + nginxIdealMs(count - first))})`,
    },
    target: { maxRatio: 1.3, max429: 4 },
    curve: true,
    anchor: { kind: 'bucket', rate: NGINX.rate, burst: NGINX.burst },
    baselines,
    async start() {
      const server = await NginxServer.start({ rate: NGINX.rate, burst: NGINX.burst, retryAfter: NGINX.retryAfterSec });
      let markedAt = Date.now(); // nginx logs wall-clock ms
      return {
        url: server.url,
        mark: () => (markedAt = Date.now()),
        async arrivals() {
          const entries = await server.settle({ filter: { sinceMs: markedAt - 5 }, quietMs: 100 });
          return entries
            .map((e) => ({ t: e.arrivedAt - markedAt, status: e.status, path: e.uri, ...retryAfter(e.status, NGINX.retryAfterSec) }))
            .sort((a, b) => a.t - b.t);
        },
        close: () => server.stop(),
      };
    },
  };
}

/** Quota servers: requests per window, fixed windows from a key's first request. */
export const QUOTA = { limit: 50, windowMs: 1000, requests: 200 } as const;

function quotaIdeal(): { ms: number; why: string } {
  const windows = Math.ceil(QUOTA.requests / QUOTA.limit) - 1;
  return { ms: windows * QUOTA.windowMs, why: `${QUOTA.limit} at once, then ${QUOTA.limit} per window: ${windows} × ${QUOTA.windowMs} ms` };
}

/** A 429's Retry-After (seconds, as sent) as the wait it asks for. */
function retryAfter(status: number, header: unknown): Pick<Arrival, 'retryAfterMs'> {
  const value = Number(header);
  return status === 429 && header !== undefined && Number.isFinite(value) ? { retryAfterMs: value * 1000 } : {};
}

function listening(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
}

/** express-rate-limit with `standardHeaders`; `legacyHeaders` adds X-RateLimit-* (its default, off in its docs' example). */
export function expressTarget(standardHeaders: 'draft-6' | 'draft-7' | 'draft-8', baselines: readonly Contender[], legacyHeaders = false): LearningTarget {
  const ideal = quotaIdeal();
  const headers = legacyHeaders ? `${standardHeaders} and legacy X-RateLimit-*` : standardHeaders;
  return {
    id: `express-${standardHeaders}${legacyHeaders ? '-legacy' : ''}`,
    title: `${QUOTA.requests} GETs at once to express-rate-limit (${headers} headers)`,
    limits: `${QUOTA.limit} per ${QUOTA.windowMs} ms per client, advertised on every answer (${headers}); Retry-After on 429s`,
    requests: requests(QUOTA.requests, 1),
    ideal,
    floor: { ms: ideal.ms, why: 'the quota is advertised on every answer: no 429 is needed to learn it' },
    target: { maxRatio: 1.06, max429: 0 },
    curve: false,
    anchor: { kind: 'window', app: { requests: QUOTA.limit, perMs: QUOTA.windowMs } },
    baselines,
    async start() {
      const log: Array<{ at: number; status: number; path: string; retryAfter: unknown }> = [];
      const app = express();
      app.use((req, res, next) => {
        const at = performance.now();
        res.once('finish', () => log.push({ at, status: res.statusCode, path: req.originalUrl, retryAfter: res.getHeader('retry-after') }));
        next();
      });
      app.use(rateLimit({ windowMs: QUOTA.windowMs, limit: QUOTA.limit, standardHeaders, legacyHeaders }));
      app.use((_req, res) => {
        res.send('ok');
      });
      const server = app.listen(0, '127.0.0.1');
      await listening(server);
      let markedAt = performance.now();
      return {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        mark: () => (markedAt = performance.now()),
        arrivals: async () =>
          log
            .filter((e) => e.at >= markedAt)
            .map((e) => ({ t: e.at - markedAt, status: e.status, path: e.path, ...retryAfter(e.status, e.retryAfter) }))
            .sort((a, b) => a.t - b.t),
        async close() {
          server.closeAllConnections();
          await new Promise((resolve) => server.close(resolve));
        },
      };
    },
  };
}

export function fastifyTarget(baselines: readonly Contender[]): LearningTarget {
  const ideal = quotaIdeal();
  return {
    id: 'fastify',
    title: `${QUOTA.requests} GETs at once to @fastify/rate-limit`,
    limits: `${QUOTA.limit} per ${QUOTA.windowMs} ms per client, advertised on every answer (x-ratelimit-*); Retry-After on 429s`,
    requests: requests(QUOTA.requests, 1),
    ideal,
    floor: { ms: ideal.ms, why: 'the quota is advertised on every answer: no 429 is needed to learn it' },
    target: { maxRatio: 1.06, max429: 0 },
    curve: false,
    anchor: { kind: 'window', app: { requests: QUOTA.limit, perMs: QUOTA.windowMs } },
    baselines,
    async start() {
      const log: Array<{ at: number; status: number; path: string; retryAfter: unknown }> = [];
      const arrivedAt = new WeakMap<object, number>();
      const fastify = Fastify();
      fastify.addHook('onRequest', async (request) => {
        arrivedAt.set(request, performance.now());
      });
      fastify.addHook('onResponse', async (request, reply) => {
        log.push({ at: arrivedAt.get(request) ?? performance.now(), status: reply.statusCode, path: request.url, retryAfter: reply.getHeader('retry-after') });
      });
      await fastify.register(fastifyRateLimit, { max: QUOTA.limit, timeWindow: QUOTA.windowMs });
      fastify.get('/*', async () => 'ok');
      await fastify.listen({ port: 0, host: '127.0.0.1' });
      let markedAt = performance.now();
      return {
        url: `http://127.0.0.1:${(fastify.server.address() as AddressInfo).port}`,
        mark: () => (markedAt = performance.now()),
        arrivals: async () =>
          log
            .filter((e) => e.at >= markedAt)
            .map((e) => ({ t: e.at - markedAt, status: e.status, path: e.path, ...retryAfter(e.status, e.retryAfter) }))
            .sort((a, b) => a.t - b.t),
        close: () => fastify.close(),
      };
    },
  };
}

function emulatorServer(options: EmulatorOptions): () => Promise<TargetServer> {
  return async () => {
    const emulator = await startEmulator(options);
    return {
      url: emulator.url,
      mark: () => emulator.reset(), // the emulator's clock restarts at 0
      arrivals: async () =>
        emulator.stats().timeline.map((e) => ({ t: e.t, status: e.status, path: e.path, limit: e.limit, duringPause: e.duringPause })),
      close: () => emulator.close(),
    };
  };
}

/** Clover's four limits, as in the pacing burst: 50/s and 10 in flight per app, 16/s and 5 per token. */
export const CLOVER = { requests: 300, tokens: 3, windowMs: 1000, appRate: 50, tokenRate: 16, appConcurrent: 10, tokenConcurrent: 5, latencyMs: 25 } as const;

export function cloverTarget(baselines: readonly Contender[]): LearningTarget {
  const c = CLOVER;
  const perToken = c.requests / c.tokens;
  const token = lastArrivalBound(perToken, c.tokenRate, c.windowMs, c.tokenConcurrent, c.latencyMs);
  const app = lastArrivalBound(c.requests, c.appRate, c.windowMs, c.appConcurrent, c.latencyMs);
  const idealMs = Math.max(token.rate, token.concurrency, app.rate, app.concurrency) + c.latencyMs;
  // The token rate is named only in a 429. With at most tokenConcurrent in flight, the (rate + 1)-th request
  // of a token arrives no sooner than ⌊rate / concurrent⌋ answers after its first; its Retry-After (one
  // window) then ends that long after the window the ideal waits for anyway.
  const lateMs = Math.floor(c.tokenRate / c.tokenConcurrent) * c.latencyMs;
  return {
    id: 'clover',
    title: `${c.requests} GETs at once across ${c.tokens} tokens to the Clover emulator`,
    limits: `app ${c.appRate}/s and ${c.appConcurrent} in flight, token ${c.tokenRate}/s and ${c.tokenConcurrent} in flight, ${c.latencyMs} ms answers; limits named only in 429s (Retry-After: 1, penalty)`,
    requests: requests(c.requests, c.tokens, '/v3/orders'),
    ideal: { ms: idealMs, why: `bench/ideal.ts: token rate, ${Math.floor((perToken - 1) / c.tokenRate)} windows + one answer` },
    floor: {
      ms: idealMs + lateMs,
      why:
        `one 429 is unavoidable (the token rate is named only in a 429); at best it is the ${c.tokenRate + 1}th request of a token, ` +
        `${Math.floor(c.tokenRate / c.tokenConcurrent)} answers (${lateMs} ms) into its window, and its 1 s pause ends that much after the window would`,
    },
    target: { maxRatio: 1.2, max429: 'per-distinct-limit' },
    curve: false,
    anchor: {
      kind: 'window',
      app: { requests: c.appRate, perMs: c.windowMs, concurrent: c.appConcurrent },
      token: { requests: c.tokenRate, perMs: c.windowMs, concurrent: c.tokenConcurrent },
    },
    baselines,
    start: emulatorServer({ vendor: 'clover', windowMs: c.windowMs, appRate: c.appRate, tokenRate: c.tokenRate, appConcurrent: c.appConcurrent, tokenConcurrent: c.tokenConcurrent, latencyMs: c.latencyMs }),
  };
}

/** Genesys: 16 per second per token, 429s naming nothing, Retry-After on every other one (the body always says). */
export const GENESYS = { requests: 300, tokens: 3, windowMs: 1000, tokenRate: 16, latencyMs: 20, omitRetryAfterEvery: 2 } as const;

function genesysTarget(baselines: readonly Contender[]): LearningTarget {
  const g = GENESYS;
  const perToken = g.requests / g.tokens;
  const idealMs = lastArrivalBound(perToken, g.tokenRate, g.windowMs, Number.MAX_SAFE_INTEGER, g.latencyMs).rate + g.latencyMs;
  return {
    id: 'genesys',
    title: `${g.requests} GETs at once across ${g.tokens} tokens to the Genesys emulator`,
    limits: `token ${g.tokenRate}/s, ${g.latencyMs} ms answers; 429 body "Retry the request in [1] seconds", Retry-After header on every ${g.omitRetryAfterEvery}nd 429 only, penalty`,
    requests: requests(g.requests, g.tokens, '/api/v2/users'),
    ideal: { ms: idealMs, why: `${g.tokenRate} per token at once, then ${g.tokenRate} per window: ${Math.floor((perToken - 1) / g.tokenRate)} windows + one answer` },
    floor: {
      ms: idealMs,
      why: 'a 429 per token is unavoidable (nothing is named), at best on its 17th request at once; its 1 s pause ends when the window would anyway',
    },
    target: { maxRatio: 1.22, max429: 'report' },
    curve: false,
    anchor: { kind: 'window', token: { requests: g.tokenRate, perMs: g.windowMs } },
    baselines,
    start: emulatorServer({ vendor: 'genesys', windowMs: g.windowMs, tokenRate: g.tokenRate, latencyMs: g.latencyMs, omitRetryAfterEvery: g.omitRetryAfterEvery }),
  };
}

/** Every learning target, in report order. axios-retry runs where a run takes seconds, not where it only adds minutes. */
export function learningTargets(): LearningTarget[] {
  const both = [plainAxios, axiosRetryContender];
  return [
    nginxTarget(150, both),
    nginxTarget(300, [plainAxios]),
    expressTarget('draft-8', both),
    expressTarget('draft-7', both),
    expressTarget('draft-6', both),
    fastifyTarget(both),
    cloverTarget(both),
    genesysTarget(both),
  ];
}

// ---------------------------------------------------------------------------------------------------------
// The anchor: Bottleneck told the limits

const GENESYS_BODY_DELAY = /Retry the request in \[(\d+)\] seconds/;

/** The wait a 429 asks for: Retry-After (seconds), else the Genesys body, else 1 s (every server here says 1 s). */
function askedWaitMs(response: AxiosResponse | undefined): number {
  const header = Number(response?.headers['retry-after']);
  if (Number.isFinite(header) && header >= 0 && response?.headers['retry-after'] !== undefined) return header * 1000;
  const data: unknown = response?.data;
  const text = typeof data === 'string' ? data : JSON.stringify(data ?? '');
  const fromBody = GENESYS_BODY_DELAY.exec(text);
  return fromBody ? Number(fromBody[1]) * 1000 : 1000;
}

/**
 * Bottleneck changes a reservoir only on its heartbeat (250 ms by default), so a refresh could come up to
 * 250 ms late: the heartbeat is shortened.
 */
const WINDOW_HEARTBEAT_MS = 10;
/**
 * Bottleneck's clock starts when the limiter is created, the server's at the first arrival, which comes tens
 * of ms later (cold connections; 48 at once to Genesys arrive up to ~60 ms after), while the next window's
 * requests arrive at once on warm ones: with exactly the limits, the first refresh draws 429s, and against
 * the emulators' penalty Bottleneck never recovers (every release lands in the pause). The anchor keeps a
 * margin, as a user who knows the limits would: each window 100 ms longer.
 */
const WINDOW_MARGIN_MS = 100;

function windowOptions(limit: WindowLimit): Bottleneck.ConstructorOptions {
  return {
    reservoir: limit.requests,
    reservoirRefreshAmount: limit.requests,
    reservoirRefreshInterval: limit.perMs + WINDOW_MARGIN_MS,
    heartbeatInterval: WINDOW_HEARTBEAT_MS,
    maxConcurrent: limit.concurrent ?? null,
  };
}

/**
 * Bottleneck told the server's limits, as its documentation shows: a reservoir refreshed per window (per
 * app, and per token in a Group), or for nginx `minTime` at the rate. A 429 is retried through the same
 * limiters (first in line) after the wait it asks for, up to MAX_RETRIES.
 */
export function bottleneckAnchor(shape: AnchorShape): Contender {
  const describe = (): string =>
    shape.kind === 'bucket'
      ? `minTime ${1000 / shape.rate} ms (the rate; the burst is left unused); 429 → retry after Retry-After`
      : [shape.app && `app reservoir ${shape.app.requests}/${shape.app.perMs + WINDOW_MARGIN_MS} ms${shape.app.concurrent ? `, ${shape.app.concurrent} in flight` : ''}`,
          shape.token && `Group per token ${shape.token.requests}/${shape.token.perMs + WINDOW_MARGIN_MS} ms${shape.token.concurrent ? `, ${shape.token.concurrent} in flight` : ''}`]
          .filter(Boolean)
          .join('; ') + `; heartbeat ${WINDOW_HEARTBEAT_MS} ms; 429 → retry after Retry-After (or the body)`;
  return {
    id: 'bottleneck-known',
    name: 'Bottleneck, limits known',
    describe,
    create(setup) {
      const apis = createInstances(setup);
      const retry = new Bottleneck();
      const app =
        shape.kind === 'bucket'
          ? new Bottleneck({ minTime: 1000 / shape.rate })
          : new Bottleneck(shape.app ? windowOptions(shape.app) : {});
      const tokens = shape.kind === 'window' && shape.token ? new Bottleneck.Group(windowOptions(shape.token)) : undefined;
      retry.on('failed', (error: AxiosError, info) => {
        if (error.response?.status !== 429 || info.retryCount >= MAX_RETRIES) return undefined;
        return askedWaitMs(error.response);
      });
      return {
        send(request, signal) {
          let attempts = 0;
          return retry.schedule(() => {
            const options: Bottleneck.JobOptions = attempts++ > 0 ? { priority: 0 } : {};
            const call = () => app.schedule(options, () => apis[request.instance].request(requestConfig(request, signal)) as Promise<AxiosResponse>);
            return tokens ? tokens.key(request.token).schedule(options, call) : call();
          });
        },
        close() {
          const limiters = [retry, app, ...(tokens?.limiters().map((pair) => pair.limiter) ?? [])];
          for (const limiter of limiters) limiter.stop({ dropWaitingJobs: true }).catch(() => undefined);
        },
      };
    },
  };
}

/** axios-rate-guard with nothing configured: `rateGuard(api, { clientId })`. */
export const guardUnconfigured: Contender = {
  ...axiosRateGuard,
  name: 'axios-rate-guard, nothing configured',
  describe: () => 'rateGuard(api, { clientId }): no limits; learns them',
  create: (setup) => axiosRateGuard.create({ ...setup, limits: undefined }),
};

// ---------------------------------------------------------------------------------------------------------
// One run

export interface LearningMetrics {
  requests: number;
  /** Requests whose path the server accepted at least once. */
  completed: number;
  lost: number;
  duplicates: number;
  /** 429s the server sent. */
  rejected429: number;
  /** Distinct limits the 429s named (vendor emulators only). */
  limitsNamed: string[];
  /** Arrivals while the server had asked for a pause (./pauses.ts), and of those, the ones sent after the client could know. */
  arrivedDuringPause: number;
  lateDuringPause: number;
  firstArrivalMs: number;
  lastAcceptedMs: number;
  /** Client clock: firing the burst to the last request settled (or the cap). */
  elapsedMs: number;
  timedOut: boolean;
  idealRatio: number;
  floorRatio: number;
  outcomes: Record<ClientOutcome, number>;
  errors: Record<string, number>;
}

export interface Curve {
  binMs: number;
  /** Accepted / refused arrivals per bin, from the burst. */
  accepted: number[];
  rejected: number[];
}

export interface LearningRun {
  target: string;
  contender: string;
  metrics: LearningMetrics;
  curve: Curve;
  /** The first 429s: "arrival ms since the burst" and the limit it named, if any (at most 20 kept). */
  rejections: string[];
}

export function curveOf(arrivals: readonly Arrival[], binMs = CURVE_BIN_MS): Curve {
  const accepted: number[] = [];
  const rejected: number[] = [];
  for (const a of arrivals) {
    const bin = Math.max(0, Math.floor(a.t / binMs));
    while (accepted.length <= bin) {
      accepted.push(0);
      rejected.push(0);
    }
    if (a.status === 429) rejected[bin]++;
    else if (a.status >= 200 && a.status < 300) accepted[bin]++;
  }
  return { binMs, accepted, rejected };
}

/**
 * Runs one target through one contender against a fresh server: fires every request at once, as
 * bench/execute.ts does. `limits`: what the contender is told (undefined: nothing).
 */
export async function runLearning(
  target: LearningTarget,
  contender: Contender,
  capMs = LEARNING_CAP_IDEAL_MULTIPLE * target.ideal.ms,
  limits?: KnownLimits,
): Promise<LearningRun> {
  const server = await target.start();
  const client = contender.create({ baseURL: server.url, clientId: CLIENT_ID, instances: 1, limits });
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  const outcomeOf = new Array<ClientOutcome>(target.requests.length).fill('pending');
  const errors: Record<string, number> = {};
  let capTimer: NodeJS.Timeout | undefined;
  try {
    server.mark();
    const started = performance.now();
    let lastSettled = started;
    const all = Promise.all(
      target.requests.map((request) =>
        client.send(request, controller.signal).then(
          () => {
            outcomeOf[request.index] = 'ok';
            lastSettled = performance.now();
          },
          (error: unknown) => {
            const outcome = classify(error);
            outcomeOf[request.index] = outcome;
            const described = describeError(outcome, error);
            if (described !== undefined) errors[described] = (errors[described] ?? 0) + 1;
            lastSettled = performance.now();
          },
        ),
      ),
    );
    const cap = new Promise<'cap'>((resolve) => (capTimer = setTimeout(() => resolve('cap'), capMs)));
    const timedOut = (await Promise.race([all.then(() => 'done' as const), cap])) === 'cap';
    const elapsedMs = timedOut ? capMs : lastSettled - started;
    const outcomes = [...outcomeOf];
    controller.abort();
    await client.close();
    const arrivals = await server.arrivals();
    return { target: target.id, contender: contender.id, ...measure(target, arrivals, { elapsedMs, timedOut, outcomes, errors }) };
  } finally {
    clearTimeout(capTimer);
    controller.abort();
    await server.close();
  }
}

function measure(
  target: LearningTarget,
  arrivals: readonly Arrival[],
  client: { elapsedMs: number; timedOut: boolean; outcomes: ClientOutcome[]; errors: Record<string, number> },
): Omit<LearningRun, 'target' | 'contender'> {
  const acceptedByPath = new Map<string, number>();
  const refused = arrivals.filter((a) => a.status === 429);
  for (const a of arrivals) if (a.status >= 200 && a.status < 300) acceptedByPath.set(a.path, (acceptedByPath.get(a.path) ?? 0) + 1);
  let completed = 0;
  let duplicates = 0;
  for (const request of target.requests) {
    const n = acceptedByPath.get(request.path) ?? 0;
    if (n > 0) completed++;
    if (n > 1) duplicates += n - 1;
  }
  const outcomes: Record<ClientOutcome, number> = { ok: 0, 'http-429': 0, 'rate-guard-error': 0, canceled: 0, 'other-error': 0, pending: 0 };
  for (const o of client.outcomes) outcomes[o]++;
  const accepted = arrivals.filter((a) => a.status >= 200 && a.status < 300);
  const paused = arrivalsDuringPause(arrivals);
  return {
    metrics: {
      requests: target.requests.length,
      completed,
      lost: target.requests.length - completed,
      duplicates,
      rejected429: refused.length,
      limitsNamed: [...new Set(refused.map((a) => a.limit).filter((l): l is string => l !== undefined))],
      arrivedDuringPause: paused.during,
      lateDuringPause: paused.late,
      firstArrivalMs: arrivals[0]?.t ?? 0,
      lastAcceptedMs: accepted.length > 0 ? accepted[accepted.length - 1].t : 0,
      elapsedMs: client.elapsedMs,
      timedOut: client.timedOut,
      idealRatio: client.elapsedMs / target.ideal.ms,
      floorRatio: client.elapsedMs / target.floor.ms,
      outcomes,
      errors: client.errors,
    },
    curve: curveOf(arrivals),
    rejections: refused.slice(0, 20).map((a) => `${a.t.toFixed(1)} ms${a.limit ? ` ${a.limit}` : ''}`),
  };
}

// ---------------------------------------------------------------------------------------------------------
// The section

export interface LearningTargetResult {
  target: Pick<LearningTarget, 'id' | 'title' | 'limits' | 'ideal' | 'floor' | 'target'>;
  /** Contender id → how it is configured. */
  configured: Record<string, string>;
  /** One run per contender; axios-rate-guard's is its median run. */
  runs: LearningRun[];
  /** Every run of axios-rate-guard (LEARNING_GUARD_RUNS). */
  guardRuns: LearningRun[];
  /** The ideal's curve (first burst at once, then the rate), for the nginx targets. */
  idealCurve?: Curve;
}

export interface LearningResult {
  targets: LearningTargetResult[];
  durationMs: number;
}

/** nginx's ideal arrivals: burst + 1 at 0, then one per 1/rate. */
function nginxIdealArrivals(count: number): Arrival[] {
  return Array.from({ length: count }, (_, i) => ({
    t: i <= NGINX.burst ? 0 : ((i - NGINX.burst) * 1000) / NGINX.rate,
    status: 200,
    path: `/items/${i}`,
  }));
}

export function contendersFor(target: LearningTarget): Contender[] {
  return [guardUnconfigured, bottleneckAnchor(target.anchor), ...target.baselines];
}

/** Runs every target through its contenders; `onRun` sees each run as it finishes. */
export async function runLearningSection(onRun: (target: LearningTarget, run: LearningRun) => void = () => undefined): Promise<LearningResult> {
  const started = performance.now();
  const targets: LearningTargetResult[] = [];
  for (const target of learningTargets()) {
    const contenders = contendersFor(target);
    const runs: LearningRun[] = [];
    const guardRuns: LearningRun[] = [];
    for (const contender of contenders) {
      const repeats = contender === guardUnconfigured ? LEARNING_GUARD_RUNS : 1;
      const own: LearningRun[] = [];
      for (let i = 0; i < repeats; i++) {
        const run = await runLearning(target, contender);
        onRun(target, run);
        own.push(run);
      }
      if (contender === guardUnconfigured) guardRuns.push(...own);
      runs.push(own[medianIndex(own, ratioKey)]);
    }
    targets.push({
      target: { id: target.id, title: target.title, limits: target.limits, ideal: target.ideal, floor: target.floor, target: target.target },
      configured: Object.fromEntries(contenders.map((c) => [c.id, c.describe(undefined)])),
      runs,
      guardRuns,
      idealCurve: target.curve ? curveOf(nginxIdealArrivals(target.requests.length)) : undefined,
    });
  }
  return { targets, durationMs: performance.now() - started };
}

// ---------------------------------------------------------------------------------------------------------
// Report

const NAMES: Record<string, string> = {
  'rate-guard': 'axios-rate-guard (nothing configured)',
  'bottleneck-known': 'Bottleneck, limits known',
  'axios-retry': 'axios-retry',
  'plain-axios': 'plain axios',
};

const nameOf = (id: string): string => NAMES[id] ?? id;

function timeText(m: LearningMetrics): string {
  return m.timedOut ? `cut off at ${seconds(m.elapsedMs)}` : seconds(m.elapsedMs);
}

function ratioText(m: LearningMetrics): string {
  return m.lost > 0 ? '—' : `${m.idealRatio.toFixed(2)}×`;
}

/** One progress line per run. */
export function learningProgressLine(run: LearningRun): string {
  const m = run.metrics;
  return (
    `  ${nameOf(run.contender).padEnd(38)} ${timeText(m).padStart(17)}  ${ratioText(m).padStart(6)} ideal  ` +
    `429s ${String(m.rejected429).padStart(4)}  lost ${String(m.lost).padStart(3)}  dup ${m.duplicates}` +
    (m.limitsNamed.length > 0 ? `  limits named: ${m.limitsNamed.join(', ')}` : '')
  );
}

/** A run that lost requests sorts after every complete one. */
const ratioKey = (run: LearningRun): number => (run.metrics.lost > 0 || run.metrics.timedOut ? Infinity : run.metrics.idealRatio);

/** "1.28× (1.26–1.31×)": the median of the guard's runs and their range; "—" once any lost requests. */
export function guardRatioText(result: LearningTargetResult): string {
  const ratios = spread(result.guardRuns.map(ratioKey));
  if (!Number.isFinite(ratios.max)) return `— (${result.guardRuns.filter((r) => !Number.isFinite(ratioKey(r))).length} of ${result.guardRuns.length} runs lost requests)`;
  return ratios.min === ratios.max ? `${ratios.median.toFixed(2)}×` : `${ratios.median.toFixed(2)}× (${ratios.min.toFixed(2)}–${ratios.max.toFixed(2)}×)`;
}

/** "4" or "2–3": the guard's 429s over its runs. */
export function guard429Text(result: LearningTargetResult): string {
  const counts = spread(result.guardRuns.map((r) => r.metrics.rejected429));
  return counts.min === counts.max ? String(counts.min) : `${counts.min}–${counts.max}`;
}

/**
 * The issue's targets for the guard, judged on all its runs: the median within the ratio, and in every run
 * nothing lost and no more 429s than allowed.
 */
export function guardVerdict(result: LearningTargetResult): { pass: boolean; text: string } | undefined {
  const runs = result.guardRuns;
  if (runs.length === 0) return undefined;
  const { maxRatio, max429 } = result.target.target;
  const allowed429 = (m: LearningMetrics): number => (max429 === 'per-distinct-limit' ? m.limitsNamed.length : max429 === 'report' ? Infinity : max429);
  const median = spread(runs.map(ratioKey)).median;
  const lost = runs.reduce((sum, r) => sum + r.metrics.lost, 0);
  const pass = median <= maxRatio && runs.every((r) => r.metrics.lost === 0 && !r.metrics.timedOut && r.metrics.rejected429 <= allowed429(r.metrics));
  const named = [...new Set(runs.flatMap((r) => r.metrics.limitsNamed))];
  const limitText = max429 === 'per-distinct-limit' ? `≤ 1 per distinct limit (${named.length} named)` : max429 === 'report' ? 'reported' : `≤ ${max429}`;
  return {
    pass,
    text:
      `${pass ? 'PASS' : 'FAIL'}  ${result.target.id}: ${guardRatioText(result)} ideal, median of ${runs.length} (target ≤ ${maxRatio.toFixed(2)}×, ` +
      `floor ${(result.target.floor.ms / result.target.ideal.ms).toFixed(2)}×), 429s ${guard429Text(result)} (${limitText}), lost ${lost}`,
  };
}

/** The summary table: one row per target, one cell per contender (lost / 429s / × ideal). */
export function learningSummaryTable(result: LearningResult): string {
  const ids = ['rate-guard', 'bottleneck-known', 'axios-retry', 'plain-axios'];
  const header = ['target', 'ideal', 'floor', 'guard target', ...ids.map((id) => `${nameOf(id)}: lost / 429s / × ideal`)];
  const rows = result.targets.map((t) => {
    const cell = (id: string): string => {
      if (id === guardUnconfigured.id && t.guardRuns.length > 0) {
        return `${t.guardRuns.reduce((sum, r) => sum + r.metrics.lost, 0)} / ${guard429Text(t)} / ${guardRatioText(t)}`;
      }
      const run = t.runs.find((r) => r.contender === id);
      if (!run) return 'not run';
      const m = run.metrics;
      return `${m.lost} / ${m.rejected429} / ${m.timedOut ? 'cut off' : ratioText(m)}`;
    };
    const max429 = t.target.target.max429;
    return [
      t.target.id,
      seconds(t.target.ideal.ms),
      `${seconds(t.target.floor.ms)} (${(t.target.floor.ms / t.target.ideal.ms).toFixed(2)}×)`,
      `≤ ${t.target.target.maxRatio.toFixed(2)}×, 429s ${max429 === 'per-distinct-limit' ? '≤ 1 per limit' : max429 === 'report' ? 'counted' : `≤ ${max429}`}`,
      ...ids.map(cell),
    ];
  });
  return table(header, rows);
}

const SPARKS = ' ▁▂▃▄▅▆▇█';

function sparkline(values: readonly number[], max: number): string {
  return values.map((v) => SPARKS[v <= 0 ? 0 : Math.max(1, Math.min(8, Math.round((v / max) * 8)))]).join('');
}

/** Accepted per CURVE_BIN_MS as sparklines, and per second as numbers, one row per contender and the ideal. */
export function curveText(result: LearningTargetResult): string {
  const rows: Array<[string, Curve]> = [];
  if (result.idealCurve) rows.push(['ideal (limits known)', result.idealCurve]);
  for (const run of result.runs) rows.push([nameOf(run.contender), run.curve]);
  const max = Math.max(1, ...rows.flatMap(([, c]) => c.accepted));
  const perSecond = (c: Curve): number[] => {
    const per = 1000 / c.binMs;
    return Array.from({ length: Math.ceil(c.accepted.length / per) }, (_, s) => c.accepted.slice(s * per, (s + 1) * per).reduce((a, b) => a + b, 0));
  };
  const refusedPerSecond = (c: Curve): number[] => {
    const per = 1000 / c.binMs;
    return Array.from({ length: Math.ceil(c.rejected.length / per) }, (_, s) => c.rejected.slice(s * per, (s + 1) * per).reduce((a, b) => a + b, 0));
  };
  const width = Math.max(...rows.map(([name]) => name.length));
  const seconds = Math.max(...rows.map(([, c]) => Math.ceil((c.accepted.length * c.binMs) / 1000)));
  const lines = [`accepted per ${CURVE_BIN_MS} ms at the server (█ = ${max}), then accepted (429s) per second:`];
  for (const [name, c] of rows) lines.push(`  ${name.padEnd(width)} |${sparkline(c.accepted, max)}|`);
  lines.push('', `  ${'second'.padEnd(width)} ${Array.from({ length: seconds }, (_, i) => String(i).padStart(8)).join('')}`);
  for (const [name, c] of rows) {
    const acc = perSecond(c);
    const rej = refusedPerSecond(c);
    lines.push(`  ${name.padEnd(width)} ${acc.map((a, i) => (rej[i] ? `${a}(${rej[i]})` : String(a)).padStart(8)).join('')}`);
  }
  return lines.join('\n');
}

/** bench/results/learning.md. */
export function learningDocument(host: Machine, result: LearningResult): string {
  const verdicts = result.targets.map(guardVerdict).filter((v): v is { pass: boolean; text: string } => v !== undefined);
  const sections = result.targets.map((t) => {
    const lines = [
      `### ${t.target.id}: ${t.target.title}`,
      '',
      `Server: ${t.target.limits}.`,
      '',
      `- ideal ${seconds(t.target.ideal.ms)}: ${t.target.ideal.why};`,
      `- floor ${seconds(t.target.floor.ms)} (${(t.target.floor.ms / t.target.ideal.ms).toFixed(2)}× ideal): ${t.target.floor.why}.`,
      '',
      table(
        ['contender', 'configured', 'time', '× ideal', '× floor', '429s', 'lost', 'dup', 'first arrival'],
        [...t.guardRuns, ...t.runs.filter((r) => r.contender !== guardUnconfigured.id)].map((r, i) => {
          const m = r.metrics;
          return [
            r.contender === guardUnconfigured.id ? `${nameOf(r.contender)}, run ${i + 1}` : nameOf(r.contender),
            t.configured[r.contender] ?? '',
            timeText(m),
            ratioText(m),
            m.lost > 0 ? '—' : `${m.floorRatio.toFixed(2)}×`,
            String(m.rejected429) + (m.limitsNamed.length > 0 ? ` (${m.limitsNamed.join(', ')})` : ''),
            String(m.lost),
            String(m.duplicates),
            `${m.firstArrivalMs.toFixed(0)} ms`,
          ];
        }),
      ),
    ];
    if (t.idealCurve) lines.push('', '```text', curveText(t), '```');
    return lines.join('\n');
  });
  return [
    '# Learning unknown limits (`npm run bench -- --only learning`)',
    '',
    `${host.date} · ${host.cpu}, ${host.cores} cores · ${host.os} · Node ${host.node} · section took ${seconds(result.durationMs)}`,
    '',
    `axios-rate-guard with nothing configured (${LEARNING_GUARD_RUNS} runs per target: median and min–max), against servers whose limits it must find; Bottleneck told the`,
    'limits is the anchor (one run each, as axios-retry and plain axios). Counts and curves are the servers\' own (nginx\'s access log, the emulators\' stats,',
    `middleware in express and fastify). Each contender gets ${LEARNING_CAP_IDEAL_MULTIPLE}× the ideal time per run; what is pending then is lost.`,
    '',
    learningSummaryTable(result),
    '',
    'Targets for axios-rate-guard (issue 9):',
    '',
    ...verdicts.map((v) => `- ${v.text}`),
    '',
    ...sections.flatMap((s) => [s, '']),
  ].join('\n');
}

/** The README's bench:learning region: one row per target, from this run. */
export function learningReadmeRegion(host: Machine, result: LearningResult): string {
  const anchor = (t: LearningTargetResult): string => {
    const run = t.runs.find((r) => r.contender === 'bottleneck-known');
    return run ? (run.metrics.lost > 0 ? `lost ${run.metrics.lost}` : `${run.metrics.idealRatio.toFixed(2)}×`) : 'not run';
  };
  const rows = result.targets.map((t) => [
    `${t.target.id}: ${t.target.title}`,
    seconds(t.target.ideal.ms),
    `${(t.target.floor.ms / t.target.ideal.ms).toFixed(2)}×`,
    `${guard429Text(t)}, ${guardRatioText(t)}`,
    anchor(t),
    guardVerdict(t)?.pass ? 'met' : 'not met',
  ]);
  return [
    '<!-- generated by npm run bench, or npm run bench -- --only learning (bench/learning.ts); edits here are overwritten -->',
    `Taken ${host.date} on ${host.cpu}, ${host.cores} cores, Node ${host.node}; axios-rate-guard ${LEARNING_GUARD_RUNS} runs per target (median and min–max), the anchor one.`,
    '',
    table(['target', 'ideal, limits known', 'floor, told nothing', 'guard: 429s, × ideal', 'Bottleneck told the limits', 'issue 9 target'], rows),
  ].join('\n');
}

