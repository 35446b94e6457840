/**
 * Which keys a request counts against: its app, its token, its endpoint bucket. Kept apart from the axios
 * wiring so that learning from a response (learn-from-response.ts) can put a route in a bucket.
 */
import type { InternalAxiosRequestConfig } from 'axios';
import type { GuardContext } from './guarded-adapter.js';
import { hashToken } from './hash.js';
import { readHeader } from './parse-429.js';
import { bucketLabel, learnedBucketName, lruGet, lruSet, matchRoute, MAX_BUCKET_KEYS, MAX_LEARNED_ROUTES, routeSignature, withBucket } from './routes.js';
import type { KeySpec } from './store.js';

/** Token keys cached by the raw token (never exposed), so a busy token is not re-hashed per request. */
const TOKEN_KEY_CACHE_SIZE = 1000;

/**
 * The keys a request counts against: the client key, then its token key when it carries a token, then its
 * endpoint bucket when it has one (configured, or learned from the server). Without routes and with no
 * bucket learned, this is the app and token keys alone, with no lookup of its own.
 */
export function keysFor(ctx: GuardContext, config: InternalAxiosRequestConfig, perRequest = config.rateGuard): readonly KeySpec[] {
  const base = baseKeysFor(ctx, config, perRequest?.token);
  if (ctx.options.routes === undefined && ctx.learnedRoutes.size === 0) return base;
  const route = ctx.options.routes && matchRoute(ctx.options.routes, config);
  if (route) return bucketKeys(ctx, base, route.per === 'token' ? base[base.length - 1].id : ctx.options.clientId, route.name, route.limits);
  if (ctx.learnedRoutes.size === 0) return base;
  const name = lruGet(ctx.learnedRoutes, routeSignature(config));
  return name === undefined ? base : bucketKeys(ctx, base, base[base.length - 1].id, `~${bucketLabel(name)}`, NO_LIMITS);
}

const NO_LIMITS = {};

/** `base` with the bucket `<owner>|b:<label>` last (positions 0 and 1 keep their meaning: app, token). */
function bucketKeys(ctx: GuardContext, base: readonly KeySpec[], owner: string, label: string, limits: KeySpec['limits']): readonly KeySpec[] {
  const id = `${owner}|b:${label}`;
  const cacheKey = `${base[base.length - 1].id} ${id}`;
  let keys = lruGet(ctx.bucketKeys, cacheKey);
  if (!keys) {
    // Not adaptive: a bucket's limits are the ones configured or stated by its headers; the app key still learns.
    const bucket: KeySpec = { id, level: 'bucket', limits, marginMs: ctx.options.marginMs, adaptive: false };
    keys = withBucket(base, bucket);
    lruSet(ctx.bucketKeys, cacheKey, keys, MAX_BUCKET_KEYS);
  }
  return keys;
}

/**
 * The bucket a response puts its request in, if any: the request's own (configured or learned), or the
 * one the response names (GitHub's resource, Discord's bucket), which its route then joins. Undefined when
 * there is none.
 */
export function bucketOf(
  ctx: GuardContext,
  config: InternalAxiosRequestConfig,
  keys: readonly KeySpec[],
  reading: { resource?: string; bucket?: string } | undefined,
): KeySpec | undefined {
  const own = keys[keys.length - 1].level === 'bucket' ? keys[keys.length - 1] : undefined;
  const named = learnedBucketName(reading);
  if (named === undefined || (own && !own.id.includes('|b:~'))) return own; // a configured route keeps its bucket
  if (own && own.id.endsWith(`|b:~${bucketLabel(named)}`)) return own;
  lruSet(ctx.learnedRoutes, routeSignature(config), named, MAX_LEARNED_ROUTES);
  const learned = keysFor(ctx, config);
  return learned[learned.length - 1];
}

/** The token key among `keys`, if the request has one. */
export function tokenKeyOf(keys: readonly KeySpec[]): KeySpec | undefined {
  return keys[1]?.level === 'token' ? keys[1] : undefined;
}

/** The client key, then the token key when the request carries a token (`explicit`: its rateGuard.token). */
function baseKeysFor(ctx: GuardContext, config: InternalAxiosRequestConfig, explicit: string | undefined): readonly KeySpec[] {
  const { options } = ctx;
  const token = explicit ?? (options.tokenKey ? options.tokenKey(config) : readHeader(config.headers, 'authorization', 'Authorization'));
  if (!token) return ctx.clientOnly;
  let keys = ctx.tokenKeys.get(token);
  if (!keys) {
    if (ctx.tokenKeys.size >= TOKEN_KEY_CACHE_SIZE) ctx.tokenKeys.clear();
    const tokenKey: KeySpec = {
      id: `${options.clientId}|t:${hashToken(token)}`,
      level: 'token',
      limits: options.tokenLimits,
      marginMs: options.marginMs,
      adaptive: options.adaptive,
    };
    keys = [ctx.clientKey, tokenKey];
    ctx.tokenKeys.set(token, keys);
  }
  return keys;
}

