// Attribute names and values of axios-rate-guard/otel, as pure functions. The HTTP ones follow the
// OpenTelemetry semantic conventions for HTTP client metrics (http.request.method, server.address,
// server.port, http.response.status_code, error.type); the rest live under `rate_guard.`. No raw token and
// no URL query ever becomes an attribute: keys carry the token hashed, and only the host of a URL is read.

/** Attribute values as OpenTelemetry takes them (a subset of its `AttributeValue`). */
export type AttributeValue = string | number | boolean;
export type Attributes = Record<string, AttributeValue>;

export const ATTR = {
  method: 'http.request.method',
  status: 'http.response.status_code',
  errorType: 'error.type',
  serverAddress: 'server.address',
  serverPort: 'server.port',
  keyId: 'rate_guard.key.id',
  keyLevel: 'rate_guard.key.level',
  limitKind: 'rate_guard.limit.kind',
  limitSource: 'rate_guard.limit.source',
  limitWindow: 'rate_guard.limit.window',
  delaySource: 'rate_guard.delay.source',
  pauseSource: 'rate_guard.pause.source',
  pauseQuota: 'rate_guard.pause.quota',
  learnedFrom: 'rate_guard.learned.from',
  stale: 'rate_guard.throttle.stale',
  replay: 'rate_guard.replay',
} as const;

/** The methods the HTTP semantic conventions name; any other is reported as `_OTHER`. */
const KNOWN_METHODS = new Set(['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'QUERY', 'TRACE']);

/** `http.request.method`: upper case when known, else `_OTHER` (bounded cardinality, as the conventions ask). */
export function methodAttribute(method: string | undefined): string {
  const upper = (method ?? 'get').toUpperCase();
  return KNOWN_METHODS.has(upper) ? upper : '_OTHER';
}

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443 };

/**
 * `server.address` and `server.port` of an absolute URL (the port from the scheme when not written); none
 * for a relative one or garbage. Only the host is read: path, query and credentials never leave here.
 */
export function serverAttributes(url: string | undefined): Attributes {
  if (!url || !/^[a-z][a-z\d+.-]*:\/\//i.test(url)) return {};
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return {};
  }
  if (!parsed.hostname) return {};
  const port = parsed.port ? Number(parsed.port) : DEFAULT_PORTS[parsed.protocol];
  const address = parsed.hostname.replace(/^\[(.*)\]$/, '$1'); // IPv6 without its brackets, as the conventions write it
  return port === undefined ? { [ATTR.serverAddress]: address } : { [ATTR.serverAddress]: address, [ATTR.serverPort]: port };
}

/** The key attributes: its level always, its id (token part hashed) unless `withId` is false. */
export function keyAttributes(key: string, level: string, withId: boolean): Attributes {
  return withId ? { [ATTR.keyId]: key, [ATTR.keyLevel]: level } : { [ATTR.keyLevel]: level };
}

/** One string per attribute set, for aggregating observations that share one (order-independent). */
export function attributesId(attributes: Attributes): string {
  return JSON.stringify(Object.keys(attributes).sort().map((name) => [name, attributes[name]]));
}

/** Explicit bucket boundaries, in seconds: waits from a few ms (a window slot) to minutes (a long pause). */
export const WAIT_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
/** Pauses are at least a backoff step or a server's delay: from 100 ms to the default `maxRetryAfterMs` and beyond. */
export const PAUSE_BUCKETS_S = [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];
