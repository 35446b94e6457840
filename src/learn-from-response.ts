import type { AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import { emit, type PauseEvent } from './events.js';
import type { GuardContext } from './guarded-adapter.js';
import { bucketOf, tokenKeyOf } from './request-keys.js';
import { parseThrottle, type ThrottleSignal } from './parse-429.js';
import { readRateLimitHeaders } from './rate-limit-headers.js';
import { isPromise } from './scheduler.js';
import type { KeySpec, ObserveOutcome, QuotaObservation } from './store.js';
import type { ThrottleVerdict } from './throttle-rules.js';

/** Request URL without its query string (which may carry secrets), for events. */
export function urlForEvents(config: InternalAxiosRequestConfig): string {
  const path = config.url ?? '';
  const url = config.baseURL && !/^[a-z][a-z\d+.-]*:/i.test(path) ? `${config.baseURL.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}` : path;
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/**
 * Reads the quota a response advertises (any status) and hands it to the store. Returns a promise only
 * when the store is asynchronous; most responses carry no rate-limit header and cost one scan of names.
 */
export function observeQuota(
  ctx: GuardContext,
  config: InternalAxiosRequestConfig,
  keys: readonly KeySpec[],
  response: AxiosResponse,
  sentAt: number,
): Promise<void> | undefined {
  const { options, store } = ctx;
  const reading = readRateLimitHeaders(response.headers, store.clock);
  if (!reading) return undefined;
  // An endpoint bucket's headers are the bucket's quota, not the app's (GitHub's search beside core).
  const bucket = bucketOf(ctx, config, keys, reading);
  const target = bucket ?? ((options.unnamedLimitLevel === 'token' && tokenKeyOf(keys)) || keys[0]);
  if (reading.rejected.length > 0) {
    emit(options.hooks.onDebug, { message: 'ignored unusable rate-limit headers', key: target.id, values: reading.rejected });
  }
  const policy = reading.policy ? { requests: reading.policy.requests, perMs: reading.policy.windowMs } : undefined;
  if (!policy && reading.remaining === undefined) return undefined;
  const observation: QuotaObservation = { sentAt, policy, limit: reading.limit, remaining: reading.remaining, resetMs: reading.resetMs };
  // A bucket the response just put its route in holds no slot of this request.
  if (bucket && !keys.includes(bucket)) observation.counted = false;
  if (reading.binding !== undefined) observation.otherQuota = true;
  const pending = store.observe(target, observation);
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
      const quota = reading.binding ?? reading.resource;
      const event: PauseEvent = { key: target.id, level: target.level, pauseMs: outcome.heldMs, source: 'quota', strikes: 0 };
      if (quota) event.quota = quota;
      emit(options.hooks.onPause, event);
    }
  };
  if (isPromise(pending)) return pending.then(report);
  report(pending);
  return undefined;
}

/**
 * What a throttle says, from the 429 parser, then the rule that recognised it (its wait replaces a reset
 * header's, never a Retry-After), then a quota the headers say is spent (OpenAI's tokens: until its reset).
 */
export function readThrottle(response: AxiosResponse, wallNow: number, verdict?: ThrottleVerdict): ThrottleSignal {
  const signal = parseThrottle(response.headers, response.data, wallNow);
  if (verdict) {
    signal.rule = verdict.rule;
    if (verdict.delayMs !== undefined && (signal.delayMs === undefined || signal.delaySource === 'ratelimit-reset')) {
      signal.delayMs = verdict.delayMs;
      signal.delaySource = verdict.delaySource ?? 'rule';
    }
    if (verdict.level && !signal.level) signal.level = verdict.level;
  }
  if (signal.delayMs === undefined) {
    const reading = readRateLimitHeaders(response.headers, wallNow);
    if (reading?.remaining === 0 && reading.resetMs !== undefined) {
      signal.delayMs = reading.resetMs;
      signal.delaySource = 'ratelimit-reset';
    }
  }
  return signal;
}

/** Reads the throttle, records it, learns the named limit and pauses the key. Returns the key and pause. */
export async function onThrottled(
  ctx: GuardContext,
  config: InternalAxiosRequestConfig,
  keys: readonly KeySpec[],
  response: AxiosResponse,
  sentAt: number,
  attempt: number,
  verdict?: ThrottleVerdict,
): Promise<{ key: KeySpec; pausedMs: number }> {
  const { options, store, scheduler } = ctx;
  const clock = store.clock;
  const { rejected, ...signal } = readThrottle(response, clock.wallNow(), verdict);
  // A throttle of an endpoint bucket pauses the bucket, unless the server says the limit was the app's
  // (Discord's `X-RateLimit-Scope: global`, `X-RateLimit-Global: true`) or names the level (Clover).
  const global = signal.scope === 'global';
  const bucket = global ? undefined : bucketOf(ctx, config, keys, readRateLimitHeaders(response.headers, clock));
  const level = global ? 'client' : signal.level ?? (bucket ? 'bucket' : options.unnamedLimitLevel);
  const target = (level === 'bucket' && bucket) || (level === 'token' && tokenKeyOf(keys)) || keys[0];
  if (rejected.length > 0) {
    emit(options.hooks.onDebug, { message: 'ignored unusable rate-limit values', key: target.id, values: rejected });
  }

  const report = {
    sentAt,
    delayMs: signal.delayMs,
    named:
      signal.limit === undefined ? undefined : signal.kind === 'concurrency' ? { concurrent: signal.limit } : { requests: signal.limit },
    // A token's named limit is the same for every token of the app (Clover): all of them take it now.
    tokensOf: target.level === 'token' && signal.limit !== undefined ? keys[0] : undefined,
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
