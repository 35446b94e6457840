/**
 * The 429 parser: pure functions from a throttled response's headers and raw body to what the server
 * said — how long to wait, which limit was hit, and its value. Unusable values are reported, never trusted.
 */

/** Which of the two keys a limit belongs to. */
export type LimitLevel = 'client' | 'token';
/** Requests per window, or requests in flight. */
export type LimitKind = 'rate' | 'concurrency';

export interface ThrottleSignal {
  /** How long the server asked us to wait, in ms, when it said so usably. */
  delayMs?: number;
  /** Where {@link delayMs} came from. */
  delaySource?: 'retry-after' | 'genesys-body' | 'ratelimit-reset';
  /** The level of the limit the server named (Clover's X-RateLimit-{type}); absent when it named none. */
  level?: LimitLevel;
  kind?: LimitKind;
  /** The value of the named limit (Clover sends it with the header). */
  limit?: number;
  /** The vendor dialect recognised, for events and logs. */
  dialect?: 'clover' | 'genesys' | 'giponext';
  /** Header or body values that were present but unusable, e.g. `retry-after: "soon"`. */
  rejected: string[];
}

/** Response headers as axios hands them to an adapter: AxiosHeaders or a plain object. */
export type HeadersLike = { get?: (name: string) => unknown } | Record<string, unknown> | undefined | null;

const CLOVER_HEADERS: ReadonlyArray<[string, LimitLevel, LimitKind]> = [
  ['x-ratelimit-tokenlimit', 'token', 'rate'],
  ['x-ratelimit-crosstokenlimit', 'client', 'rate'],
  ['x-ratelimit-tokenconcurrentlimit', 'token', 'concurrency'],
  ['x-ratelimit-crosstokenconcurrentlimit', 'client', 'concurrency'],
];

const GENESYS_CODE = 'too.many.requests.retry.after';
const GENESYS_SECONDS = /retry the request in \[?(\d+(?:\.\d+)?)\]? seconds?/i;
const DELTA_SECONDS = /^\d+(?:\.\d+)?$/;
const IMF_OR_RFC850 = /^[a-z]{3,9}, .+ GMT$/i;
const ASCTIME = /^[a-z]{3} [a-z]{3} +\d{1,2} \d{2}:\d{2}:\d{2} \d{4}$/i;
/** Reset values above this are epoch seconds, not delta-seconds (2001-09-09; no API waits 31 years). */
const EPOCH_SECONDS_THRESHOLD = 1e9;
const MAX_BODY_CHARS = 64 * 1024;
/**
 * The longest wait a server may impose (Retry-After, a reset, a spent quota): 31 days, the longest quota
 * period APIs use (monthly). A longer value is a bug or an attack (`Retry-After: 99999999` is 3 years);
 * it is rejected as unusable, so the guard backs off instead of bricking the key.
 */
export const MAX_SERVER_WAIT_MS = 31 * 24 * 3600 * 1000;

/** Case-insensitive header lookup on AxiosHeaders, fetch Headers or a plain object. */
export function readHeader(headers: HeadersLike, name: string): string | undefined {
  if (!headers) return undefined;
  let value: unknown;
  if (typeof (headers as { get?: unknown }).get === 'function') {
    value = (headers as { get: (n: string) => unknown }).get(name);
  } else {
    const record = headers as Record<string, unknown>;
    value = record[name];
    if (value === undefined) {
      for (const key of Object.keys(record)) {
        if (key.toLowerCase() === name) {
          value = record[key];
          break;
        }
      }
    }
  }
  if (Array.isArray(value)) value = value[0];
  if (value === undefined || value === null || value === false) return undefined;
  return String(value).trim();
}

/**
 * RFC 9110 §10.2.3: `Retry-After: <delay-seconds> | <HTTP-date>`. Returns ms, or undefined when absent
 * or unusable (then `rejected` says why). A date in the past means "now" (0).
 */
export function parseRetryAfter(value: string | undefined, wallNow: number, rejected: string[]): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (DELTA_SECONDS.test(value)) return secondsToMs(Number(value), `retry-after: ${value}`, rejected);
  // An HTTP-date names a weekday (Date.parse alone would take "12" or "2030" as a date): IMF-fixdate and
  // RFC 850 end in GMT; asctime has no zone and is GMT by definition.
  const at = IMF_OR_RFC850.test(value) ? Date.parse(value) : ASCTIME.test(value) ? Date.parse(`${value} GMT`) : NaN;
  if (Number.isFinite(at) && at - wallNow <= MAX_SERVER_WAIT_MS) return Math.max(0, at - wallNow);
  rejected.push(`retry-after: ${value}`);
  return undefined;
}

function secondsToMs(seconds: number, label: string, rejected: string[]): number | undefined {
  const ms = Math.ceil(seconds * 1000);
  if (!Number.isFinite(ms) || ms < 0 || ms > MAX_SERVER_WAIT_MS) {
    rejected.push(label);
    return undefined;
  }
  return ms;
}

/** A positive integer limit value, or undefined (a zero or garbage limit must never become the limit). */
function parseLimitValue(value: string): number | undefined {
  if (!/^\d+$/.test(value)) return undefined;
  const n = Number(value);
  return n >= 1 && n <= 1e9 ? n : undefined;
}

/** `RateLimit-Reset` / `X-RateLimit-Reset` (delta or epoch seconds, by magnitude) and `X-RateLimit-Reset-After`. */
function parseResetHeaders(headers: HeadersLike, wallNow: number, rejected: string[]): number | undefined {
  const after = readHeader(headers, 'x-ratelimit-reset-after');
  for (const [name, value] of [
    ['x-ratelimit-reset-after', after],
    ['ratelimit-reset', readHeader(headers, 'ratelimit-reset')],
    ['x-ratelimit-reset', readHeader(headers, 'x-ratelimit-reset')],
  ] as const) {
    if (value === undefined) continue;
    if (!DELTA_SECONDS.test(value)) {
      rejected.push(`${name}: ${value}`);
      continue;
    }
    const n = Number(value);
    if (name !== 'x-ratelimit-reset-after' && n > EPOCH_SECONDS_THRESHOLD) {
      const ms = Math.ceil(n * 1000 - wallNow);
      if (ms <= MAX_SERVER_WAIT_MS) return Math.max(0, ms);
      rejected.push(`${name}: ${value}`);
      continue;
    }
    const ms = secondsToMs(n, `${name}: ${value}`, rejected);
    if (ms !== undefined) return ms;
  }
  return undefined;
}

/** The raw body an adapter returns (string, bytes or an already-parsed object) as an object, if JSON. */
export function bodyAsObject(data: unknown): Record<string, unknown> | undefined {
  let text: string | undefined;
  if (typeof data === 'string') text = data;
  else if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) {
    const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (bytes.byteLength <= MAX_BODY_CHARS) text = new TextDecoder().decode(bytes);
  } else if (data && typeof data === 'object' && typeof (data as { pipe?: unknown }).pipe !== 'function') {
    return data as Record<string, unknown>;
  }
  if (text === undefined || text.length > MAX_BODY_CHARS) return undefined;
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return undefined;
  try {
    const parsed: unknown = JSON.parse(trimmed);
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads a throttled response, in order of authority: `Retry-After`; Clover's `X-RateLimit-{type}` (which
 * limit, and its value); the Genesys body ("Retry the request in [42] seconds") when the header is
 * missing; GipoNext's `{"error":"rate_limit_exceeded"}`; then reset headers. No usable delay leaves
 * `delayMs` undefined, and the caller backs off exponentially.
 */
export function parseThrottle(headers: HeadersLike, body: unknown, wallNow: number): ThrottleSignal {
  const signal: ThrottleSignal = { rejected: [] };
  const retryAfter = parseRetryAfter(readHeader(headers, 'retry-after'), wallNow, signal.rejected);
  if (retryAfter !== undefined) {
    signal.delayMs = retryAfter;
    signal.delaySource = 'retry-after';
  }

  for (const [name, level, kind] of CLOVER_HEADERS) {
    const raw = readHeader(headers, name);
    if (raw === undefined) continue;
    const limit = parseLimitValue(raw);
    signal.dialect = 'clover';
    signal.level = level;
    signal.kind = kind;
    if (limit === undefined) signal.rejected.push(`${name}: ${raw}`);
    else signal.limit = limit;
    break;
  }

  const json = signal.dialect ? undefined : bodyAsObject(body);
  if (json) {
    const message = typeof json.message === 'string' ? json.message : '';
    if (json.code === GENESYS_CODE || GENESYS_SECONDS.test(message)) {
      signal.dialect = 'genesys';
      const match = GENESYS_SECONDS.exec(message);
      if (signal.delayMs === undefined && match) {
        const ms = secondsToMs(Number(match[1]), `body: ${match[0]}`, signal.rejected);
        if (ms !== undefined) {
          signal.delayMs = ms;
          signal.delaySource = 'genesys-body';
        }
      }
    } else if (json.error === 'rate_limit_exceeded') {
      // GipoNext counts per client_id: the whole app is over its limit.
      signal.dialect = 'giponext';
      signal.level = 'client';
      signal.kind = 'rate';
    }
  }

  if (signal.delayMs === undefined) {
    const reset = parseResetHeaders(headers, wallNow, signal.rejected);
    if (reset !== undefined) {
      signal.delayMs = reset;
      signal.delaySource = 'ratelimit-reset';
    }
  }
  return signal;
}
