import type { LimitKind, Vendor } from './types.js';

/** A complete HTTP answer; the server adds Content-Length. */
export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface TooManyRequests {
  limit: LimitKind;
  /** The configured value of that limit (Clover reports it in X-RateLimit-{type}). */
  value: number;
  retryAfterSec: number;
  /** false leaves the Retry-After header out (Genesys before normalisation). */
  withRetryAfter: boolean;
  /** Genesys correlation id, echoed in the body's contextId. */
  correlationId: string;
}

const NO_CACHE = 'no-cache, no-store, must-revalidate';

export const GIPONEXT_429_BODY = {
  error: 'rate_limit_exceeded',
  message: 'Too many requests. Please retry after the indicated time.',
} as const;

/** The 429 each vendor sends, as documented in its published examples. Header names keep the vendor's case. */
export function tooManyRequests(vendor: Vendor, info: TooManyRequests): Reply {
  const retryAfter: Record<string, string> = {};
  switch (vendor) {
    case 'clover':
      if (info.withRetryAfter) retryAfter['retry-after'] = String(info.retryAfterSec);
      return {
        status: 429,
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'cache-control': NO_CACHE,
          pragma: 'no-cache',
          ...retryAfter,
          [`X-RateLimit-${info.limit}`]: String(info.value),
        },
        body: JSON.stringify({ message: '429 Too Many Requests' }),
      };
    case 'giponext':
      if (info.withRetryAfter) retryAfter['Retry-After'] = String(info.retryAfterSec);
      return {
        status: 429,
        headers: { ...retryAfter, 'Content-Type': 'application/json' },
        body: JSON.stringify(GIPONEXT_429_BODY),
      };
    case 'genesys':
      if (info.withRetryAfter) retryAfter['Retry-After'] = String(info.retryAfterSec);
      return {
        status: 429,
        headers: {
          'ININ-Correlation-Id': info.correlationId,
          ...retryAfter,
          'Cache-Control': NO_CACHE,
          'Content-Type': 'application/json',
        },
        body: JSON.stringify({
          message: `Rate limit exceeded the maximum. Retry the request in [${info.retryAfterSec}] seconds`,
          code: 'too.many.requests.retry.after',
          status: 429,
          contextId: info.correlationId,
          details: [],
          errors: [],
        }),
      };
  }
}
