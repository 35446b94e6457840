import type { LimitLevel } from './parse-429.js';

const BRAND = Symbol.for('axios-rate-guard.RateLimitError');

export type RateLimitErrorCode =
  | 'ERR_RATE_GUARD_RETRIES_EXHAUSTED'
  | 'ERR_RATE_GUARD_RETRY_AFTER_TOO_LONG'
  | 'ERR_RATE_GUARD_QUEUE_FULL'
  | 'ERR_RATE_GUARD_DEADLINE'
  | 'ERR_RATE_GUARD_BODY_NOT_REPLAYABLE'
  | 'ERR_RATE_GUARD_NOT_REPLAYED';

/** What every rate-guard error carries. Keys are hashed: a raw token never appears here. */
export interface RateLimitErrorDetails {
  /** The key that stopped the request, e.g. `my-app` or `my-app|t:9f2c…` (token part hashed). */
  key: string;
  /** Which level that key is. */
  level: LimitLevel;
  /** The limit in force on that key when the request failed, if one was known. */
  limit?: { requests?: number; perMs?: number; concurrent?: number };
  /** Attempts sent to the server for this call (0 if it never went out). */
  attempts: number;
  /** Ms the call spent in the guard: queued, paused and sent. */
  waitedMs: number;
  /** The request config, as axios errors carry it. */
  config?: unknown;
  /** The last AxiosError (e.g. the final 429), if any. */
  cause?: unknown;
}

/**
 * Base of every error the guard raises. Match with {@link isRateLimitError} (works across copies of the
 * library) or `instanceof` a subclass.
 */
export class RateLimitError extends Error {
  readonly code: RateLimitErrorCode;
  readonly key: string;
  readonly level: LimitLevel;
  readonly limit?: RateLimitErrorDetails['limit'];
  readonly attempts: number;
  readonly waitedMs: number;
  readonly config?: unknown;
  declare readonly cause?: unknown;
  /** The last response (a 429), when there was one. */
  readonly response?: unknown;
  readonly [BRAND] = true;

  constructor(code: RateLimitErrorCode, message: string, details: RateLimitErrorDetails) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.key = details.key;
    this.level = details.level;
    this.limit = details.limit;
    this.attempts = details.attempts;
    this.waitedMs = Math.round(details.waitedMs);
    this.config = details.config;
    if (details.cause !== undefined) {
      Object.defineProperty(this, 'cause', { value: details.cause, writable: true, configurable: true });
      this.response = (details.cause as { response?: unknown } | null)?.response;
    }
  }
}

/** True for any error raised by axios-rate-guard, even from another copy of the library. */
export function isRateLimitError(error: unknown): error is RateLimitError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[BRAND] === true;
}

/** The server kept answering 429 until `maxRetries` replays were spent. */
export class RetriesExhaustedError extends RateLimitError {
  constructor(readonly maxRetries: number, details: RateLimitErrorDetails) {
    super(
      'ERR_RATE_GUARD_RETRIES_EXHAUSTED',
      `Still throttled (429) on ${details.key} after ${details.attempts} attempts (maxRetries ${maxRetries}, waited ${Math.round(details.waitedMs)} ms)`,
      details,
    );
  }
}

/** The server asked for a wait longer than `maxRetryAfterMs` and the guard is set to fail rather than wait. */
export class RetryAfterTooLongError extends RateLimitError {
  constructor(readonly retryAfterMs: number, readonly maxRetryAfterMs: number, details: RateLimitErrorDetails) {
    super(
      'ERR_RATE_GUARD_RETRY_AFTER_TOO_LONG',
      `${details.key} is paused for ${Math.round(retryAfterMs)} ms, longer than maxRetryAfterMs ${maxRetryAfterMs}; failing instead of waiting (set onLongRetryAfter: 'wait' to wait)`,
      details,
    );
  }
}

/** `maxQueue` requests were already waiting on the key; this one was refused at once. */
export class QueueFullError extends RateLimitError {
  constructor(readonly maxQueue: number, details: RateLimitErrorDetails) {
    super('ERR_RATE_GUARD_QUEUE_FULL', `Queue of ${details.key} is full (maxQueue ${maxQueue})`, details);
  }
}

/** The request's `deadlineMs` passed, or would pass, before it could be sent. */
export class DeadlineExceededError extends RateLimitError {
  constructor(readonly deadlineMs: number, details: RateLimitErrorDetails) {
    super(
      'ERR_RATE_GUARD_DEADLINE',
      `Deadline of ${deadlineMs} ms reached waiting on ${details.key} after ${details.attempts} attempts`,
      details,
    );
  }
}

/**
 * A throttled request could not be replayed as it was: its body is a stream that has been consumed, or
 * its method is non-idempotent and `retryNonIdempotent` is off.
 */
export class NotReplayableError extends RateLimitError {
  constructor(readonly reason: 'stream-body' | 'non-idempotent', details: RateLimitErrorDetails) {
    super(
      reason === 'stream-body' ? 'ERR_RATE_GUARD_BODY_NOT_REPLAYABLE' : 'ERR_RATE_GUARD_NOT_REPLAYED',
      reason === 'stream-body'
        ? `Throttled (429) on ${details.key}, and the request body is a stream that cannot be sent twice; pass a Buffer, string or object to let it be replayed`
        : `Throttled (429) on ${details.key}; not replayed because the method is not idempotent and retryNonIdempotent is false`,
      details,
    );
  }
}
