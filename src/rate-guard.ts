import type { InternalAxiosRequestConfig } from 'axios';
import { GuardAdapters, type GuardContext, type GuardCounters } from './guarded-adapter.js';
import { MemoryStore } from './memory-store.js';
import { normalizeOptions, type RateGuardOptions } from './options.js';
import { processRegistry } from './process-registry.js';
import { schedulerFor } from './scheduler.js';
import type { KeySnapshot, KeySpec, RateLimitStore } from './store.js';

/**
 * The part of an axios instance the guard uses. Structural, so that instances typed by axios's ESM or
 * CommonJS declarations, and the default `axios` export, are all accepted. `onRejected` takes a function
 * as well as null: axios 1.7.0–1.7.7's CommonJS declarations (index.d.cts) do not accept null there.
 */
export interface GuardableAxios {
  interceptors: {
    request: {
      use(
        onFulfilled: (config: InternalAxiosRequestConfig) => InternalAxiosRequestConfig,
        onRejected?: ((error: unknown) => unknown) | null,
        options?: { synchronous?: boolean },
      ): number;
      eject(id: number): void;
    };
  };
}

export interface KeyStats extends KeySnapshot {
  /** Requests waiting on this key (queued or paused). */
  queued: number;
  /** Those, per priority: `high`, `normal`, `low` or the class number; priorities with none are left out. */
  queuedByPriority: Record<string, number>;
}

export interface RateGuardStats {
  clientId: string;
  /** Calls that went through this guard. */
  calls: number;
  /** Attempts sent to the server (calls + replays). */
  attempts: number;
  /** Throttled responses (429s) received. */
  throttled: number;
  replays: number;
  /** Calls that failed with a RateLimitError. */
  failures: number;
  /** The client key and every token key of this clientId held by the store. */
  keys: KeyStats[];
}

export interface RateGuard {
  readonly clientId: string;
  readonly store: RateLimitStore;
  /** Per-key state and this guard's counters. */
  stats(): Promise<RateGuardStats>;
  /**
   * Ends every pause and quota hold of this clientId (its app key and all its tokens), in the store shared
   * by every guard of it, and lets their waiting requests go. For an operator who knows the server's wait
   * was wrong; returns how many keys were held.
   */
  resume(): Promise<number>;
  /** Removes the interceptor. Requests already inside the guard finish as they would have. */
  detach(): void;
}

const GUARDED = Symbol.for('axios-rate-guard.guarded');

/**
 * The store used when none is given: one per process, so that every instance with the same clientId shares
 * its limits. It holds no configuration (limits travel with each request), so sharing it is safe. With both
 * builds loaded it may be the other build's MemoryStore: the same class, but not `instanceof` this one.
 */
export function defaultStore(): MemoryStore {
  const registry = processRegistry();
  return (registry.defaultStore ??= new MemoryStore()) as MemoryStore;
}

/**
 * Attaches the guard to an axios instance (or the default `axios` export): every request is gated by the
 * limits of its client_id and token, and a throttled request pauses its key and is replayed.
 */
export function rateGuard(instance: GuardableAxios, options: RateGuardOptions = {}): RateGuard {
  if (!instance?.interceptors?.request) {
    throw new TypeError('rateGuard(instance): expected an axios instance or the axios default export');
  }
  const marked = instance as GuardableAxios & { [GUARDED]?: boolean };
  if (marked[GUARDED]) {
    throw new Error('rateGuard: this axios instance already has a guard; call detach() on it first');
  }
  const resolved = normalizeOptions(options);
  const store = resolved.store ?? defaultStore();
  const counters: GuardCounters = { calls: 0, attempts: 0, throttled: 0, replays: 0, failures: 0 };
  const clientKey: KeySpec = {
    id: resolved.clientId,
    level: 'client',
    limits: resolved.clientLimits,
    marginMs: resolved.marginMs,
    adaptive: resolved.adaptive,
  };
  const context: GuardContext = {
    options: resolved,
    store,
    scheduler: schedulerFor(store),
    clientKey,
    clientOnly: [clientKey],
    tokenKeys: new Map(),
    learnedRoutes: new Map(),
    bucketKeys: new Map(),
    counters,
  };
  const adapters = new GuardAdapters(context);
  const id = instance.interceptors.request.use(
    (config) => adapters.route(config),
    null,
    // Synchronous: it only installs the adapter, so axios keeps its faster synchronous interceptor path.
    { synchronous: true },
  );
  marked[GUARDED] = true;
  let attached = true;

  return {
    clientId: resolved.clientId,
    store,
    async stats() {
      const snapshots = await store.snapshot(resolved.clientId);
      const tokenPrefix = `${resolved.clientId}|`;
      return {
        clientId: resolved.clientId,
        ...counters,
        keys: snapshots
          .filter((s) => s.key === resolved.clientId || s.key.startsWith(tokenPrefix))
          .map((s) => ({ ...s, queued: context.scheduler.queued(s.key), queuedByPriority: context.scheduler.queuedByPriority(s.key) })),
      };
    },
    async resume() {
      const resumed = (await store.resume?.(resolved.clientId)) ?? 0;
      context.scheduler.resumed(resolved.clientId);
      return resumed;
    },
    detach() {
      if (!attached) return;
      attached = false;
      instance.interceptors.request.eject(id);
      delete marked[GUARDED];
    },
  };
}
