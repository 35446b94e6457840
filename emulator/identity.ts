import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export const DEFAULT_APP = 'default';
export const ANONYMOUS_TOKEN = 'anonymous';

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The app (client_id) a request counts against: header `x-client-id`, else `default`. */
export function appOf(headers: IncomingHttpHeaders): string {
  const id = first(headers['x-client-id'])?.trim();
  return id ? id : DEFAULT_APP;
}

/**
 * The access token a request counts against: the credentials of `Authorization: Bearer <token>`
 * (scheme case-insensitive), the whole header for other schemes, `anonymous` when there is none.
 */
export function tokenOf(headers: IncomingHttpHeaders): string {
  const authorization = first(headers.authorization)?.trim();
  if (!authorization) return ANONYMOUS_TOKEN;
  const bearer = /^bearer\s+(.+)$/i.exec(authorization);
  return bearer ? bearer[1].trim() : authorization;
}

/**
 * The name a token is reported under in stats: 6 hex chars of its sha256, so stats can be logged and
 * charted without leaking credentials. The anonymous token is not a secret and keeps its name.
 */
export function tokenLabel(token: string): string {
  if (token === ANONYMOUS_TOKEN) return ANONYMOUS_TOKEN;
  return createHash('sha256').update(token).digest('hex').slice(0, 6);
}
