import type { BackoffOptions, JitterOptions } from './backoff.js';
import type { Clock } from './clock.js';
import type { LimitLevel } from './parse-429.js';

/** The app key of `clientId` and its tokens' keys (`<clientId>|t:<hash>`), not another app's. */
export function isKeyOfClient(key: string, clientId: string): boolean {
  return key === clientId || (key.startsWith(clientId) && key.charAt(clientId.length) === '|');
}

/** A value, or a promise of it: the memory store answers synchronously, a networked store asynchronously. */
export type MaybePromise<T> = T | Promise<T>;

/** Limits of one key. Every field is optional: a key may be limited by rate, by concurrency, or neither. */
export interface LimitSpec {
  /** At most this many requests start in any interval of `perMs`. */
  requests?: number;
  /** Window of `requests`, in ms. @default 1000 */
  perMs?: number;
  /** At most this many requests in flight at once. */
  concurrent?: number;
}

/** A key as the guard hands it to the store: an id (token part already hashed) and its configured limits. */
export interface KeySpec {
  readonly id: string;
  readonly level: LimitLevel;
  readonly limits: LimitSpec;
  /**
   * Ms added to each window so that network jitter cannot squeeze N+1 arrivals into one server window.
   * Undefined: 0.5% of the window, at most 25 ms.
   */
  readonly marginMs?: number;
  /**
   * Nothing is configured for this key: find its limits by AIMD (slow start from one request in flight,
   * halve on a throttle that names no limit, grow on success) until the server names or advertises them.
   */
  readonly adaptive?: boolean;
}

/** Limits learned from the server (Clover's X-RateLimit-{type} values, rate-limit headers) or by AIMD. */
export interface LearnedLimits {
  requests?: number;
  /** Window of `requests`; absent = the configured window (or 1000 ms). */
  perMs?: number;
  concurrent?: number;
}

/** What a store hands out with a grant and takes back on release; opaque to everyone else. */
export type Lease = unknown;

export type AcquireResult =
  | {
      readonly ok: true;
      readonly lease: Lease;
      /**
       * When the grant was made, on the store's clock, if the store read it for the decision: the guard
       * takes it as the request's send time instead of reading the clock again. Optional.
       */
      readonly grantedAt?: number;
    }
  | {
      readonly ok: false;
      /** The key that refused. */
      readonly key: string;
      /** `paused`: a wait the server imposed (a pause, or a spent quota until its reset). */
      readonly reason: 'paused' | 'rate' | 'concurrency';
      /**
       * Ms until that key could admit the request; undefined = until an in-flight request of it is answered
       * in this process. A store shared between processes must give a number: releases elsewhere wake nobody.
       */
      readonly retryInMs?: number;
    };

/**
 * How a request that held a slot ended: `ok` (any response but a throttle: resets the backoff), `throttled`
 * (a 429), `failed` (network error, cancel) or `unused` (granted, then cancelled before it was sent).
 */
export type ReleaseOutcome = 'ok' | 'throttled' | 'failed' | 'unused';

/** A 429 as the guard reports it to the store. */
export interface ThrottleReport {
  /** When the throttled request was granted, on this store's clock. */
  sentAt: number;
  /** The delay the server asked for, in ms, if it said. */
  delayMs?: number;
  /** A limit the server named for this key (Clover's X-RateLimit-{type} value). */
  named?: LearnedLimits;
  /**
   * With a limit `named` on a token key: the app key whose tokens all share it (Clover's per-token limits
   * are one value for every token of an app). The store keeps it on the app key, and each token of the
   * app that was not told a value of its own adopts it on its next acquire.
   */
  tokensOf?: KeySpec;
  /** The kind of limit the throttle was about, when known (GipoNext: rate), even without a value. */
  kind?: 'rate' | 'concurrency';
  /** Used when the server gave no delay. */
  backoff: BackoffOptions;
  jitter: JitterOptions;
  /** A number in [0, 1) for the jitter, drawn from the guard's clock. */
  random: number;
}

export interface ThrottleOutcome {
  /** Consecutive throttles of the key from requests sent after its last pause began. */
  strikes: number;
  /**
   * True when the throttled request had been sent before the key's current pause began: the server's
   * answer is old news, so it must not escalate the backoff or shrink limits a second time.
   */
  stale: boolean;
  /** Ms the key is now paused for (a pause is never shortened). */
  pausedMs: number;
  /** Where the pause length came from. */
  source: 'server' | 'backoff';
  /** The key's learned limits, when this throttle changed them. */
  learned?: LearnedLimits;
}

/** What a response's rate-limit headers said about a key (see readRateLimitHeaders). */
export interface QuotaObservation {
  /** When the request that carried them was granted, on the store's clock. */
  sentAt: number;
  /** Requests per window, when the server gave both. */
  policy?: { requests: number; perMs: number };
  /** The quota without its window. */
  limit?: number;
  /** Requests left until the reset. */
  remaining?: number;
  /** Ms until the reset. */
  resetMs?: number;
  /**
   * False when the request that carried them holds no slot on this key: it joined the key (an endpoint
   * bucket the response named) with its answer. Then every request in flight on the key was sent after it.
   * @default true
   */
  counted?: boolean;
  /**
   * True when `remaining` and `resetMs` are those of a quota other than the request quota (OpenAI's or
   * Anthropic's tokens, spent): the request window our first request opened says nothing of its reset.
   * @default false
   */
  otherQuota?: boolean;
}

export interface ObserveOutcome {
  /** The key's learned limits, when this observation changed them. */
  learned?: LearnedLimits;
  /** Ms the key is held because the quota is spent (remaining 0), if it is. */
  heldMs?: number;
  /** Ms between starts while the little that is left is spread until the reset, if it is. */
  spacingMs?: number;
}

export interface KeySnapshot {
  key: string;
  level: LimitLevel;
  inFlight: number;
  /** Ms left of the key's pause; 0 when not paused. */
  pausedForMs: number;
  /** Starts inside the current window. */
  usedInWindow: number;
  /** 429s seen on this key. */
  throttled: number;
  strikes: number;
  configured: LimitSpec;
  learned: LearnedLimits;
  /** What the guard enforces: the stricter of configured and learned. */
  effective: LimitSpec;
}

/**
 * Where limiter state lives. Each call is one atomic decision, so a store shared between processes (Redis)
 * can sit behind the same interface as the in-process default.
 */
export interface RateLimitStore {
  /** Time, timers and randomness for everything that uses this store. */
  readonly clock: Clock;
  /** Takes a start and an in-flight slot on every key at once, or none and says which key refused. */
  acquire(keys: readonly KeySpec[]): MaybePromise<AcquireResult>;
  /**
   * The request of a successful {@link acquire} was answered (or abandoned): gives back its slots.
   * `writtenAfterMs`: how long after the grant the request was handed to the operating system, when the
   * adapter could tell (see send-evidence.ts); it lets the window count the request from nearer its real
   * arrival. Without it the answer itself bounds the arrival.
   */
  release(keys: readonly KeySpec[], outcome: ReleaseOutcome, lease: Lease, writtenAfterMs?: number): MaybePromise<void>;
  /**
   * Optional: the request of `lease`, still in flight, was handed to the operating system `writtenAfterMs`
   * after its grant. A store that keeps it may count a request on schedule as arrived before its answer
   * (endpoints slower than the window); one that does not simply waits for the answer. Returns true when
   * it kept it (waiters of those keys may then look again), false when it did not.
   */
  written?(keys: readonly KeySpec[], lease: Lease, writtenAfterMs: number): boolean;
  /**
   * Records a 429 on `key`, in one atomic step: counts it, adopts a limit the server named, and pauses the key
   * for the server's delay or the backoff (plus jitter); after the pause one probe request goes first.
   */
  throttle(key: KeySpec, report: ThrottleReport): MaybePromise<ThrottleOutcome>;
  /**
   * Takes in what a response's rate-limit headers advertised: a policy becomes the learned rate (the
   * stricter of it and the configured one is enforced); remaining 0 holds the key until the reset; a low
   * remaining is spread over the time to the reset.
   */
  observe(key: KeySpec, observation: QuotaObservation): MaybePromise<ObserveOutcome>;
  /** State of the keys whose id starts with `prefix`. */
  snapshot(prefix: string): MaybePromise<KeySnapshot[]>;
  /**
   * Ends the pause and the quota hold of the app key `clientId` and of its tokens' keys, for an operator
   * who knows better than the server's answer (a misconfigured proxy, a bad deploy). Returns how many keys
   * were held. Optional for stores of others; both of ours have it.
   */
  resume?(clientId: string): MaybePromise<number>;
}
