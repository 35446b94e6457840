import type { RateGuardRequestOptions } from './options.js';

export { rateGuard, defaultStore } from './rate-guard.js';
export type { RateGuard, RateGuardStats, KeyStats, GuardableAxios } from './rate-guard.js';
export { DEFAULTS } from './options.js';
export type { RateGuardOptions, RateGuardRequestOptions } from './options.js';
export type { RouteSpec } from './routes.js';
export type { Priority, PriorityName } from './priority.js';
export {
  RateLimitError,
  isRateLimitError,
  RetriesExhaustedError,
  RetryAfterTooLongError,
  QueueFullError,
  DeadlineExceededError,
  NotReplayableError,
} from './errors.js';
export type { RateLimitErrorCode, RateLimitErrorDetails } from './errors.js';
export { MemoryStore } from './memory-store.js';
export type { MemoryStoreOptions } from './memory-store.js';
export type {
  RateLimitStore,
  KeySpec,
  LimitSpec,
  LearnedLimits,
  AcquireResult,
  ReleaseOutcome,
  ThrottleReport,
  ThrottleOutcome,
  KeySnapshot,
  MaybePromise,
} from './store.js';
export { systemClock } from './clock.js';
export type { Clock, TimerHandle } from './clock.js';
export { parseThrottle, parseRetryAfter } from './parse-429.js';
export { DEFAULT_THROTTLE_RULES } from './throttle-rules.js';
export type { IsThrottle, ThrottleRuleName } from './throttle-rules.js';
export type { ThrottleSignal, LimitLevel, LimitKind } from './parse-429.js';
export type {
  RateGuardHooks,
  RateLimitedEvent,
  PauseEvent,
  RetryEvent,
  LimitLearnedEvent,
  DebugEvent,
} from './events.js';
export type { BackoffOptions, JitterOptions } from './backoff.js';

declare module 'axios' {
  interface AxiosRequestConfig {
    /** axios-rate-guard options for this request. */
    rateGuard?: RateGuardRequestOptions;
  }
}
