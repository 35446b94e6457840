/**
 * The rate-limit header normalizer: every dialect servers use to advertise their quota, read from any
 * response into one shape. Pure functions, headers and the wall clock in; values that are malformed,
 * negative, absurd or contradictory are left out and listed in `rejected`, never trusted into a zero or
 * infinite limit.
 *
 * Dialects, in the order they are recognised (the first present wins):
 * - OpenAI `x-ratelimit-{limit,remaining,reset}-{requests,tokens}` (dialects/openai.ts);
 * - Anthropic `anthropic-ratelimit-*` (dialects/anthropic.ts);
 * - Shopify REST `X-Shopify-Shop-Api-Call-Limit` (dialects/shopify.ts);
 * - HubSpot `X-HubSpot-RateLimit-*` (dialects/hubspot.ts);
 * - IETF structured fields (draft-ietf-httpapi-ratelimit-headers-08 and later): `RateLimit-Policy:
 *   "default";q=100;w=60` and `RateLimit: "default";r=50;t=30`, with `pk` partitions, the proposed `a` for
 *   `r` and `w` for `t` in RateLimit, and Atlassian's `Beta-` prefix;
 * - draft-7 combined `RateLimit: limit=100, remaining=50, reset=5` with `RateLimit-Policy: 100;w=60`;
 * - draft-6 `RateLimit-Limit` / `RateLimit-Remaining` / `RateLimit-Reset` (+ `RateLimit-Policy: 100;w=60`);
 * - `X-RateLimit-Limit` / `-Remaining` / `-Reset` (GitHub, fastify, express legacy, Discord, Atlassian:
 *   the reset as seconds or an ISO 8601 timestamp), `X-RateLimit-Reset-After`, GitHub's
 *   `x-ratelimit-resource`, Discord's `-Bucket` and `-Scope`;
 * - `X-Rate-Limit` / `X-Rate-Limit-Remaining` (Zendesk), `x-rate-limit-{limit,remaining,reset}` (X).
 * Atlassian's `X-RateLimit-NearLimit` and `RateLimit-Reason` are reported beside any of them.
 * Epoch or delta: see EPOCH_SECONDS_THRESHOLD in time-values.ts (above 10⁹ seconds is an epoch).
 */
import { isAnthropic, readAnthropic } from './dialects/anthropic.js';
import { count, type HeaderMap } from './dialects/common.js';
import { isHubSpot, readHubSpot } from './dialects/hubspot.js';
import { isOpenAI, readOpenAI } from './dialects/openai.js';
import { readShopify, SHOPIFY_HEADER } from './dialects/shopify.js';
import { isXRateLimit, readXRateLimit } from './dialects/x-rate-limit.js';
import type { HeadersLike } from './parse-429.js';
import { deltaSecondsToMs, epochOrDeltaSecondsToMs, timestampToMs } from './time-values.js';

export interface QuotaPolicy {
  /** Requests allowed per window. */
  requests: number;
  /** Window in ms. */
  windowMs: number;
}

/** A quota reported beside the one that paces requests (OpenAI's tokens, HubSpot's daily quota). */
export interface ReportedQuota {
  /** `tokens`, `input-tokens`, `daily`, `bucket`… as the server names it. */
  name: string;
  limit?: number;
  remaining?: number;
  /** Ms until it resets, when the server said. */
  resetMs?: number;
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
  /** GitHub's `x-ratelimit-resource` (core, search…): for events, and any but core is an endpoint bucket. */
  resource?: string;
  /** Other quotas the server reported (tokens, daily), for events and logs. */
  quotas?: ReportedQuota[];
  /** When `remaining`/`resetMs` are those of a spent quota other than the request quota: its name. */
  binding?: string;
  /** Atlassian's `X-RateLimit-NearLimit: true`: less than 20 % of the budget is left. */
  nearLimit?: boolean;
  /** Atlassian's `RateLimit-Reason`: which limit it is (`jira-burst-based`, `jira-quota-tenant-based`…). */
  reason?: string;
  /** Discord's `X-RateLimit-Bucket` (the route's endpoint bucket, see routes.ts) and `X-RateLimit-Scope`. */
  bucket?: string;
  scope?: string;
  dialect: 'ietf' | 'ietf-draft7' | 'ietf-draft6' | 'x-ratelimit' | 'x-rate-limit' | 'openai' | 'anthropic' | 'shopify' | 'hubspot';
  /** Values present but unusable. */
  rejected: string[];
}

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

function seconds(label: string, raw: string | undefined, rejected: string[], wallNow: number, epochAllowed: boolean): number | undefined {
  if (raw === undefined) return undefined;
  const ms = epochAllowed ? epochOrDeltaSecondsToMs(raw, wallNow) : deltaSecondsToMs(raw);
  if (ms === undefined) rejected.push(`${label}: ${raw}`);
  return ms;
}

type NamedPolicy = QuotaPolicy & { name: string; pk?: string };

/** `RateLimit-Policy` members: `"name";q=100;w=60;pk=:…:` (draft-8+) or `100;w=60` (draft-6/7). */
function readPolicies(raw: string, rejected: string[]): NamedPolicy[] {
  const policies: NamedPolicy[] = [];
  for (const item of parseList(raw)) {
    const quota = item.params.q ?? (/^\d+$/.test(item.name) ? item.name : undefined);
    const requests = count('ratelimit-policy q', quota, rejected, 1);
    const windowMs = item.params.w === undefined ? undefined : seconds('ratelimit-policy w', item.params.w, rejected, 0, false);
    if (requests !== undefined && windowMs !== undefined && windowMs > 0) {
      policies.push({ name: item.name, requests, windowMs, pk: item.params.pk });
    }
  }
  return policies;
}

/**
 * draft-8 and later: items named like the policies, with `r` (remaining) and `t` (seconds to reset), or as
 * proposed in the working group (ietf-wg-httpapi/ratelimit-headers#164) `a` (available quota) and `w` (its
 * effective window, the `t` of today). Several quotas under one header (names, or `pk` partitions of one
 * name): the one with the fewest remaining is the most constraining and binds; its policy is the one of the
 * same name and partition.
 */
function readStructured(combined: string, policies: NamedPolicy[], wallNow: number, rejected: string[]): QuotaReading {
  let binding: { remaining?: number; resetMs?: number; item: Item } | undefined;
  for (const item of parseList(combined)) {
    const remainingRaw = item.params.r ?? item.params.a;
    const remaining = count(`ratelimit ${item.params.r === undefined ? 'a' : 'r'}`, remainingRaw, rejected, 0);
    const resetMs =
      item.params.t !== undefined
        ? seconds('ratelimit t', item.params.t, rejected, wallNow, false)
        : seconds('ratelimit w', item.params.w, rejected, wallNow, false);
    if (remaining !== undefined && (binding?.remaining === undefined || remaining < binding.remaining)) {
      binding = { remaining, resetMs, item };
    }
  }
  const reading: QuotaReading = { dialect: 'ietf', remaining: binding?.remaining, resetMs: binding?.resetMs, rejected };
  const item = binding?.item;
  const named = item && policies.filter((p) => p.name === item.name);
  const policy = (named && (named.find((p) => p.pk !== undefined && p.pk === item.params.pk) ?? named[0])) ?? policies[0];
  if (policy) reading.policy = { requests: policy.requests, windowMs: policy.windowMs };
  return reading;
}

/** The IETF family (structured fields, draft-7, draft-6), GitHub-style X-RateLimit, and the rest. */
function readGeneric(h: HeaderMap, wallNow: number, rejected: string[]): QuotaReading | undefined {
  const policyRaw = h.get('ratelimit-policy') ?? h.get('beta-ratelimit-policy');
  const policies = policyRaw ? readPolicies(policyRaw, rejected) : [];
  const combined = h.get('ratelimit') ?? h.get('beta-ratelimit');
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
    reading = readStructured(combined, policies, wallNow, rejected);
  } else if (h.has('ratelimit-limit') || h.has('ratelimit-remaining')) {
    reading = {
      dialect: 'ietf-draft6',
      limit: count('ratelimit-limit', h.get('ratelimit-limit'), rejected, 1),
      remaining: count('ratelimit-remaining', h.get('ratelimit-remaining'), rejected, 0),
      resetMs: seconds('ratelimit-reset', h.get('ratelimit-reset'), rejected, wallNow, true),
      rejected,
    };
  } else if (h.has('x-ratelimit-limit') || h.has('x-ratelimit-remaining')) {
    const resetAfter = h.get('x-ratelimit-reset-after');
    const reset = h.get('x-ratelimit-reset');
    reading = {
      dialect: 'x-ratelimit',
      limit: count('x-ratelimit-limit', h.get('x-ratelimit-limit'), rejected, 1),
      remaining: count('x-ratelimit-remaining', h.get('x-ratelimit-remaining'), rejected, 0),
      resetMs:
        resetAfter !== undefined
          ? seconds('x-ratelimit-reset-after', resetAfter, rejected, wallNow, false)
          : reset !== undefined && /^\d{4}-/.test(reset)
            ? timestamp('x-ratelimit-reset', reset, rejected, wallNow) // Atlassian: ISO 8601
            : seconds('x-ratelimit-reset', reset, rejected, wallNow, true),
      resource: h.get('x-ratelimit-resource'),
      rejected,
    };
  } else if (isXRateLimit(h)) {
    return readXRateLimit(h, wallNow, rejected);
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

function timestamp(label: string, raw: string, rejected: string[], wallNow: number): number | undefined {
  const ms = timestampToMs(raw, wallNow);
  if (ms === undefined) rejected.push(`${label}: ${raw}`);
  return ms;
}

/**
 * Reads the quota a response advertises, or undefined when it carries no rate-limit header at all (the
 * common case, checked with one pass over the header names).
 */
export function readRateLimitHeaders(headers: HeadersLike, now: number | { wallNow(): number }): QuotaReading | undefined {
  const h = collectRateLimitHeaders(headers);
  if (!h) return undefined;
  const wallNow = typeof now === 'number' ? now : now.wallNow();
  const rejected: string[] = [];
  const reading = isOpenAI(h)
    ? readOpenAI(h, rejected)
    : isAnthropic(h)
      ? readAnthropic(h, wallNow, rejected)
      : h.has(SHOPIFY_HEADER)
        ? readShopify(h, rejected)
        : isHubSpot(h)
          ? readHubSpot(h, rejected)
          : readGeneric(h, wallNow, rejected);
  if (!reading) return undefined;
  const nearLimit = h.get('x-ratelimit-nearlimit') ?? h.get('x-beta-ratelimit-nearlimit');
  if (nearLimit !== undefined) reading.nearLimit = nearLimit.toLowerCase() === 'true';
  const reason = h.get('ratelimit-reason') ?? h.get('x-ratelimit-reason') ?? h.get('x-beta-ratelimit-reason');
  if (reason) reading.reason = reason;
  const bucket = h.get('x-ratelimit-bucket');
  if (bucket) reading.bucket = bucket;
  const scope = h.get('x-ratelimit-scope');
  if (scope) reading.scope = scope;
  return reading;
}

/** Header names any dialect uses: `ratelimit`, `rate-limit` anywhere in the name, or Shopify's call limit. */
const RATE_LIMIT_NAME = /rate-?limit|shop-api-call-limit/i;

/**
 * One pass over the names: the rate-limit headers by lower-case name, or undefined when there are none (the
 * common case; nothing is allocated then). Every dialect then looks its headers up in this small map.
 */
export function collectRateLimitHeaders(headers: HeadersLike): Map<string, string> | undefined {
  if (!headers) return undefined;
  let found: Map<string, string> | undefined;
  // AxiosHeaders keeps each header as an own enumerable property (its methods are not enumerable).
  for (const name in headers) {
    if (name.length < 9 || !RATE_LIMIT_NAME.test(name)) continue;
    let value = (headers as Record<string, unknown>)[name];
    if (Array.isArray(value)) value = value[0];
    if (value === undefined || value === null || value === false) continue;
    (found ??= new Map()).set(name.toLowerCase(), String(value).trim());
  }
  return found;
}
