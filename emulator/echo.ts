import type { IncomingHttpHeaders } from 'node:http';

/** The 200 body: everything a test needs to check that a (replayed) request arrived unchanged. */
export interface EchoBody {
  ok: true;
  method: string;
  /** Path without the query. */
  path: string;
  /** Query parameters; a repeated name gives an array in order. */
  query: Record<string, string | string[]>;
  /** Request headers (lowercased by Node), authorization replaced by '<redacted>'. */
  headers: Record<string, string | string[]>;
  /** The raw body bytes, base64. */
  bodyBase64: string;
  bodyLength: number;
  contentType: string | null;
}

/** Splits a request target into path and query without normalising the path. */
export function splitTarget(target: string): { path: string; search: string } {
  const q = target.indexOf('?');
  return q === -1 ? { path: target, search: '' } : { path: target.slice(0, q), search: target.slice(q + 1) };
}

export function parseQuery(search: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of new URLSearchParams(search)) {
    const seen = Object.prototype.hasOwnProperty.call(query, name) ? query[name] : undefined;
    const next = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
    Object.defineProperty(query, name, { value: next, enumerable: true, writable: true, configurable: true });
  }
  return query;
}

export function echoBody(method: string, target: string, headers: IncomingHttpHeaders, body: Buffer): EchoBody {
  const { path, search } = splitTarget(target);
  const echoed: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const shown = name === 'authorization' ? '<redacted>' : value;
    Object.defineProperty(echoed, name, { value: shown, enumerable: true, writable: true, configurable: true });
  }
  const contentType = headers['content-type'];
  return {
    ok: true,
    method,
    path,
    query: parseQuery(search),
    headers: echoed,
    bodyBase64: body.toString('base64'),
    bodyLength: body.length,
    contentType: contentType ?? null,
  };
}
