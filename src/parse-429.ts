/**
 * The 429 parser: pure functions from a throttled response's headers and raw body to what the server
 * said — how long to wait, which limit was hit, and its value. Unusable values are reported, never trusted.
 */
import { epochOrDeltaSecondsToMs, MAX_SERVER_WAIT_MS, timestampToMs } from './time-values.js';

export { MAX_SERVER_WAIT_MS } from './time-values.js';

/** Which of the two keys a limit belongs to. */
/** Which key a limit is on: the app (`client`), one access token, or an endpoint bucket (`routes`, learned buckets). */
export type LimitLevel = 'client' | 'token' | 'bucket';
/** Requests per window, or requests in flight. */
export type LimitKind = 'rate' | 'concurrency';

export interface ThrottleSignal {
  /** How long the server asked us to wait, in ms, when it said so usably. */
  delayMs?: number;
  /** Where {@link delayMs} came from. */
  delaySource?: 'retry-after-ms' | 'retry-after' | 'genesys-body' | 'ratelimit-reset' | 'graphql-cost' | 'rule';
  /** The level of the limit the server named (Clover's X-RateLimit-{type}); absent when it named none. */
  level?: LimitLevel;
  kind?: LimitKind;
  /** The value of the named limit (Clover sends it with the header). */
  limit?: number;
  /** The vendor dialect recognised, for events and logs. */
  dialect?: 'clover' | 'genesys' | 'giponext' | 'discord';
  /**
   * The throttle rule that recognised a response that was not a 429 (`github`, `graphql`, `salesforce`,
   * `503`, `isThrottle`); absent for a throttle status.
   */
  rule?: string;
  /** Discord's `X-RateLimit-Scope` (`user`, `global`, `shared`; `global` also from `X-RateLimit-Global`). */
  scope?: string;
  /** Atlassian's `RateLimit-Reason`: which of its limits was hit. */
  reason?: string;
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
/** Bodies longer than this are not read: a throttle's body is short, and a long one is not worth parsing. */
export const MAX_BODY_CHARS = 64 * 1024;
const DELTA_MS = /^\d+(?:\.\d+)?$/;

/**
 * Case-insensitive header lookup on AxiosHeaders, fetch Headers or a plain object. `usualSpelling`: the
 * spelling the header is usually set as (`Authorization`), looked up first: AxiosHeaders keeps a header
 * under the one property it was set as, so that is a property read, where its get() normalises the name
 * and searches every header for it.
 */
export function readHeader(headers: HeadersLike, name: string, usualSpelling?: string): string | undefined {
  if (!headers) return undefined;
  let value = usualSpelling === undefined ? undefined : (headers as Record<string, unknown>)[usualSpelling];
  if (value === undefined) value = anyCase(headers, name);
  if (Array.isArray(value)) value = value[0];
  if (value === undefined || value === null || value === false) return undefined;
  return String(value).trim();
}

function anyCase(headers: NonNullable<HeadersLike>, name: string): unknown {
  if (typeof (headers as { get?: unknown }).get === 'function') return (headers as { get: (n: string) => unknown }).get(name);
  const record = headers as Record<string, unknown>;
  const value = record[name];
  if (value !== undefined) return value;
  for (const key of Object.keys(record)) {
    if (key.toLowerCase() === name) return record[key];
  }
  return undefined;
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

/**
 * `X-RateLimit-Reset-After`, then `RateLimit-Reset` / `X-RateLimit-Reset` (delta or epoch seconds by the rule
 * in time-values.ts; Atlassian writes the latter as an ISO 8601 timestamp).
 */
function parseResetHeaders(headers: HeadersLike, wallNow: number, rejected: string[]): number | undefined {
  for (const [name, value] of [
    ['x-ratelimit-reset-after', readHeader(headers, 'x-ratelimit-reset-after')],
    ['ratelimit-reset', readHeader(headers, 'ratelimit-reset')],
    ['x-ratelimit-reset', readHeader(headers, 'x-ratelimit-reset')],
  ] as const) {
    if (value === undefined) continue;
    const ms =
      name === 'x-ratelimit-reset-after'
        ? DELTA_SECONDS.test(value)
          ? secondsToMs(Number(value), `${name}: ${value}`, [])
          : undefined
        : /^\d{4}-/.test(value)
          ? timestampToMs(value, wallNow)
          : epochOrDeltaSecondsToMs(value, wallNow);
    if (ms !== undefined) return ms;
    rejected.push(`${name}: ${value}`);
  }
  return undefined;
}

/** `retry-after-ms` (OpenAI, Azure): milliseconds, more precise than Retry-After, so preferred to it. */
export function parseRetryAfterMs(value: string | undefined, rejected: string[]): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (DELTA_MS.test(value)) {
    const ms = Math.ceil(Number(value));
    if (ms <= MAX_SERVER_WAIT_MS) return ms;
  }
  rejected.push(`retry-after-ms: ${value}`);
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
 * Reads a throttled response, in order of authority: `retry-after-ms`, then `Retry-After`; Clover's
 * `X-RateLimit-{type}` (which limit, and its value); the Genesys body ("Retry the request in [42] seconds")
 * when the header is missing; GipoNext's `{"error":"rate_limit_exceeded"}`; then reset headers. Discord's
 * scope and Atlassian's reason are reported. No usable delay leaves `delayMs` undefined, and the caller
 * backs off exponentially.
 */
export function parseThrottle(headers: HeadersLike, body: unknown, wallNow: number): ThrottleSignal {
  const signal: ThrottleSignal = { rejected: [] };
  const retryAfterMs = parseRetryAfterMs(readHeader(headers, 'retry-after-ms'), signal.rejected);
  const retryAfter = retryAfterMs === undefined ? parseRetryAfter(readHeader(headers, 'retry-after'), wallNow, signal.rejected) : undefined;
  if (retryAfterMs !== undefined) {
    signal.delayMs = retryAfterMs;
    signal.delaySource = 'retry-after-ms';
  } else if (retryAfter !== undefined) {
    signal.delayMs = retryAfter;
    signal.delaySource = 'retry-after';
  }
  // Discord says which limit it was: a route's (`user`), the bot's `global` one, or a `shared` resource's.
  const scope = readHeader(headers, 'x-ratelimit-scope') ?? (readHeader(headers, 'x-ratelimit-global') === 'true' ? 'global' : undefined);
  if (scope) {
    signal.dialect = 'discord';
    signal.scope = scope.toLowerCase();
  }
  const reason = readHeader(headers, 'ratelimit-reason') ?? readHeader(headers, 'x-beta-ratelimit-reason');
  if (reason) signal.reason = reason;

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

  const json = signal.dialect === undefined ? bodyAsObject(body) : undefined;
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
