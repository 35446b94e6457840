/**
 * Endpoint buckets: requests that also count against a bucket of their own, beside the app and token keys.
 *
 * - Configured (`routes` option): a method and a URL pattern (a prefix of `config.url`, a RegExp tested on
 *   it, or a predicate of the config) with limits of their own.
 * - Learned: a response that names its bucket (GitHub's `x-ratelimit-resource` other than `core`, Discord's
 *   `X-RateLimit-Bucket`) puts its route (method and path, id-like segments folded) in that bucket, and the
 *   route's later requests count against it with the limits its headers state. Routes and learned buckets
 *   are bounded (least recently used dropped), and bucket names from a server are hashed unless short and
 *   plain, so nothing of a response grows memory or reaches a key unchecked.
 */
import type { InternalAxiosRequestConfig } from 'axios';
import { hashToken } from './hash.js';
import type { KeySpec, LimitSpec } from './store.js';

export interface RouteSpec {
  /** The bucket's name, in its key (`<clientId>|b:<name>`), stats and events. */
  name: string;
  /** Methods it applies to (any case). @default every method */
  method?: string | readonly string[];
  /**
   * Which requests: a string is a prefix of `config.url` as the request gives it (relative to `baseURL`
   * when it has one), a RegExp is tested on `config.url`, a function gets the config after every request
   * interceptor has run.
   */
  match: string | RegExp | ((config: InternalAxiosRequestConfig) => boolean);
  /** The bucket's own rate and concurrency. @default none (the server's headers may still state them) */
  limits?: LimitSpec;
  /** One bucket for the app, or one per token (GitHub's search quota is per user). @default 'client' */
  per?: 'client' | 'token';
}

export interface ResolvedRoute {
  readonly name: string;
  readonly methods: ReadonlySet<string> | undefined;
  readonly test: (url: string, config: InternalAxiosRequestConfig) => boolean;
  readonly limits: LimitSpec;
  readonly per: 'client' | 'token';
}

/** Routes learned from servers, and bucket key lists, kept at most (least recently used dropped). */
export const MAX_LEARNED_ROUTES = 1000;
export const MAX_BUCKET_KEYS = 1000;

const PLAIN_NAME = /^[A-Za-z0-9_.-]{1,40}$/;

/** A server's bucket name as it may appear in a key: itself when short and plain, else hashed. */
export function bucketLabel(serverName: string): string {
  return PLAIN_NAME.test(serverName) ? serverName : `#${hashToken(serverName)}`;
}

/** GitHub names `core` on every REST answer: that is the app's (token's) quota, not an endpoint's. */
export function learnedBucketName(reading: { resource?: string; bucket?: string } | undefined): string | undefined {
  if (!reading) return undefined;
  if (reading.bucket) return reading.bucket;
  const resource = reading.resource;
  return resource && resource.toLowerCase() !== 'core' ? resource : undefined;
}

const ID_SEGMENT = /\/(?:\d+|[0-9a-f]{16,}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?=\/|$)/gi;

/** The route of a request for learned buckets: method and path, query dropped, id-like segments folded. */
export function routeSignature(config: InternalAxiosRequestConfig): string {
  const url = config.url ?? '';
  const query = url.indexOf('?');
  const path = (query === -1 ? url : url.slice(0, query)).replace(ID_SEGMENT, '/:id');
  return `${(config.method ?? 'get').toUpperCase()} ${path}`;
}

export function resolveRoutes(routes: readonly RouteSpec[] | undefined, checkLimits: (name: string, limits: LimitSpec | undefined) => LimitSpec): ResolvedRoute[] | undefined {
  if (routes === undefined) return undefined;
  if (!Array.isArray(routes)) throw new TypeError(`Expected \`routes\` to be a list of { name, match, method?, limits?, per? }, got ${typeof routes}`);
  const names = new Set<string>();
  const resolved = routes.map((route: RouteSpec, i): ResolvedRoute => {
    const where = `routes[${i}]`;
    if (typeof route !== 'object' || route === null) throw new TypeError(`Expected \`${where}\` to be an object, got ${String(route)}`);
    if (typeof route.name !== 'string' || !PLAIN_NAME.test(route.name)) {
      throw new TypeError(`Expected \`${where}.name\` to be 1 to 40 letters, digits, '_', '.' or '-', got ${JSON.stringify(route.name)}`);
    }
    if (names.has(route.name)) throw new TypeError(`\`${where}.name\` "${route.name}" is used by another route`);
    names.add(route.name);
    const { match } = route;
    let test: ResolvedRoute['test'];
    if (typeof match === 'string') test = (url) => url.startsWith(match);
    else if (match instanceof RegExp) {
      const pattern = match.global || match.sticky ? new RegExp(match.source, match.flags.replace(/[gy]/g, '')) : match;
      test = (url) => pattern.test(url);
    } else if (typeof match === 'function') test = (_url, config) => match(config) === true;
    else throw new TypeError(`Expected \`${where}.match\` to be a string, a RegExp or a function, got ${typeof match}`);
    const listed: readonly unknown[] = route.method === undefined ? [] : Array.isArray(route.method) ? route.method : [route.method];
    const methods = route.method === undefined ? undefined : new Set<string>(listed.map((m) => String(m).toUpperCase()));
    if (route.per !== undefined && route.per !== 'client' && route.per !== 'token') {
      throw new TypeError(`Expected \`${where}.per\` to be 'client' or 'token', got ${String(route.per)}`);
    }
    return { name: route.name, methods, test, limits: checkLimits(`${where}.limits`, route.limits), per: route.per ?? 'client' };
  });
  return resolved.length > 0 ? resolved : undefined;
}

/** The first configured route a request matches. */
export function matchRoute(routes: readonly ResolvedRoute[], config: InternalAxiosRequestConfig): ResolvedRoute | undefined {
  const url = config.url ?? '';
  let method: string | undefined;
  for (const route of routes) {
    if (route.methods && !route.methods.has((method ??= (config.method ?? 'get').toUpperCase()))) continue;
    try {
      if (route.test(url, config)) return route;
    } catch {
      // a predicate that throws does not match
    }
  }
  return undefined;
}

/** A Map used as a small LRU: a hit moves the entry to the end, an insertion past `max` drops the oldest. */
export function lruGet<K, V>(map: Map<K, V>, key: K): V | undefined {
  const value = map.get(key);
  if (value !== undefined && map.size > 1) {
    map.delete(key);
    map.set(key, value);
  }
  return value;
}

export function lruSet<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) map.delete(map.keys().next().value as K);
}

/** The keys of a request with its bucket last: [app, token?, bucket]. Positions 0 and 1 keep their meaning. */
export function withBucket(base: readonly KeySpec[], bucket: KeySpec): readonly KeySpec[] {
  return [...base, bucket];
}
