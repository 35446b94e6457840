import { getAdapter } from 'axios';
import type { AxiosAdapter, AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import { cancellation, onCancel } from './cancel.js';
import {
  DeadlineExceededError,
  NotReplayableError,
  QueueFullError,
  RetriesExhaustedError,
  RetryAfterTooLongError,
  type RateLimitError,
  type RateLimitErrorDetails,
} from './errors.js';
import { emit } from './events.js';
import { hashToken } from './hash.js';
import type { ResolvedOptions } from './options.js';
import { parseThrottle, readHeader } from './parse-429.js';
import { readRateLimitHeaders } from './rate-limit-headers.js';
import { isPromise, type Scheduler, type WaitFailure } from './scheduler.js';
import type { KeySpec, ObserveOutcome, RateLimitStore } from './store.js';

/** Marks our wrapper and remembers what it wraps, so a re-sent config is never wrapped twice. */
const WRAPPED = Symbol.for('axios-rate-guard.inner-adapter');
type GuardedAdapter = AxiosAdapter & { [WRAPPED]?: InternalAxiosRequestConfig['adapter'] };

const IDEMPOTENT = new Set(['get', 'head', 'options', 'put', 'delete', 'trace']);
const BROWSER_ADAPTERS = ['xhr', 'http', 'fetch'];

/** Counters of one guard. */
export interface GuardCounters {
  calls: number;
  attempts: number;
  throttled: number;
  replays: number;
  failures: number;
}

export interface GuardContext {
  readonly options: ResolvedOptions;
  readonly store: RateLimitStore;
  readonly scheduler: Scheduler;
  readonly clientKey: KeySpec;
  readonly counters: GuardCounters;
}

let callSeq = 0;

type ThrottledError = { response?: AxiosResponse };

function isStreamBody(data: unknown): boolean {
  if (!data || typeof data !== 'object') return false;
  if (typeof (data as { pipe?: unknown }).pipe === 'function') return true;
  return typeof ReadableStream !== 'undefined' && data instanceof ReadableStream;
}

function urlForEvents(config: InternalAxiosRequestConfig): string {
  const url = `${config.baseURL && !/^[a-z][a-z\d+.-]*:/i.test(config.url ?? '') ? config.baseURL.replace(/\/+$/, '') + '/' + (config.url ?? '').replace(/^\/+/, '') : config.url ?? ''}`;
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/** The keys a request counts against: the client key, then its token key when it carries a token. */
function keysFor(ctx: GuardContext, config: InternalAxiosRequestConfig): readonly KeySpec[] {
  const { options } = ctx;
  const explicit = config.rateGuard?.token;
  const token = explicit ?? (options.tokenKey ? options.tokenKey(config) : readHeader(config.headers, 'authorization'));
  if (!token) return [ctx.clientKey];
  return [
    ctx.clientKey,
    {
      id: `${options.clientId}|t:${hashToken(token)}`,
      level: 'token',
      limits: options.tokenLimits,
      marginMs: options.marginMs,
      adaptive: options.adaptive,
    },
  ];
}

/**
 * Wraps the adapter a request would have used. Gating and replaying below the interceptors means a replay
 * reuses the exact config axios built (body already serialised once, AxiosHeaders and agents intact), the
 * token is read after every request interceptor ran, and the user's response interceptors see one outcome.
 */
export function guardAdapter(ctx: GuardContext, adapter: InternalAxiosRequestConfig['adapter']): AxiosAdapter {
  const inner = (adapter as GuardedAdapter | undefined)?.[WRAPPED] ?? adapter;
  const guarded: GuardedAdapter = (config) => runGuarded(ctx, inner, config);
  guarded[WRAPPED] = inner;
  return guarded;
}

async function runGuarded(
  ctx: GuardContext,
  innerAdapter: InternalAxiosRequestConfig['adapter'],
  config: InternalAxiosRequestConfig,
): Promise<AxiosResponse> {
  const { options, store, scheduler, counters } = ctx;
  const adapter = getAdapter(innerAdapter ?? BROWSER_ADAPTERS, config) as AxiosAdapter;
  const perRequest = config.rateGuard ?? {};
  const keys = keysFor(ctx, config);
  const clock = store.clock;
  const startedAt = clock.now();
  const maxRetries = perRequest.maxRetries ?? options.maxRetries;
  const deadlineMs = perRequest.deadlineMs ?? options.deadlineMs;
  const maxRetryAfterMs = perRequest.maxRetryAfterMs ?? options.maxRetryAfterMs;
  const waitLongPauses = (perRequest.onLongRetryAfter ?? options.onLongRetryAfter) === 'wait';
  const seq = ++callSeq;
  let attempts = 0;
  let lastError: unknown;
  counters.calls++;

  const details = (key: string): RateLimitErrorDetails => {
    const spec = keys.find((k) => k.id === key) ?? keys[0];
    return { key: spec.id, level: spec.level, limit: spec.limits, attempts, waitedMs: clock.now() - startedAt, config, cause: lastError };
  };
  const fail = (failure: WaitFailure): Error => {
    if (failure.kind === 'canceled') return failure.reason as Error;
    if (failure.kind === 'store-error') return failure.error instanceof Error ? failure.error : new Error(String(failure.error));
    counters.failures++;
    let error: RateLimitError;
    if (failure.kind === 'queue-full') error = new QueueFullError(failure.maxQueue, details(failure.key));
    else if (failure.kind === 'deadline') error = new DeadlineExceededError(deadlineMs ?? 0, details(failure.key));
    else error = new RetryAfterTooLongError(failure.retryInMs, maxRetryAfterMs, details(failure.key));
    return error;
  };
  const waitOptions = {
    seq,
    replay: false,
    deadlineAt: deadlineMs === undefined ? Infinity : startedAt + deadlineMs,
    maxPauseMs: waitLongPauses ? Infinity : maxRetryAfterMs,
    maxQueue: options.maxQueue,
    onCancel: (cancel: (reason: unknown) => void) => onCancel(config, cancel),
    fail,
  };

  for (;;) {
    const granted = scheduler.acquire(keys, waitOptions);
    const { lease } = isPromise(granted) ? await granted : granted;
    const sentAt = clock.now();
    attempts++;
    counters.attempts++;

    let response: AxiosResponse | undefined;
    let error: unknown;
    try {
      response = await adapter(config);
    } catch (caught) {
      error = caught;
    }
    const answer = response ?? (error as ThrottledError | undefined)?.response;
    const throttled = answer !== undefined && options.throttleStatuses.has(answer.status);
    let pause: { pausedMs: number; key: KeySpec } | undefined;
    // The slot goes back on every path, even if an asynchronous store fails below.
    try {
      if (answer) {
        const observed = observeQuota(ctx, keys, answer, sentAt);
        if (observed) await observed;
      }
      // Pause the key before giving the slot back, or the release would wake a waiter into the 429.
      if (throttled) pause = await onThrottled(ctx, config, keys, answer, sentAt, attempts);
    } finally {
      void scheduler.release(keys, throttled ? 'throttled' : answer ? 'ok' : 'failed', lease);
    }
    if (!throttled || !pause) {
      if (response) return response;
      throw error;
    }

    counters.throttled++;
    lastError = error ?? lastError;
    const { pausedMs, key: throttledKey } = pause;
    const cancelled = cancellation(config);
    if (cancelled) throw cancelled;
    if (attempts > maxRetries) {
      // A user whose validateStatus accepts 429 gets the response, as axios would have given it.
      if (response) return response;
      counters.failures++;
      throw new RetriesExhaustedError(maxRetries, details(throttledKey.id));
    }
    const method = (config.method ?? 'get').toLowerCase();
    if (!IDEMPOTENT.has(method) && !(perRequest.retryNonIdempotent ?? options.retryNonIdempotent)) {
      counters.failures++;
      throw new NotReplayableError('non-idempotent', details(throttledKey.id));
    }
    if (isStreamBody(config.data)) {
      counters.failures++;
      throw new NotReplayableError('stream-body', details(throttledKey.id));
    }
    counters.replays++;
    waitOptions.replay = true;
    emit(options.hooks.onRetry, {
      key: throttledKey.id,
      level: throttledKey.level,
      method,
      url: urlForEvents(config),
      attempt: attempts + 1,
      delayMs: pausedMs,
    });
  }
}

/**
 * Reads the quota a response advertises (any status) and hands it to the store. Returns a promise only
 * when the store is asynchronous; most responses carry no rate-limit header and cost one scan of names.
 */
function observeQuota(ctx: GuardContext, keys: readonly KeySpec[], response: AxiosResponse, sentAt: number): Promise<void> | undefined {
  const { options, store } = ctx;
  const reading = readRateLimitHeaders(response.headers, store.clock.wallNow());
  if (!reading) return undefined;
  const target = (options.unnamedLimitLevel === 'token' && keys[1]) || keys[0];
  if (reading.rejected.length > 0) {
    emit(options.hooks.onDebug, { message: 'ignored unusable rate-limit headers', key: target.id, values: reading.rejected });
  }
  const policy = reading.policy ? { requests: reading.policy.requests, perMs: reading.policy.windowMs } : undefined;
  if (!policy && reading.remaining === undefined) return undefined;
  const pending = store.observe(target, { sentAt, policy, limit: reading.limit, remaining: reading.remaining, resetMs: reading.resetMs });
  const report = (outcome: ObserveOutcome) => {
    if (outcome.learned) {
      emit(options.hooks.onLimitLearned, {
        key: target.id,
        level: target.level,
        kind: 'rate',
        named: policy?.requests,
        from: 'headers',
        learned: outcome.learned,
      });
    }
    if (outcome.heldMs !== undefined) {
      ctx.scheduler.paused(target.id);
      emit(options.hooks.onPause, { key: target.id, level: target.level, pauseMs: outcome.heldMs, source: 'quota', strikes: 0 });
    }
  };
  if (isPromise(pending)) return pending.then(report);
  report(pending);
  return undefined;
}

/** Reads the throttle, records it, learns the named limit and pauses the key. Returns the key and pause. */
async function onThrottled(
  ctx: GuardContext,
  config: InternalAxiosRequestConfig,
  keys: readonly KeySpec[],
  response: AxiosResponse,
  sentAt: number,
  attempt: number,
): Promise<{ key: KeySpec; pausedMs: number }> {
  const { options, store, scheduler } = ctx;
  const clock = store.clock;
  const { rejected, ...signal } = parseThrottle(response.headers, response.data, clock.wallNow());
  const level = signal.level ?? options.unnamedLimitLevel;
  const target = (level === 'token' && keys[1]) || keys[0];
  if (rejected.length > 0) {
    emit(options.hooks.onDebug, { message: 'ignored unusable rate-limit values', key: target.id, values: rejected });
  }

  const report = {
    sentAt,
    delayMs: signal.delayMs,
    named:
      signal.limit === undefined ? undefined : signal.kind === 'concurrency' ? { concurrent: signal.limit } : { requests: signal.limit },
    kind: signal.kind,
    backoff: options.backoff,
    jitter: options.jitter,
    random: clock.random(),
  };
  // The memory store answers synchronously: no await, so no other response can slip in before the pause.
  const pending = store.throttle(target, report);
  const outcome = isPromise(pending) ? await pending : pending;
  scheduler.paused(target.id);

  emit(options.hooks.onRateLimited, {
    key: target.id,
    level: target.level,
    status: response.status,
    method: (config.method ?? 'get').toUpperCase(),
    url: urlForEvents(config),
    attempt,
    signal,
    stale: outcome.stale,
  });
  if (outcome.learned) {
    emit(options.hooks.onLimitLearned, {
      key: target.id,
      level: target.level,
      kind: signal.kind ?? (outcome.learned.concurrent !== undefined ? 'concurrency' : 'rate'),
      named: signal.limit,
      from: 'throttle',
      learned: outcome.learned,
    });
  }
  if (!outcome.stale) {
    emit(options.hooks.onPause, {
      key: target.id,
      level: target.level,
      pauseMs: outcome.pausedMs,
      source: outcome.source === 'server' ? signal.delaySource ?? 'retry-after' : 'backoff',
      strikes: outcome.strikes,
    });
  }
  return { key: target, pausedMs: outcome.pausedMs };
}
