const BRAND = Symbol.for('axios-rate-guard.RedisUnavailableError');

/**
 * Raised by a `RedisStore` with `failClosed: true` when Redis cannot be reached or did not answer in time:
 * the request is not sent. The Redis error (or timeout) is the `cause`.
 */
export class RedisUnavailableError extends Error {
  readonly code = 'ERR_RATE_GUARD_REDIS_UNAVAILABLE';
  declare readonly cause?: unknown;
  readonly [BRAND] = true;

  constructor(cause: unknown) {
    const reason = (cause as { message?: unknown } | null)?.message;
    super(`Redis is unavailable and the store is fail-closed; the request was not sent${typeof reason === 'string' ? `: ${reason}` : ''}`);
    this.name = 'RedisUnavailableError';
    Object.defineProperty(this, 'cause', { value: cause, writable: true, configurable: true });
  }
}

/** True for a {@link RedisUnavailableError}, even one from another copy of the library. */
export function isRedisUnavailableError(error: unknown): error is RedisUnavailableError {
  return typeof error === 'object' && error !== null && (error as { [BRAND]?: unknown })[BRAND] === true;
}
