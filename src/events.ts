import type { LimitKind, LimitLevel, ThrottleSignal } from './parse-429.js';
import type { LearnedLimits } from './store.js';

/** Fields every event carries. Keys are hashed: a raw token never appears in an event. */
export interface KeyEvent {
  /** The key concerned, e.g. `my-app` or `my-app|t:9f2c…`. */
  key: string;
  level: LimitLevel;
}

/** A response was a throttle (a throttle status, or one of the throttle rules): what the server said about it. */
export interface RateLimitedEvent extends KeyEvent {
  status: number;
  method: string;
  /** Request URL without its query string. */
  url: string;
  /** Attempt of this call that was throttled, from 1. */
  attempt: number;
  signal: Omit<ThrottleSignal, 'rejected'>;
  /** True when the request had been sent before the key's current pause began (not a new episode). */
  stale: boolean;
}

/** A key was paused: nothing of it is sent until `pauseMs` have passed, then one probe goes first. */
export interface PauseEvent extends KeyEvent {
  pauseMs: number;
  /**
   * Where the delay came from: the server (`retry-after`, `genesys-body`, `ratelimit-reset`), `backoff`, or
   * `quota`: a response said no requests remain until the reset (no 429 involved).
   */
  source: NonNullable<ThrottleSignal['delaySource']> | 'backoff' | 'quota';
  /** Consecutive throttles of the key. */
  strikes: number;
  /**
   * With `source: 'quota'`, the quota that is spent when it is not the request quota, as the server names
   * it (OpenAI's `tokens`, Anthropic's `input-tokens`…), or GitHub's `x-ratelimit-resource`.
   */
  quota?: string;
}

/** A throttled call will be replayed once its key's pause has passed. */
export interface RetryEvent extends KeyEvent {
  method: string;
  url: string;
  /** The attempt about to be made, from 2. */
  attempt: number;
  /** Ms until the key's pause ends (at least). */
  delayMs: number;
}

/** The guard now enforces a limit it learned: named in a 429, advertised in headers, or found by AIMD. */
export interface LimitLearnedEvent extends KeyEvent {
  kind: LimitKind;
  /** The value named or advertised by the server; absent when AIMD found it. */
  named?: number;
  /** `throttle` (a 429 named it, or AIMD shrank on a 429) or `headers` (an advertised quota). */
  from: 'throttle' | 'headers';
  learned: LearnedLimits;
}

/** Something was ignored, e.g. a malformed Retry-After. */
export interface DebugEvent {
  message: string;
  key?: string;
  values?: string[];
}

/** Hooks. Each is called synchronously; an exception thrown by a hook is swallowed, never fails a request. */
export interface RateGuardHooks {
  onRateLimited?: (event: RateLimitedEvent) => void;
  onPause?: (event: PauseEvent) => void;
  onRetry?: (event: RetryEvent) => void;
  onLimitLearned?: (event: LimitLearnedEvent) => void;
  onDebug?: (event: DebugEvent) => void;
}

/** Calls a hook, isolating the request from the hook's failures. */
export function emit<E>(hook: ((event: E) => void) | undefined, event: E): void {
  if (!hook) return;
  try {
    hook(event);
  } catch {
    // A logging hook that throws must not turn a good response into a failure.
  }
}
