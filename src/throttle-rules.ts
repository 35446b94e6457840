/**
 * Throttles that are not a throttle status (429): a 403 from GitHub or Salesforce, a GraphQL error in a 200,
 * an opt-in 503 with Retry-After, or whatever the user's `isThrottle` says. A recognised response goes the
 * way of a 429 (the key pauses, the request is replayed); anything else, a 403 of permissions included, is
 * an ordinary answer and is never replayed.
 *
 * Cheap on the hot path: the rules are chosen by status first; a 2xx body is searched only when its request
 * may have been GraphQL (it sent a body or a query string), and only a 403, a 503 or a 2xx JSON body that
 * mentions a throttle code is ever parsed (bodies over 64 KiB are not read: a throttle's body is short).
 */
import type { AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import { MAX_BODY_CHARS, parseRetryAfter, parseRetryAfterMs, readHeader, type LimitLevel } from './parse-429.js';
import { MAX_SERVER_WAIT_MS } from './time-values.js';

/** The built-in rules, each documented below and in the README ("Throttles that are not a 429"). */
export type ThrottleRuleName = 'github' | 'graphql' | 'salesforce' | '503';
export const THROTTLE_RULE_NAMES: readonly ThrottleRuleName[] = ['github', 'graphql', 'salesforce', '503'];
/** On unless `throttleRules` says otherwise; `503` is opt-in (a 503 is more often an outage than a limit). */
export const DEFAULT_THROTTLE_RULES: readonly ThrottleRuleName[] = ['github', 'graphql', 'salesforce'];

/** A response recognised as a throttle, and what the rule itself knows of the wait. */
export interface ThrottleVerdict {
  /** `github`, `graphql`, `salesforce`, `503` or `isThrottle`. */
  rule: string;
  /**
   * A wait the rule derives (GitHub's minute for a secondary limit, Shopify's query cost). A `Retry-After`
   * (or `retry-after-ms`) in the response still comes first; this replaces a reset header's wait.
   */
  delayMs?: number;
  delaySource?: 'graphql-cost' | 'rule';
  /** The key it applies to, when the rule knows (from `isThrottle`); else as for a 429. */
  level?: LimitLevel;
}

/**
 * The user's rule for their own API: true (or an object) when `response` is a throttle. It sees every
 * response that no other rule took, with `data` as the adapter returned it (a string or bytes for JSON: the
 * guard sits below axios's transformResponse). It should be cheap; one that throws counts as false.
 */
export type IsThrottle = (response: AxiosResponse) => boolean | { delayMs?: number; level?: LimitLevel } | null | undefined;

/**
 * `clock` gives the wall time an HTTP-date Retry-After is read against; `request`, the config the response
 * answers (when unknown, every rule looks at the response).
 */
export type ThrottleDetector = (
  response: AxiosResponse,
  clock: { wallNow(): number },
  request?: Pick<InternalAxiosRequestConfig, 'data' | 'params' | 'url'>,
) => ThrottleVerdict | undefined;

/** GitHub: "You have exceeded a secondary rate limit" (REST and GraphQL). */
const GITHUB_SECONDARY = /secondary rate limit/i;
/** GitHub asks to wait at least a minute after a secondary limit that sent no retry-after. */
export const GITHUB_SECONDARY_WAIT_MS = 60_000;

/** What a throttle's body must mention before it is parsed, per rule (module constants: no array per response). */
const GITHUB_MARKERS = ['econdary rate limit'];
const SALESFORCE_MARKERS = ['REQUEST_LIMIT_EXCEEDED'];
const GRAPHQL_MARKERS = ['THROTTLED', 'RATE_LIMITED'];

/** Whether `text` contains one of `markers` (a loop: this runs on most 2xx JSON bodies, no closure per call). */
function mentionsAny(text: string, markers: readonly string[]): boolean {
  for (const marker of markers) if (text.includes(marker)) return true;
  return false;
}

/**
 * The body as JSON, if it is JSON and mentions one of `markers` (checked on the text before parsing, so an
 * ordinary body costs a substring search, not a parse). An object the adapter already parsed is taken as is.
 */
function jsonMentioning(data: unknown, markers: readonly string[]): unknown {
  let text: string | undefined;
  if (typeof data === 'string') text = data;
  else if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) {
    if (data.byteLength > MAX_BODY_CHARS) return undefined;
    const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    text = new TextDecoder().decode(bytes);
  } else if (data && typeof data === 'object' && typeof (data as { pipe?: unknown }).pipe !== 'function') {
    return data;
  }
  if (text === undefined || text.length > MAX_BODY_CHARS || !mentionsAny(text, markers)) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function startsWithBrace(text: string): boolean {
  for (let i = 0; i < text.length && i < 64; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b) return true; // {
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09 && c !== 0xfeff) return false;
  }
  return false;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/**
 * GitHub REST: a 403 with `x-ratelimit-remaining: 0` is the primary limit (its reset headers say when); one
 * whose message says "secondary rate limit" is the secondary limit: `retry-after` when sent, otherwise at
 * least a minute, and not the primary window's reset.
 */
function github(response: AxiosResponse): ThrottleVerdict | undefined {
  if (readHeader(response.headers, 'x-ratelimit-remaining') === '0') return { rule: 'github' };
  const body = jsonMentioning(response.data, GITHUB_MARKERS);
  if (!isRecord(body) || typeof body.message !== 'string' || !GITHUB_SECONDARY.test(body.message)) return undefined;
  const sentRetryAfter = readHeader(response.headers, 'retry-after') !== undefined || readHeader(response.headers, 'retry-after-ms') !== undefined;
  return sentRetryAfter ? { rule: 'github' } : { rule: 'github', delayMs: GITHUB_SECONDARY_WAIT_MS, delaySource: 'rule' };
}

/** Salesforce REST: a 403 `[{"errorCode":"REQUEST_LIMIT_EXCEEDED", …}]` (the org's API request limit). */
function salesforce(response: AxiosResponse): ThrottleVerdict | undefined {
  const body = jsonMentioning(response.data, SALESFORCE_MARKERS);
  const entries = Array.isArray(body) ? body : [body];
  return entries.some((entry) => isRecord(entry) && entry.errorCode === 'REQUEST_LIMIT_EXCEEDED') ? { rule: 'salesforce' } : undefined;
}

/** Shopify's wait for a THROTTLED query: until the bucket holds the query's cost, at its restore rate. */
function shopifyCostWait(body: Record<string, unknown>): number | undefined {
  const cost = isRecord(body.extensions) && isRecord(body.extensions.cost) ? body.extensions.cost : undefined;
  const status = cost && isRecord(cost.throttleStatus) ? cost.throttleStatus : undefined;
  const requested = cost?.requestedQueryCost;
  const available = status?.currentlyAvailable;
  const rate = status?.restoreRate;
  if (typeof requested !== 'number' || typeof available !== 'number' || typeof rate !== 'number' || !(rate > 0)) return undefined;
  const ms = Math.ceil((Math.max(0, requested - available) / rate) * 1000);
  return Number.isFinite(ms) && ms <= MAX_SERVER_WAIT_MS ? ms : undefined;
}

/**
 * GraphQL in a 2xx: an `errors` entry with `extensions.code: "THROTTLED"` (Shopify: the wait is the query's
 * cost less what is available, at the restore rate) or `type: "RATE_LIMITED"` (GitHub: its reset headers
 * say when). Only bodies that are JSON objects with an `errors` array are looked at.
 */
function graphql(response: AxiosResponse): ThrottleVerdict | undefined {
  const { data } = response;
  // Most 2xx bodies end here: not a JSON object. The markers are searched before "errors" would be: their
  // capitals are rare in JSON, so the search skips along (about 0.1 µs for 2 KB, 1 µs for 40 KB).
  if (typeof data === 'string' && !startsWithBrace(data)) return undefined;
  const body = jsonMentioning(data, GRAPHQL_MARKERS);
  if (!isRecord(body) || !Array.isArray(body.errors)) return undefined;
  for (const error of body.errors) {
    if (!isRecord(error)) continue;
    const code = isRecord(error.extensions) ? error.extensions.code : undefined;
    if (code === 'THROTTLED') {
      const delayMs = shopifyCostWait(body);
      return delayMs === undefined ? { rule: 'graphql' } : { rule: 'graphql', delayMs, delaySource: 'graphql-cost' };
    }
    if (error.type === 'RATE_LIMITED' || code === 'RATE_LIMITED') return { rule: 'graphql' };
  }
  return undefined;
}

/**
 * Whether `request` may have been a GraphQL operation: it sent a body or a query string (GraphQL over HTTP
 * puts a GET's document, or a persisted query's id, in the query string). The answer to any other request,
 * the usual REST GET, is no GraphQL response: its body is not searched.
 */
function mayBeGraphQL(request: Pick<InternalAxiosRequestConfig, 'data' | 'params' | 'url'> | undefined): boolean {
  if (request === undefined) return true;
  const { data, params, url } = request;
  return (data !== undefined && data !== null && data !== '') || (params !== undefined && params !== null) || (url !== undefined && url.includes('?'));
}

/** A 503 that says when to come back (a usable Retry-After or retry-after-ms). Opt-in. */
function serviceUnavailable(response: AxiosResponse, wallNow: number): ThrottleVerdict | undefined {
  const ms =
    parseRetryAfterMs(readHeader(response.headers, 'retry-after-ms'), []) ??
    parseRetryAfter(readHeader(response.headers, 'retry-after'), wallNow, []);
  return ms === undefined ? undefined : { rule: '503' };
}

function userRule(isThrottle: IsThrottle, response: AxiosResponse): ThrottleVerdict | undefined {
  let answer: ReturnType<IsThrottle>;
  try {
    answer = isThrottle(response);
  } catch {
    return undefined; // like a hook that throws: it must not fail the call
  }
  if (!answer) return undefined;
  const verdict: ThrottleVerdict = { rule: 'isThrottle' };
  if (answer === true) return verdict;
  const { delayMs, level } = answer;
  if (typeof delayMs === 'number' && Number.isFinite(delayMs) && delayMs >= 0 && delayMs <= MAX_SERVER_WAIT_MS) {
    verdict.delayMs = Math.ceil(delayMs);
    verdict.delaySource = 'rule';
  }
  if (level === 'client' || level === 'token' || level === 'bucket') verdict.level = level;
  return verdict;
}

/**
 * The detector for a guard's rules, or undefined when there are none (then nothing is looked at). Called
 * for every response whose status is not a throttle status.
 */
export function throttleDetector(rules: readonly ThrottleRuleName[], isThrottle?: IsThrottle): ThrottleDetector | undefined {
  const on = new Set(rules);
  const gh = on.has('github');
  const sf = on.has('salesforce');
  const gql = on.has('graphql');
  const s503 = on.has('503');
  if (!gh && !sf && !gql && !s503 && !isThrottle) return undefined;
  return (response, clock, request) => {
    const { status } = response;
    let verdict: ThrottleVerdict | undefined;
    if (status === 403) verdict = (gh ? github(response) : undefined) ?? (sf ? salesforce(response) : undefined);
    else if (status === 503) verdict = s503 ? serviceUnavailable(response, clock.wallNow()) : undefined;
    else if (gql && status >= 200 && status < 300 && mayBeGraphQL(request)) verdict = graphql(response);
    return verdict ?? (isThrottle ? userRule(isThrottle, response) : undefined);
  };
}
