import type { InternalAxiosRequestConfig } from 'axios';
import type { BackoffOptions, JitterOptions } from './backoff.js';
import type { RateGuardHooks } from './events.js';
import type { LimitLevel } from './parse-429.js';
import { isPriority, priorityClass, type Priority } from './priority.js';
import { resolveRoutes, type ResolvedRoute, type RouteSpec } from './routes.js';
import type { LimitSpec, RateLimitStore } from './store.js';
import { DEFAULT_THROTTLE_RULES, THROTTLE_RULE_NAMES, throttleDetector, type IsThrottle, type ThrottleDetector, type ThrottleRuleName } from './throttle-rules.js';

export interface RateGuardOptions extends RateGuardHooks {
  /**
   * The OAuth client_id the server counts by. Every guard with the same clientId and store shares the app
   * limits, pauses and learned values. @default a name unique to this guard (limits not shared)
   */
  clientId?: string;
  /** Limits to keep to. Omit a level or a field to leave it unlimited until the server names it. */
  limits?: {
    /** Shared by every request of the clientId (Clover: 50 per 1000 ms, 10 concurrent). */
    client?: LimitSpec;
    /** Per access token (Clover: 16 per 1000 ms, 5 concurrent). */
    token?: LimitSpec;
  };
  /**
   * The access token of a request, read after every request interceptor has run.
   * @default the `Authorization` header value. The token is hashed before use.
   */
  tokenKey?: (config: InternalAxiosRequestConfig) => string | undefined | null;
  /** Where limiter state lives. @default a process-wide MemoryStore shared by every guard */
  store?: RateLimitStore;
  /** Replays of one call after 429s before it fails with RetriesExhaustedError. @default 10 */
  maxRetries?: number;
  /** Longest pause the guard accepts, in ms (jitter included). @default 300_000 (5 min) */
  maxRetryAfterMs?: number;
  /** On a longer pause: `fail` at once with RetryAfterTooLongError, or `wait` it out. @default 'fail' */
  onLongRetryAfter?: 'fail' | 'wait';
  /** Most ms a call may spend waiting in the guard (queued, paused, replayed). @default undefined (none) */
  deadlineMs?: number;
  /** Most requests waiting on one key; more fail at once with QueueFullError. @default 10_000 */
  maxQueue?: number;
  /**
   * Endpoint buckets: requests matching a route also count against a bucket of their own, with its own
   * limits, beside the app and token keys (the first route that matches wins; see routes.ts). Buckets the
   * server names (GitHub's `x-ratelimit-resource`, Discord's `X-RateLimit-Bucket`) are learned without it.
   * @default none
   */
  routes?: readonly RouteSpec[];
  /**
   * Priority of this guard's requests when they wait on a key: `'high'`, `'normal'`, `'low'` or an integer
   * from -5 to 5 (high = 1, low = -1; numbers are rounded and kept in range). Higher goes first; while
   * several classes wait, each gets 4 times the slots of the class below it, so none starves. A request's
   * `rateGuard.priority` overrides it. @default 'normal'
   */
  priority?: Priority;
  /** Replay POST and PATCH after a 429 (a 429 means the request was not processed). @default true */
  retryNonIdempotent?: boolean;
  /** Statuses treated as "throttled: pause the key and replay". @default [429] */
  throttleStatuses?: readonly number[];
  /**
   * Built-in rules for throttles that are not a throttle status, each treated like a 429 (see throttle-rules.ts):
   * `github` (a 403 with `x-ratelimit-remaining: 0`, or a secondary-limit message), `graphql` (a `THROTTLED` or
   * `RATE_LIMITED` error in a 2xx body, answering a request that sent a body or a query string), `salesforce`
   * (a 403 `REQUEST_LIMIT_EXCEEDED`), `503` (a 503 with Retry-After; opt-in). `[]` turns them off.
   * @default ['github', 'graphql', 'salesforce']
   */
  throttleRules?: readonly ThrottleRuleName[];
  /**
   * Your own rule: true (or `{ delayMs, level }`) when a response of your API is a throttle. Called for every
   * response no throttle status or rule took, with the raw `data` the adapter returned. @default none
   */
  isThrottle?: IsThrottle;
  /**
   * Key that a throttle or an advertised quota applies to when the server does not say which limit it is.
   * @default 'client' (the safe choice: the whole app keeps to it)
   */
  unnamedLimitLevel?: LimitLevel;
  /**
   * With no limits configured, find them: start with one request in flight, double per round trip, halve
   * on a throttle that names no limit, grow slowly on success (AIMD), until the server names or advertises
   * them. Off: send freely until the first 429. @default true
   */
  adaptive?: boolean;
  /** Backoff when the server gives no delay. @default { baseMs: 1000, maxMs: 60_000 } */
  backoff?: Partial<BackoffOptions>;
  /** Random extra wait added to every pause. @default { ratio: 0.1, maxMs: 1000 } */
  jitter?: Partial<JitterOptions>;
  /**
   * Ms added to each rate window so that network jitter cannot put N+1 arrivals in one server window.
   * @default 0.5% of the window, at most 25 ms
   */
  windowMarginMs?: number;
}

/** Per-request overrides, under `config.rateGuard`. */
export interface RateGuardRequestOptions {
  /** Send this request untouched: no gate, no replay. */
  skip?: boolean;
  /** Identity of the token for this request (hashed), instead of `tokenKey` / Authorization. */
  token?: string;
  maxRetries?: number;
  maxRetryAfterMs?: number;
  onLongRetryAfter?: 'fail' | 'wait';
  deadlineMs?: number;
  retryNonIdempotent?: boolean;
  /** Priority of this request while it waits (see the guard's `priority` option). */
  priority?: Priority;
}

export interface ResolvedOptions {
  clientId: string;
  clientLimits: LimitSpec;
  tokenLimits: LimitSpec;
  /** The windowMarginMs option, if given (the store applies the default per window otherwise). */
  marginMs: number | undefined;
  tokenKey: ((config: InternalAxiosRequestConfig) => string | undefined | null) | undefined;
  store: RateLimitStore | undefined;
  maxRetries: number;
  maxRetryAfterMs: number;
  onLongRetryAfter: 'fail' | 'wait';
  deadlineMs: number | undefined;
  maxQueue: number;
  routes: readonly ResolvedRoute[] | undefined;
  /** The `priority` option as a class (priority.ts). */
  priority: number;
  retryNonIdempotent: boolean;
  throttleStatuses: ReadonlySet<number>;
  /** The throttle rules and `isThrottle` in one function; undefined when there are none. */
  detectThrottle: ThrottleDetector | undefined;
  unnamedLimitLevel: LimitLevel;
  adaptive: boolean;
  backoff: BackoffOptions;
  jitter: JitterOptions;
  hooks: RateGuardHooks;
}

export const DEFAULTS = {
  maxRetries: 10,
  maxRetryAfterMs: 300_000,
  onLongRetryAfter: 'fail',
  maxQueue: 10_000,
  retryNonIdempotent: true,
  throttleStatuses: [429],
  throttleRules: DEFAULT_THROTTLE_RULES,
  unnamedLimitLevel: 'client',
  adaptive: true,
  backoff: { baseMs: 1000, maxMs: 60_000 },
  jitter: { ratio: 0.1, maxMs: 1000 },
} as const;

let anonymousGuards = 0;

function expectNumber(name: string, value: unknown, min: number, integer: boolean): void {
  if (value === undefined) return;
  const ok = typeof value === 'number' && !Number.isNaN(value) && value >= min && (!integer || Number.isInteger(value) || value === Infinity);
  if (!ok) {
    throw new TypeError(`Expected \`${name}\` to be ${integer ? 'an integer' : 'a number'} from ${min} and up, got ${typeof value === 'string' ? `"${value}"` : String(value)}`);
  }
}

function checkLimits(name: string, limits: LimitSpec | undefined): LimitSpec {
  if (limits === undefined) return {};
  if (typeof limits !== 'object' || limits === null) throw new TypeError(`Expected \`${name}\` to be an object, got ${String(limits)}`);
  expectNumber(`${name}.requests`, limits.requests, 1, true);
  expectNumber(`${name}.perMs`, limits.perMs, 1, false);
  expectNumber(`${name}.concurrent`, limits.concurrent, 1, true);
  if (limits.perMs !== undefined && limits.requests === undefined) {
    throw new TypeError(`\`${name}.perMs\` was given without \`${name}.requests\``);
  }
  return { ...limits };
}

/** Merges `options` over {@link DEFAULTS} and validates them, with messages that say what was expected. */
export function normalizeOptions(options: RateGuardOptions = {}): ResolvedOptions {
  expectNumber('maxRetries', options.maxRetries, 0, true);
  expectNumber('maxRetryAfterMs', options.maxRetryAfterMs, 0, false);
  expectNumber('deadlineMs', options.deadlineMs, 1, false);
  expectNumber('maxQueue', options.maxQueue, 0, true);
  expectNumber('windowMarginMs', options.windowMarginMs, 0, false);
  expectNumber('backoff.baseMs', options.backoff?.baseMs, 0, false);
  expectNumber('backoff.maxMs', options.backoff?.maxMs, 0, false);
  expectNumber('jitter.ratio', options.jitter?.ratio, 0, false);
  expectNumber('jitter.maxMs', options.jitter?.maxMs, 0, false);
  if (options.clientId !== undefined && (typeof options.clientId !== 'string' || options.clientId === '')) {
    throw new TypeError(`Expected \`clientId\` to be a non-empty string, got ${String(options.clientId)}`);
  }
  if (options.onLongRetryAfter !== undefined && options.onLongRetryAfter !== 'fail' && options.onLongRetryAfter !== 'wait') {
    throw new TypeError(`Expected \`onLongRetryAfter\` to be 'fail' or 'wait', got ${String(options.onLongRetryAfter)}`);
  }
  if (options.tokenKey !== undefined && typeof options.tokenKey !== 'function') {
    throw new TypeError(`Expected \`tokenKey\` to be a function, got ${typeof options.tokenKey}`);
  }
  if (options.priority !== undefined && !isPriority(options.priority)) {
    throw new TypeError(`Expected \`priority\` to be 'high', 'normal', 'low' or a number, got ${JSON.stringify(options.priority)}`);
  }
  const rules = options.throttleRules ?? DEFAULT_THROTTLE_RULES;
  if (!Array.isArray(rules) || !rules.every((rule) => THROTTLE_RULE_NAMES.includes(rule))) {
    const names = THROTTLE_RULE_NAMES.map((n) => `'${n}'`).join(', ');
    throw new TypeError(`Expected \`throttleRules\` to be a list of ${names}, got ${JSON.stringify(options.throttleRules)}`);
  }
  if (options.isThrottle !== undefined && typeof options.isThrottle !== 'function') {
    throw new TypeError(`Expected \`isThrottle\` to be a function, got ${typeof options.isThrottle}`);
  }
  const clientLimits = checkLimits('limits.client', options.limits?.client);
  const tokenLimits = checkLimits('limits.token', options.limits?.token);
  return {
    clientId: options.clientId ?? `axios-rate-guard#${++anonymousGuards}`,
    clientLimits,
    tokenLimits,
    marginMs: options.windowMarginMs,
    tokenKey: options.tokenKey,
    store: options.store,
    maxRetries: options.maxRetries ?? DEFAULTS.maxRetries,
    maxRetryAfterMs: options.maxRetryAfterMs ?? DEFAULTS.maxRetryAfterMs,
    onLongRetryAfter: options.onLongRetryAfter ?? DEFAULTS.onLongRetryAfter,
    deadlineMs: options.deadlineMs,
    maxQueue: options.maxQueue ?? DEFAULTS.maxQueue,
    priority: priorityClass(options.priority),
    routes: resolveRoutes(options.routes, checkLimits),
    retryNonIdempotent: options.retryNonIdempotent ?? DEFAULTS.retryNonIdempotent,
    throttleStatuses: new Set(options.throttleStatuses ?? DEFAULTS.throttleStatuses),
    detectThrottle: throttleDetector(rules, options.isThrottle),
    unnamedLimitLevel: options.unnamedLimitLevel ?? DEFAULTS.unnamedLimitLevel,
    adaptive: (options.adaptive ?? DEFAULTS.adaptive) && clientLimits.requests === undefined && clientLimits.concurrent === undefined && tokenLimits.requests === undefined && tokenLimits.concurrent === undefined,
    backoff: { ...DEFAULTS.backoff, ...options.backoff },
    jitter: { ...DEFAULTS.jitter, ...options.jitter },
    hooks: {
      onRateLimited: options.onRateLimited,
      onPause: options.onPause,
      onRetry: options.onRetry,
      onLimitLearned: options.onLimitLearned,
      onDebug: options.onDebug,
    },
  };
}
