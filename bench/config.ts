import type { EmulatorOptions } from '../emulator';
import type { KnownLimits, LinkDelay, ServerLimits } from './types';

/**
 * Clover's limits, scaled so that the whole bench runs in a few minutes: 50 requests per second and 10 in
 * flight per app, 16 per second and 5 in flight per token, every accepted response held 20 ms.
 */
export const SERVER: ServerLimits = {
  windowMs: 1000,
  appRate: 50,
  tokenRate: 16,
  appConcurrent: 10,
  tokenConcurrent: 5,
  latencyMs: 20,
};

/** A fresh emulator is started with these for every contender × workload. */
export function emulatorOptions(server: ServerLimits = SERVER): EmulatorOptions {
  return { vendor: 'clover', ...server };
}

/** Exactly what `server` enforces, as a client library is told it. */
export function knownLimits(server: ServerLimits): KnownLimits {
  return {
    app: { requests: server.appRate, perMs: server.windowMs, concurrent: server.appConcurrent },
    token: { requests: server.tokenRate, perMs: server.windowMs, concurrent: server.tokenConcurrent },
  };
}

/** The limits handed to contenders in the "limits known" workloads: exactly what the server enforces. */
export const KNOWN: KnownLimits = knownLimits(SERVER);

/** Requests per workload, all fired at once. */
export const REQUESTS = 300;
/** Runs of each contender on each workload of the comparison (the median run is shown, with the min–max). */
export const COMPARISON_RUNS = 3;
/** Access tokens of the app; request i uses token i % TOKENS. */
export const TOKENS = 6;
/** The app's client_id, sent as `x-client-id`. */
export const CLIENT_ID = 'bench-app';
/** Replays allowed after 429s, the same for every contender that retries (axios-rate-guard's default). */
export const MAX_RETRIES = 10;
/**
 * Most time one contender may spend on one workload, as a multiple of the ideal time: what is still
 * pending then is aborted and counted lost. A client three times slower than the limits allow has failed
 * at its job anyway, and the cap keeps the whole bench within a few minutes.
 */
export const CAP_IDEAL_MULTIPLE = 3;
/**
 * The servers section (bench/servers.ts): every contender against nginx, express-rate-limit,
 * @fastify/rate-limit and the Clover emulator, each cell `runs` times; the median is reported with the
 * min–max. The cap is the comparison's (CAP_IDEAL_MULTIPLE × the server's ideal time).
 */
export const SERVERS = { runs: 3 } as const;
/** Chart resolution: accepted requests are binned by this, and plotted per trailing second. */
export const BIN_MS = 250;
/**
 * An arrival during a pause within this many ms of the 429 that began the pause was already on the wire
 * when the server answered, so no client could have held it back.
 */
export const ON_THE_WIRE_MS = 100;

/** Targets for axios-rate-guard (see bench/README.md). */
export const TARGETS = {
  /** The pacing burst's target too (PACING.targets.burstIdealRatio): one promise, one number. */
  knownIdealRatio: 1.05,
  unknownIdealRatio: 1.15,
  overheadRatio: 1.05,
  /** After eviction, the heap may keep at most this share of what 100,000 idle tokens added. */
  evictedHeapShare: 0.1,
} as const;

/**
 * The pacing section (bench/pacing.ts): axios-rate-guard alone, limits known and equal to the server's, on
 * three links. Every workload runs PACING.runs times against a fresh emulator; the median is judged.
 */
export const PACING = {
  runs: 3,
  /** Access tokens of the app in every pacing workload; request i uses token i % tokens. */
  tokens: 3,
  /** Burst: Clover's four limits on loopback, 25 ms latency. */
  burst: { requests: 300, server: { ...SERVER, latencyMs: 25 } satisfies ServerLimits },
  /**
   * Long round trip and slow endpoint: Clover's rates; concurrency limits high enough not to bind (at 48
   * per s and 2 s per answer, about 96 of the app and 32 of a token are in flight).
   */
  sustained: {
    requests: 900,
    server: { windowMs: 1000, appRate: 50, tokenRate: 16, appConcurrent: 100, tokenConcurrent: 50, latencyMs: 25 } satisfies ServerLimits,
  },
  /** A 300 ms round trip: 150 ms each way through the delay proxy. */
  longRoundTrip: { upstreamDelayMs: 150, downstreamDelayMs: 150 } satisfies LinkDelay,
  /** The slow endpoint: the server takes this long to answer each request. */
  slowLatencyMs: 2000,
  targets: {
    /** Burst: completion time over the ideal, at most. */
    burstIdealRatio: TARGETS.knownIdealRatio,
    /** Long round trip and slow endpoint: sustained accepted rate over the rate the limits allow, at least. */
    sustainedShare: 0.9,
  },
} as const;
