import type { IncomingHttpHeaders } from 'node:http';
import type { LimitKind } from './types.js';

/** The rate-limit headers any vendor's 429 may carry (Clover's `X-RateLimit-{type}`), in the vendor's case. */
export const RATE_LIMIT_HEADERS: readonly string[] = (
  ['tokenLimit', 'crossTokenLimit', 'tokenConcurrentLimit', 'crossTokenConcurrentLimit'] satisfies LimitKind[]
).map((kind) => `X-RateLimit-${kind}`);

/**
 * Every non-safelisted response header the emulator sends: a browser script sees only the CORS-safelisted
 * ones (Cache-Control, Content-Type, Pragma…) unless the server lists the others in
 * Access-Control-Expose-Headers.
 */
export const EXPOSED_HEADERS: readonly string[] = ['Retry-After', ...RATE_LIMIT_HEADERS, 'ININ-Correlation-Id'];

/** What a page may send: the identity headers the limits are counted by, and a JSON body. */
export const ALLOWED_REQUEST_HEADERS: readonly string[] = ['Authorization', 'x-client-id', 'Content-Type'];
export const ALLOWED_METHODS: readonly string[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

export interface CorsPolicy {
  /** The Access-Control-Allow-Origin value: one origin, or `*`. */
  origin: string;
  /** List Retry-After and the rate-limit headers in Access-Control-Expose-Headers. */
  exposeHeaders: boolean;
}

/** A preflight asks which cross-origin request is allowed; a plain OPTIONS is an API call like any other. */
export function isPreflight(method: string | undefined, headers: IncomingHttpHeaders): boolean {
  return method === 'OPTIONS' && headers['access-control-request-method'] !== undefined;
}

/** Headers added to every answer (200, 429, control routes) when CORS is on. */
export function corsHeaders(policy: CorsPolicy | undefined): Record<string, string> {
  if (!policy) return {};
  const headers: Record<string, string> = { 'Access-Control-Allow-Origin': policy.origin };
  // A single allowed origin makes the answer depend on the request's Origin for shared caches.
  if (policy.origin !== '*') headers.Vary = 'Origin';
  if (policy.exposeHeaders) headers['Access-Control-Expose-Headers'] = EXPOSED_HEADERS.join(', ');
  return headers;
}

/** The 204 answer to a preflight. No Access-Control-Max-Age: browsers then cache it for 5 s at most. */
export function preflightHeaders(policy: CorsPolicy): Record<string, string> {
  return {
    ...corsHeaders(policy),
    'Access-Control-Allow-Methods': ALLOWED_METHODS.join(', '),
    'Access-Control-Allow-Headers': ALLOWED_REQUEST_HEADERS.join(', '),
  };
}
