import { systemClock, type Clock } from '../clock.js';
import type { RedisClientLike } from './client.js';

/** Redis stopped answering: from now on this process limits on its own (unless fail-closed). */
export interface RedisFallbackEvent {
  /** The failure that started it: a Redis error, or a RedisTimeoutError. */
  error: unknown;
}

/** Redis answers again: limits, pauses and learned values are shared again. */
export interface RedisRecoverEvent {
  /** How long the store limited locally, in ms. */
  downMs: number;
}

export interface RedisStoreOptions {
  /** A connected ioredis (v5) client or node-redis (v4 or later) client. The store never closes it. */
  client: RedisClientLike;
  /** Put before every Redis key the store writes. @default 'rate-guard:' */
  prefix?: string;
  /** Longest wait for one Redis answer, in ms; longer counts as Redis being down. @default 250 */
  callTimeoutMs?: number;
  /**
   * How long an in-flight slot survives without renewal, in ms: a process that dies mid-request holds its
   * slots at most this long. Live processes renew every third of it, all their leases in one call.
   * @default 10_000
   */
  leaseTtlMs?: number;
  /**
   * A request refused because another process holds the slot (or the window entry is still in flight) looks
   * again after at most this long, in ms: releases in other processes are not announced. @default 50
   */
  pollIntervalMs?: number;
  /** Keys with no activity, nothing in flight and no pause for this long expire from Redis. @default 300_000 */
  idleTtlMs?: number;
  /**
   * When Redis is down: `false` limits this process alone with an in-memory store until Redis answers again;
   * `true` rejects each request at once with RedisUnavailableError (it is not sent). @default false
   */
  failClosed?: boolean;
  /** While Redis is down, how often it is tried again, in ms. @default 1000 */
  probeIntervalMs?: number;
  /** Called once when the store stops using Redis. A hook that throws is ignored. */
  onFallback?: (event: RedisFallbackEvent) => void;
  /** Called once when the store uses Redis again. A hook that throws is ignored. */
  onRecover?: (event: RedisRecoverEvent) => void;
  /** Local time, timers and randomness (Redis's TIME decides windows and pauses). @default systemClock */
  clock?: Clock;
  /** @internal For tests: ms added to the Redis server's time in every script, to move time without sleeping. */
  timeShiftMs?: () => number;
  /** @internal For tests: the time every script uses instead of the Redis server's (e.g. a fake clock's). */
  serverTimeMs?: () => number;
}

export interface ResolvedRedisStoreOptions {
  client: RedisClientLike;
  prefix: string;
  callTimeoutMs: number;
  leaseTtlMs: number;
  pollIntervalMs: number;
  idleTtlMs: number;
  failClosed: boolean;
  probeIntervalMs: number;
  onFallback: ((event: RedisFallbackEvent) => void) | undefined;
  onRecover: ((event: RedisRecoverEvent) => void) | undefined;
  clock: Clock;
  /** ARGV[1] of every script: a shift of the server's time in ms, or '=<ms>' to replace it. */
  timeArg: () => string;
}

export const REDIS_STORE_DEFAULTS = {
  prefix: 'rate-guard:',
  callTimeoutMs: 250,
  leaseTtlMs: 10_000,
  pollIntervalMs: 50,
  idleTtlMs: 300_000,
  failClosed: false,
  probeIntervalMs: 1000,
} as const;

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`RedisStore: expected \`${name}\` to be a number of ms above 0, got ${String(value)}`);
  }
  return value;
}

function timeArg({ timeShiftMs, serverTimeMs }: RedisStoreOptions): () => string {
  if (serverTimeMs) return () => `=${serverTimeMs()}`;
  if (timeShiftMs) return () => String(timeShiftMs());
  return () => '0';
}

export function normalizeRedisStoreOptions(options: RedisStoreOptions): ResolvedRedisStoreOptions {
  if (!options || typeof options !== 'object' || !options.client) {
    throw new TypeError('RedisStore: expected options with a `client` (an ioredis or node-redis client)');
  }
  const prefix = options.prefix ?? REDIS_STORE_DEFAULTS.prefix;
  if (typeof prefix !== 'string') throw new TypeError(`RedisStore: expected \`prefix\` to be a string, got ${typeof prefix}`);
  return {
    client: options.client,
    prefix,
    callTimeoutMs: positive('callTimeoutMs', options.callTimeoutMs, REDIS_STORE_DEFAULTS.callTimeoutMs),
    leaseTtlMs: positive('leaseTtlMs', options.leaseTtlMs, REDIS_STORE_DEFAULTS.leaseTtlMs),
    pollIntervalMs: positive('pollIntervalMs', options.pollIntervalMs, REDIS_STORE_DEFAULTS.pollIntervalMs),
    idleTtlMs: positive('idleTtlMs', options.idleTtlMs, REDIS_STORE_DEFAULTS.idleTtlMs),
    failClosed: options.failClosed ?? REDIS_STORE_DEFAULTS.failClosed,
    probeIntervalMs: positive('probeIntervalMs', options.probeIntervalMs, REDIS_STORE_DEFAULTS.probeIntervalMs),
    onFallback: options.onFallback,
    onRecover: options.onRecover,
    clock: options.clock ?? systemClock,
    timeArg: timeArg(options),
  };
}
