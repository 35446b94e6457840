/**
 * The rate-limit header normalizer: every dialect servers use to advertise their quota, read from any
 * response into one shape. Pure functions, headers and the wall clock in; values that are malformed,
 * negative, absurd or contradictory are left out and listed in `rejected`, never trusted into a zero or
 * infinite limit.
 *
 * Dialects:
 * - IETF structured fields (draft-ietf-httpapi-ratelimit-headers-08 and later): `RateLimit-Policy:
 *   "default";q=100;w=60` and `RateLimit: "default";r=50;t=30`;
 * - draft-7 combined `RateLimit: limit=100, remaining=50, reset=5` with `RateLimit-Policy: 100;w=60`;
 * - draft-6 `RateLimit-Limit` / `RateLimit-Remaining` / `RateLimit-Reset` (+ `RateLimit-Policy: 100;w=60`);
 * - `X-RateLimit-Limit` / `-Remaining` / `-Reset` (GitHub, fastify, express legacy), `X-RateLimit-Reset-After`,
 *   GitHub's `x-ratelimit-resource`.
 * A reset value above 10⁹ is an epoch in seconds (2001-09-09 onwards); below, a delay in seconds.
 */
import { MAX_SERVER_WAIT_MS, readHeader, type HeadersLike } from './parse-429.js';

export interface QuotaPolicy {
  /** Requests allowed per window. */
  requests: number;
  /** Window in ms. */
  windowMs: number;
}

export interface QuotaReading {
  /** The quota and its window, when the server said both. */
  policy?: QuotaPolicy;
  /** The quota without a window (X-RateLimit-Limit), when that is all it said. */
  limit?: number;
  /** Requests left before the reset. */
  remaining?: number;
  /** Ms until the quota resets. */
  resetMs?: number;
  /** GitHub's `x-ratelimit-resource` (core, search…), for events. */
  resource?: string;
  dialect: 'ietf' | 'ietf-draft7' | 'ietf-draft6' | 'x-ratelimit';
  /** Values present but unusable. */
  rejected: string[];
}

const EPOCH_SECONDS_THRESHOLD = 1e9;
const MAX_REQUESTS = 1e9;
const MAX_SECONDS = MAX_SERVER_WAIT_MS / 1000;
const NUMBER = /^\d+(?:\.\d+)?$/;

interface Item {
  name: string;
  params: Record<string, string>;
}

/** Minimal RFC 9651 list parsing: members separated by commas, each a value then `;key=value` params. */
function parseList(value: string): Item[] {
  const items: Item[] = [];
  for (const member of splitOutsideQuotes(value, ',')) {
    // A member of nothing but separators (`RateLimit: ;`) has no head: it names nothing, and is skipped.
    const [head, ...params] = splitOutsideQuotes(member, ';');
    if (head === undefined) continue;
    const item: Item = { name: head.trim().replace(/^"(.*)"$/, '$1'), params: {} };
    for (const param of params) {
      const eq = param.indexOf('=');
      const key = (eq === -1 ? param : param.slice(0, eq)).trim().toLowerCase();
      if (key) item.params[key] = eq === -1 ? '' : param.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
    }
    items.push(item);
  }
  return items;
}

function splitOutsideQuotes(value: string, separator: string): string[] {
  const parts: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '"' && value[i - 1] !== '\\') quoted = !quoted;
    else if (c === separator && !quoted) {
      parts.push(value.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(value.slice(start));
  return parts.filter((p) => p.trim() !== '');
}

function count(label: string, raw: string | undefined, rejected: string[], min: number): number | undefined {
  if (raw === undefined) return undefined;
  if (/^\d+$/.test(raw)) {
    const n = Number(raw);
    if (n >= min && n <= MAX_REQUESTS) return n;
  }
  rejected.push(`${label}: ${raw}`);
  return undefined;
}

function seconds(label: string, raw: string | undefined, rejected: string[], wallNow: number, epochAllowed: boolean): number | undefined {
  if (raw === undefined) return undefined;
  if (NUMBER.test(raw)) {
    const n = Number(raw);
    if (epochAllowed && n > EPOCH_SECONDS_THRESHOLD) {
      const ms = Math.ceil(n * 1000 - wallNow);
      if (ms >= -60_000 && ms <= MAX_SECONDS * 1000) return Math.max(0, ms);
    } else if (n <= MAX_SECONDS) return Math.ceil(n * 1000);
  }
  rejected.push(`${label}: ${raw}`);
  return undefined;
}

/** `RateLimit-Policy` members: `"name";q=100;w=60` (draft-8+) or `100;w=60` (draft-6/7). */
function readPolicies(raw: string, rejected: string[]): Array<QuotaPolicy & { name: string }> {
  const policies: Array<QuotaPolicy & { name: string }> = [];
  for (const item of parseList(raw)) {
    const quota = item.params.q ?? (/^\d+$/.test(item.name) ? item.name : undefined);
    const requests = count('ratelimit-policy q', quota, rejected, 1);
    const windowSec = item.params.w === undefined ? undefined : seconds('ratelimit-policy w', item.params.w, rejected, 0, false);
    if (requests !== undefined && windowSec !== undefined && windowSec > 0) {
      policies.push({ name: item.name, requests, windowMs: windowSec });
    }
  }
  return policies;
}

/**
 * Reads the quota a response advertises, or undefined when it carries no rate-limit header at all (the
 * common case, checked with one pass over the header names).
 */
export function readRateLimitHeaders(headers: HeadersLike, now: number | { wallNow(): number }): QuotaReading | undefined {
  if (!hasRateLimitHeader(headers)) return undefined;
  const wallNow = typeof now === 'number' ? now : now.wallNow();
  const rejected: string[] = [];
  const policyRaw = readHeader(headers, 'ratelimit-policy');
  const policies = policyRaw ? readPolicies(policyRaw, rejected) : [];
  const combined = readHeader(headers, 'ratelimit');
  let reading: QuotaReading | undefined;

  if (combined !== undefined && /(^|[\s,])limit\s*=/.test(combined)) {
    // draft-7: a dictionary of limit, remaining, reset.
    const fields = Object.fromEntries(
      combined.split(',').map((part) => part.split('=').map((s) => s.trim().toLowerCase()) as [string, string]),
    );
    reading = {
      dialect: 'ietf-draft7',
      limit: count('ratelimit limit', fields.limit, rejected, 1),
      remaining: count('ratelimit remaining', fields.remaining, rejected, 0),
      resetMs: seconds('ratelimit reset', fields.reset, rejected, wallNow, false),
      rejected,
    };
  } else if (combined !== undefined) {
    // draft-8 and later: items named like the policies, with r (remaining) and t (seconds to reset).
    const items = parseList(combined);
    let binding: { remaining?: number; resetMs?: number; name: string } | undefined;
    for (const item of items) {
      const remaining = count('ratelimit r', item.params.r, rejected, 0);
      const resetMs = seconds('ratelimit t', item.params.t, rejected, wallNow, false);
      if (remaining !== undefined && (binding?.remaining === undefined || remaining < binding.remaining)) {
        binding = { remaining, resetMs, name: item.name };
      }
    }
    const policy = policies.find((p) => p.name === binding?.name) ?? policies[0];
    reading = { dialect: 'ietf', remaining: binding?.remaining, resetMs: binding?.resetMs, rejected };
    if (policy) reading.policy = { requests: policy.requests, windowMs: policy.windowMs };
  } else if (readHeader(headers, 'ratelimit-limit') !== undefined || readHeader(headers, 'ratelimit-remaining') !== undefined) {
    reading = {
      dialect: 'ietf-draft6',
      limit: count('ratelimit-limit', readHeader(headers, 'ratelimit-limit'), rejected, 1),
      remaining: count('ratelimit-remaining', readHeader(headers, 'ratelimit-remaining'), rejected, 0),
      resetMs: seconds('ratelimit-reset', readHeader(headers, 'ratelimit-reset'), rejected, wallNow, true),
      rejected,
    };
  } else if (readHeader(headers, 'x-ratelimit-limit') !== undefined || readHeader(headers, 'x-ratelimit-remaining') !== undefined) {
    const resetAfter = readHeader(headers, 'x-ratelimit-reset-after');
    reading = {
      dialect: 'x-ratelimit',
      limit: count('x-ratelimit-limit', readHeader(headers, 'x-ratelimit-limit'), rejected, 1),
      remaining: count('x-ratelimit-remaining', readHeader(headers, 'x-ratelimit-remaining'), rejected, 0),
      resetMs:
        resetAfter !== undefined
          ? seconds('x-ratelimit-reset-after', resetAfter, rejected, wallNow, false)
          : seconds('x-ratelimit-reset', readHeader(headers, 'x-ratelimit-reset'), rejected, wallNow, true),
      resource: readHeader(headers, 'x-ratelimit-resource'),
      rejected,
    };
  } else if (policies.length > 0) {
    reading = { dialect: 'ietf', rejected };
  }
  if (!reading) return rejected.length > 0 ? { dialect: 'ietf', rejected } : undefined;

  // A policy alone (draft-6/7 send it beside the limit) gives the window of the limit.
  if (!reading.policy && policies.length > 0) {
    const policy = policies.find((p) => p.requests === reading.limit) ?? policies[0];
    reading.policy = { requests: policy.requests, windowMs: policy.windowMs };
  }
  const quota = reading.policy?.requests ?? reading.limit;
  if (quota !== undefined && reading.remaining !== undefined && reading.remaining > quota) {
    rejected.push(`remaining ${reading.remaining} above limit ${quota}`);
    reading.remaining = undefined;
  }
  if (reading.policy && reading.limit !== undefined && reading.limit !== reading.policy.requests) {
    rejected.push(`limit ${reading.limit} contradicts policy ${reading.policy.requests}`);
    reading.limit = undefined;
  }
  return reading;
}

/** One pass over the names: is any of them a rate-limit header? */
function hasRateLimitHeader(headers: HeadersLike): boolean {
  if (!headers) return false;
  // AxiosHeaders keeps each header as an own enumerable property (its methods are not enumerable).
  for (const name in headers) {
    if (name.length >= 9 && /ratelimit/i.test(name)) return true;
  }
  return false;
}
