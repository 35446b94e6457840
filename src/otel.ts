// axios-rate-guard/otel: the guard's throttles, pauses, replays, waits, queues and limits as OpenTelemetry
// metrics. Only types come from @opentelemetry/api: the caller hands us its Meter (or MeterProvider), so this
// entry loads nothing of OpenTelemetry at run time, and the main entry knows nothing of it.
import type {
  BatchObservableResult,
  Counter,
  Histogram,
  Meter,
  MeterProvider,
  ObservableGauge,
  ObservableUpDownCounter,
} from '@opentelemetry/api';
import type { RateGuardHooks } from './events.js';
import type { RateGuardOptions } from './options.js';
import {
  ATTR,
  PAUSE_BUCKETS_S,
  WAIT_BUCKETS_S,
  attributesId,
  keyAttributes,
  methodAttribute,
  serverAttributes,
  type Attributes,
} from './otel-attributes.js';
import { WaitTimer } from './otel-wait.js';
import type { GuardableAxios, KeyStats, RateGuard } from './rate-guard.js';
import type { LimitSpec } from './store.js';

export { ATTR as TELEMETRY_ATTRIBUTES } from './otel-attributes.js';

/** The instrumentation scope name given to `meterProvider.getMeter`. */
export const METER_NAME = 'axios-rate-guard';

/** The metric names (README, OpenTelemetry). */
export const METRICS = {
  throttles: 'rate_guard.throttles',
  pauseDuration: 'rate_guard.pause.duration',
  replays: 'rate_guard.replays',
  limitChanges: 'rate_guard.limit.changes',
  waitDuration: 'rate_guard.wait.duration',
  queued: 'rate_guard.queued_requests',
  active: 'rate_guard.active_requests',
  pauseRemaining: 'rate_guard.pause.remaining',
  limitRequests: 'rate_guard.limit.requests',
  limitConcurrent: 'rate_guard.limit.concurrent',
} as const;

export interface RateGuardTelemetryOptions {
  /** The Meter to record with, e.g. `metrics.getMeter('my-app')`. Give this or `meterProvider`. */
  meter?: Meter;
  /** A MeterProvider to take a Meter named `axios-rate-guard` from. */
  meterProvider?: MeterProvider;
  /**
   * Put the key (`rate_guard.key.id`: the clientId, and the token hashed) on per-key metrics. With many
   * tokens that is one series per token; `false` keeps only `rate_guard.key.level` and the observed gauges
   * sum (queues, in flight) or take the strictest (limits) or the longest (pauses) over the keys of a level.
   * @default true
   */
  keyAttribute?: boolean;
  /** Clock for waits, in ms. @default performance.now (Date.now where there is none) */
  now?: () => number;
}

/** The hooks this records with; spread them into rateGuard's options, or use {@link RateGuardTelemetry.withHooks}. */
export type TelemetryHooks = Required<Pick<RateGuardHooks, 'onRateLimited' | 'onPause' | 'onRetry' | 'onLimitLearned'>>;

export interface RateGuardTelemetry {
  /** Records throttles, pauses, replays and limit changes. */
  readonly hooks: TelemetryHooks;
  /** `options` with these hooks added to its own (both are called; one that throws does not stop the other). */
  withHooks(options?: RateGuardOptions): RateGuardOptions;
  /** Reports the guard's queues, requests in flight, pauses and limits per key at each collection; returns what stops it. */
  observe(guard: RateGuard): () => void;
  /**
   * Measures how long each request waits in the guard before it is sent (`rate_guard.wait.duration`): call it
   * after `rateGuard(instance, …)`. Returns what removes it.
   */
  instrument(instance: GuardableAxios): () => void;
}

const s = (ms: number) => ms / 1000;

/** Each hook of `extra` runs after the hook of `own` of the same name; a throw in one does not skip the other. */
export function combineHooks<T extends RateGuardHooks>(own: T, extra: RateGuardHooks): T & RateGuardHooks {
  const combined: RateGuardHooks = { ...own };
  for (const name of ['onRateLimited', 'onPause', 'onRetry', 'onLimitLearned', 'onDebug'] as const) {
    const first = own[name] as ((event: unknown) => void) | undefined;
    const second = extra[name] as ((event: unknown) => void) | undefined;
    if (!second) continue;
    (combined as Record<string, unknown>)[name] = !first
      ? second
      : (event: unknown) => {
          try {
            first(event);
          } finally {
            second(event);
          }
        };
  }
  return combined as T & RateGuardHooks;
}

/** Creates the instruments on the caller's Meter. Nothing is recorded until the hooks are used or a guard observed. */
export function rateGuardTelemetry(options: RateGuardTelemetryOptions): RateGuardTelemetry {
  const meter = options?.meter ?? options?.meterProvider?.getMeter(METER_NAME);
  if (!meter || typeof meter.createCounter !== 'function') {
    throw new TypeError('rateGuardTelemetry(options): expected `meter` (an OpenTelemetry Meter) or `meterProvider`');
  }
  const withId = options.keyAttribute ?? true;
  const now = options.now ?? (typeof performance !== 'undefined' ? () => performance.now() : Date.now);

  const throttles: Counter = meter.createCounter(METRICS.throttles, {
    unit: '{request}',
    description: 'Responses the guard treated as throttles (429), per key; each pauses the key or is part of a pause.',
  });
  const pauses: Histogram = meter.createHistogram(METRICS.pauseDuration, {
    unit: 's',
    description: 'Pauses of a key (nothing of it sent until they end), as the guard began them; the count is the number of pauses.',
    advice: { explicitBucketBoundaries: PAUSE_BUCKETS_S },
  });
  const replays: Counter = meter.createCounter(METRICS.replays, {
    unit: '{request}',
    description: 'Throttled requests the guard will send again once the key may send.',
  });
  const limitChanges: Counter = meter.createCounter(METRICS.limitChanges, {
    unit: '{change}',
    description: 'Limits the guard learned: named in a 429, advertised in headers, or found by AIMD.',
  });
  const waits: Histogram = meter.createHistogram(METRICS.waitDuration, {
    unit: 's',
    description: 'Time a request waited in the guard before it was sent (a replay: since the throttled answer).',
    advice: { explicitBucketBoundaries: WAIT_BUCKETS_S },
  });

  const hooks: TelemetryHooks = {
    onRateLimited: (e) => {
      const attributes: Attributes = {
        ...keyAttributes(e.key, e.level, withId),
        ...serverAttributes(e.url),
        [ATTR.method]: methodAttribute(e.method),
        [ATTR.status]: e.status,
        // The conventions' error.type is the status for a 4xx/5xx; a throttle in a 200 (GraphQL) gets ours.
        [ATTR.errorType]: e.status >= 400 ? String(e.status) : 'throttled',
        [ATTR.delaySource]: e.signal.delaySource ?? 'backoff',
        [ATTR.stale]: e.stale,
      };
      if (e.signal.kind) attributes[ATTR.limitKind] = e.signal.kind;
      throttles.add(1, attributes);
    },
    onPause: (e) => {
      const attributes: Attributes = { ...keyAttributes(e.key, e.level, withId), [ATTR.pauseSource]: e.source };
      // A spent quota that is not the request quota, as the server names it (tokens, input-tokens…).
      const quota = (e as { quota?: unknown }).quota;
      if (typeof quota === 'string') attributes[ATTR.pauseQuota] = quota;
      pauses.record(s(e.pauseMs), attributes);
    },
    onRetry: (e) => {
      replays.add(1, { ...keyAttributes(e.key, e.level, withId), ...serverAttributes(e.url), [ATTR.method]: methodAttribute(e.method) });
    },
    onLimitLearned: (e) => {
      limitChanges.add(1, { ...keyAttributes(e.key, e.level, withId), [ATTR.limitKind]: e.kind, [ATTR.learnedFrom]: e.from });
    },
  };

  const timer = new WaitTimer(now, (config, waitedMs, replay) => {
    const url = typeof config.url === 'string' && /^[a-z][a-z\d+.-]*:\/\//i.test(config.url) ? config.url : config.baseURL;
    waits.record(s(waitedMs), { ...serverAttributes(url), [ATTR.method]: methodAttribute(config.method), [ATTR.replay]: replay });
  });

  const observer = new GuardObserver(meter, withId);
  return {
    hooks,
    withHooks: (own = {}) => combineHooks(own, hooks),
    observe: (guard) => observer.add(guard),
    instrument: (instance) => timer.instrument(instance),
  };
}

type Reducer = 'sum' | 'max' | 'min';

/** Observations of one collection, aggregated per instrument and attribute set. */
class Observations {
  private readonly values = new Map<string, { attributes: Attributes; value: number; reduce: Reducer }>();

  add(instrument: string, attributes: Attributes, value: number, reduce: Reducer): void {
    const id = `${instrument}\u0000${attributesId(attributes)}`;
    const seen = this.values.get(id);
    if (!seen) this.values.set(id, { attributes, value, reduce });
    else seen.value = reduce === 'sum' ? seen.value + value : reduce === 'max' ? Math.max(seen.value, value) : Math.min(seen.value, value);
  }

  entries(instrument: string) {
    const prefix = `${instrument}\u0000`;
    return [...this.values].filter(([id]) => id.startsWith(prefix)).map(([, entry]) => entry);
  }
}

/**
 * One batch callback for every observed guard: at each collection it reads their stats, counts each key of
 * a store once (guards of one clientId on one store report the same keys), and aggregates what shares an
 * attribute set (an asynchronous instrument keeps one value per set per collection).
 */
class GuardObserver {
  private readonly guards = new Set<RateGuard>();
  private readonly queued: ObservableUpDownCounter;
  private readonly active: ObservableUpDownCounter;
  private readonly pauseRemaining: ObservableGauge;
  private readonly limitRequests: ObservableGauge;
  private readonly limitConcurrent: ObservableGauge;
  private registered = false;

  constructor(
    private readonly meter: Meter,
    private readonly withId: boolean,
  ) {
    this.queued = meter.createObservableUpDownCounter(METRICS.queued, {
      unit: '{request}',
      description: 'Requests waiting in the guard on a key (queued or paused).',
    });
    this.active = meter.createObservableUpDownCounter(METRICS.active, {
      unit: '{request}',
      description: 'Requests of a key in flight (sent, not yet answered).',
    });
    this.pauseRemaining = meter.createObservableGauge(METRICS.pauseRemaining, {
      unit: 's',
      description: "Time left of a key's pause; 0 when it is not paused.",
    });
    this.limitRequests = meter.createObservableGauge(METRICS.limitRequests, {
      unit: '{request}',
      description: 'Requests a key may start per window (rate_guard.limit.window, s): learned, and effective (what the guard keeps to).',
    });
    this.limitConcurrent = meter.createObservableGauge(METRICS.limitConcurrent, {
      unit: '{request}',
      description: 'Requests of a key that may be in flight at once: learned, and effective.',
    });
  }

  add(guard: RateGuard): () => void {
    this.guards.add(guard);
    if (!this.registered) {
      this.registered = true;
      this.meter.addBatchObservableCallback(this.collect, this.observables());
    }
    return () => {
      this.guards.delete(guard);
      if (this.guards.size === 0 && this.registered) {
        this.registered = false;
        this.meter.removeBatchObservableCallback(this.collect, this.observables());
      }
    };
  }

  private observables() {
    return [this.queued, this.active, this.pauseRemaining, this.limitRequests, this.limitConcurrent];
  }

  private readonly collect = async (result: BatchObservableResult): Promise<void> => {
    const stats = await Promise.all(
      [...this.guards].map((guard) =>
        guard.stats().then(
          (s) => ({ store: guard.store, keys: s.keys }),
          () => undefined, // a store that cannot answer now (Redis down) reports nothing this time
        ),
      ),
    );
    const counted = new Map<object, Set<string>>();
    const observations = new Observations();
    for (const entry of stats) {
      if (!entry) continue;
      let seen = counted.get(entry.store);
      if (!seen) counted.set(entry.store, (seen = new Set()));
      for (const key of entry.keys) {
        if (seen.has(key.key)) continue;
        seen.add(key.key);
        this.observeKey(observations, key);
      }
    }
    for (const [instrument, observable] of [
      [METRICS.queued, this.queued],
      [METRICS.active, this.active],
      [METRICS.pauseRemaining, this.pauseRemaining],
      [METRICS.limitRequests, this.limitRequests],
      [METRICS.limitConcurrent, this.limitConcurrent],
    ] as const) {
      for (const { attributes, value } of observations.entries(instrument)) result.observe(observable, value, attributes);
    }
  };

  private observeKey(observations: Observations, key: KeyStats): void {
    const attributes = keyAttributes(key.key, key.level, this.withId);
    observations.add(METRICS.queued, attributes, key.queued, 'sum');
    observations.add(METRICS.active, attributes, key.inFlight, 'sum');
    observations.add(METRICS.pauseRemaining, attributes, s(key.pausedForMs), 'max');
    for (const [source, limits] of [
      ['learned', key.learned],
      ['effective', key.effective],
    ] as const) {
      const spec: LimitSpec = limits;
      const withSource = { ...attributes, [ATTR.limitSource]: source };
      if (spec.requests !== undefined) {
        const windowMs = spec.perMs ?? key.effective.perMs ?? key.configured.perMs ?? 1000;
        observations.add(METRICS.limitRequests, { ...withSource, [ATTR.limitWindow]: s(windowMs) }, spec.requests, 'min');
      }
      if (spec.concurrent !== undefined) observations.add(METRICS.limitConcurrent, withSource, spec.concurrent, 'min');
    }
  }
}
