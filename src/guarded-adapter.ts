import { getAdapter } from 'axios';
import type { AxiosAdapter, AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import { cancellation, onCancel } from './cancel.js';
import {
  DeadlineExceededError,
  NotReplayableError,
  QueueFullError,
  RetriesExhaustedError,
  RetryAfterTooLongError,
  type RateLimitErrorDetails,
} from './errors.js';
import { emit } from './events.js';
import { observeQuota, onThrottled, urlForEvents } from './learn-from-response.js';
import type { RateGuardRequestOptions, ResolvedOptions } from './options.js';
import { priorityClass } from './priority.js';
import { keysFor } from './request-keys.js';
import { isPromise, type Scheduler, type WaitFailure, type WaitOptions } from './scheduler.js';
import { AdapterReach, sendWatch, type SendListener } from './send-evidence.js';
import { discardBody, isStreamBody, releaseWhenBodyRead } from './stream-release.js';
import type { KeySpec, Lease, RateLimitStore } from './store.js';
import type { ThrottleVerdict } from './throttle-rules.js';

/** Marks a guard's adapter and holds the adapter it stands in front of. */
const INNER_ADAPTER = Symbol.for('axios-rate-guard.inner-adapter');

type AdapterSetting = InternalAxiosRequestConfig['adapter'];
type GuardAdapter = AxiosAdapter & { [INNER_ADAPTER]: AdapterSetting };

const IDEMPOTENT = new Set(['get', 'head', 'options', 'put', 'delete', 'trace']);
const DEFAULT_ADAPTERS = ['xhr', 'http', 'fetch'];

/** Counters of one guard. */
export interface GuardCounters {
  calls: number;
  attempts: number;
  throttled: number;
  replays: number;
  failures: number;
}

export interface GuardContext {
  readonly options: ResolvedOptions;
  readonly store: RateLimitStore;
  readonly scheduler: Scheduler;
  readonly clientKey: KeySpec;
  /** `[clientKey]`, shared by every request without a token. */
  readonly clientOnly: readonly KeySpec[];
  /** Keys of recent tokens, by raw token; bounded, and never exposed. */
  readonly tokenKeys: Map<string, readonly KeySpec[]>;
  /** Routes learned from servers: route signature (routes.ts) → the server's bucket name; bounded. */
  readonly learnedRoutes: Map<string, string>;
  /** Key lists with a bucket, by the last base key's id and the bucket's id; bounded. */
  readonly bucketKeys: Map<string, readonly KeySpec[]>;
  readonly counters: GuardCounters;
}

let callSeq = 0;

/** axios's Node http adapter, the one whose requests Node reports (send-evidence.ts); undefined where there is none. */
let nodeHttpAdapter: unknown = null;
function httpAdapter(): unknown {
  if (nodeHttpAdapter === null) {
    try {
      nodeHttpAdapter = getAdapter('http');
    } catch {
      nodeHttpAdapter = undefined; // a browser build
    }
  }
  return nodeHttpAdapter;
}

/** The per-request options of a request that has none: one shared object, not one per call. */
const NO_REQUEST_OPTIONS: RateGuardRequestOptions = Object.freeze({});

/**
 * The guard's adapters, one per adapter they stand in front of: the request interceptor only swaps
 * `config.adapter`, allocating nothing per request. Gating and replaying below the interceptors means a
 * replay reuses the exact config axios built (body serialised once, AxiosHeaders and agents intact), the
 * token is read after every request interceptor ran, and the user's response interceptors see one outcome.
 */
export class GuardAdapters {
  private readonly byFunction = new WeakMap<object, GuardAdapter>();
  /** Adapters made for lists of adapter names (a handful at most: one per distinct list seen). */
  private readonly byNames = new Map<readonly unknown[], GuardAdapter>();
  private lastInner: AdapterSetting = undefined;
  private lastAdapter: GuardAdapter | undefined = undefined;

  constructor(private readonly ctx: GuardContext) {}

  /** The interceptor: route the request through the guard, or around it when it opts out. */
  route(config: InternalAxiosRequestConfig): InternalAxiosRequestConfig {
    const current = config.adapter as GuardAdapter | AdapterSetting;
    // The usual request: the instance's adapter function, the same as the last one (not a guard's).
    if (current === this.lastInner && this.lastAdapter !== undefined && !config.rateGuard?.skip) {
      config.adapter = this.lastAdapter;
      return config;
    }
    // A config sent again (an auth-refresh interceptor re-sending error.config) is already routed.
    const inner = isGuardAdapter(current) ? current[INNER_ADAPTER] : current;
    config.adapter = config.rateGuard?.skip ? inner : this.for(inner);
    return config;
  }

  private for(inner: AdapterSetting): GuardAdapter {
    if (typeof inner === 'function') {
      let adapter = this.byFunction.get(inner);
      if (!adapter) this.byFunction.set(inner, (adapter = this.create(inner)));
      // Remembered for route's shortcut (a list of names is a new array per config: it is looked up).
      this.lastInner = inner;
      this.lastAdapter = adapter;
      return adapter;
    }
    const names = inner === undefined ? DEFAULT_ADAPTERS : Array.isArray(inner) ? inner : [inner];
    // axios copies the default ['xhr', 'http', 'fetch'] into every config: find the adapter made for the
    // same names by comparing them in place (no key string built per request).
    for (const [cached, adapter] of this.byNames) {
      if (cached.length === names.length && cached.every((name, i) => name === names[i])) return adapter;
    }
    if (!names.every((name) => typeof name === 'string')) return this.create(inner);
    const adapter = this.create(names.slice());
    this.byNames.set(names.slice(), adapter);
    return adapter;
  }

  private create(inner: AdapterSetting): GuardAdapter {
    const { ctx } = this;
    const resolved: AxiosAdapter | undefined = typeof inner === 'function' ? inner : undefined;
    const reach = new AdapterReach(resolved !== undefined);
    const adapter = (config: InternalAxiosRequestConfig) => {
      ctx.counters.calls++;
      // Resolved per config the first time: the fetch adapter checks config.env.
      const send = resolved ?? (getAdapter(inner ?? DEFAULT_ADAPTERS, config) as AxiosAdapter);
      return new GuardedCall(ctx, config, send, reach).run();
    };
    return Object.assign(adapter, { [INNER_ADAPTER]: inner });
  }
}

function isGuardAdapter(adapter: unknown): adapter is GuardAdapter {
  return typeof adapter === 'function' && INNER_ADAPTER in adapter;
}

/**
 * One call through the guard, from its first acquire to its final answer. It is also the scheduler's
 * WaitOptions, so that a call costs one object however many times it waits.
 */
class GuardedCall implements WaitOptions, SendListener {
  readonly seq = ++callSeq;
  replay = false;
  readonly priority: number;
  readonly deadlineAt: number;
  /** The keys of the attempt; a replay takes them again (its route may have joined a learned bucket). */
  private keys: readonly KeySpec[];
  private readonly perRequest: RateGuardRequestOptions;
  /**
   * When the call began: read before the first acquire when there is a deadline, else when the first grant
   * came at once or the first wait began (the same moment, give or take the acquire; one clock read less).
   * Every field is set in the constructor, so that each call has its final shape from the start.
   */
  private startedAt: number | undefined = undefined;
  private attempts = 0;
  private lastError: unknown = undefined;
  /** The attempt on the wire: its lease, grant time, and when it was written (Node http only). */
  private onWire = false;
  private lease: Lease = undefined;
  private sentAt = 0;
  private writtenAt: number | undefined = undefined;
  /** Unwatched attempts of a custom adapter: Node's count of http requests when it was sent (see AdapterReach). */
  private requestsBefore = -1;

  constructor(
    private readonly ctx: GuardContext,
    private readonly config: InternalAxiosRequestConfig,
    private readonly adapter: AxiosAdapter,
    private readonly reach: AdapterReach,
  ) {
    const { options, store } = ctx;
    this.perRequest = config.rateGuard ?? NO_REQUEST_OPTIONS;
    this.keys = keysFor(ctx, this.config, this.perRequest);
    const deadlineMs = this.perRequest.deadlineMs ?? options.deadlineMs;
    this.deadlineAt = deadlineMs === undefined ? Infinity : (this.startedAt = store.clock.now()) + deadlineMs;
    const priority = this.perRequest.priority;
    this.priority = priority === undefined ? options.priority : priorityClass(priority);
  }

  /** WaitOptions, read only by a call that waits: worked out then, not per call. */
  get maxPauseMs(): number {
    const { perRequest, ctx } = this;
    const waitLongPauses = (perRequest.onLongRetryAfter ?? ctx.options.onLongRetryAfter) === 'wait';
    return waitLongPauses ? Infinity : perRequest.maxRetryAfterMs ?? ctx.options.maxRetryAfterMs;
  }

  get maxQueue(): number {
    return this.ctx.options.maxQueue;
  }

  /** Waits for a slot (at once on the fast path: no promise of ours), then sends. */
  run(): Promise<AxiosResponse> {
    const granted = this.ctx.scheduler.acquire(this.keys, this);
    if (!isPromise(granted)) return this.send(granted.lease, granted.grantedAt);
    this.startedAt ??= this.ctx.store.clock.now();
    return granted.then((slot) => this.sendUnlessCanceled(slot.lease));
  }

  /**
   * A grant that took time (a wait, a Redis round trip) may come after the caller gave up: then nothing is
   * sent, the slot goes back unused, and the call settles with the cancel error.
   */
  private sendUnlessCanceled(lease: Lease): Promise<AxiosResponse> {
    const cancelled = cancellation(this.config);
    if (!cancelled) return this.send(lease);
    void this.ctx.scheduler.release(this.keys, 'unused', lease);
    return Promise.reject(cancelled);
  }

  /** `grantedAt`: when the store granted it, if it read its clock then (the same moment: no second read). */
  private send(lease: Lease, grantedAt?: number): Promise<AxiosResponse> {
    const { ctx, config } = this;
    const sentAt = grantedAt ?? ctx.store.clock.now();
    this.startedAt ??= sentAt;
    this.attempts++;
    ctx.counters.attempts++;
    this.onWire = true;
    this.lease = lease;
    this.sentAt = sentAt;
    this.writtenAt = undefined;
    const watch = sendWatch();
    const watched = watch !== null && this.reach.shouldWatch(this.adapter, httpAdapter());
    this.requestsBefore = watch !== null && !watched && this.reach.custom ? watch.requestsStarted : -1;
    let sending: Promise<AxiosResponse>;
    try {
      // The adapter and config go in as they are: no closure per attempt.
      sending = watched ? watch!.run(this, this.adapter, config) : this.adapter(config);
    } catch (error) {
      sending = Promise.reject(error); // an adapter that throws at once: its slot goes back as for a rejection
    }
    return sending.then(
      (response) => this.answered(lease, sentAt, response, response, undefined),
      (error: unknown) => this.answered(lease, sentAt, (error as { response?: AxiosResponse } | null)?.response, undefined, error),
    );
  }

  /**
   * Settles an attempt: gives the slot back and returns the outcome, unless the answer was a throttle, which
   * pauses the key and replays. Synchronous for a plain answer and a synchronous store.
   */
  private answered(
    lease: Lease,
    sentAt: number,
    answer: AxiosResponse | undefined,
    response: AxiosResponse | undefined,
    error: unknown,
  ): AxiosResponse | Promise<AxiosResponse> {
    const { ctx, keys } = this;
    const writtenAfterMs = this.writtenAt === undefined ? undefined : this.writtenAt - sentAt;
    this.onWire = false;
    if (this.requestsBefore >= 0) {
      this.reach.observed(sendWatch()!.requestsStarted > this.requestsBefore);
      this.requestsBefore = -1;
    }
    const { throttleStatuses, detectThrottle } = ctx.options;
    // A throttle status, or a rule's (a GitHub 403, a GraphQL THROTTLED in a 200…): the rules pick by status first.
    let verdict: ThrottleVerdict | undefined;
    const throttled =
      answer !== undefined &&
      (throttleStatuses.has(answer.status) || (detectThrottle !== undefined && (verdict = detectThrottle(answer, ctx.store.clock, this.config)) !== undefined));
    let observed: Promise<void> | undefined;
    try {
      observed = answer && observeQuota(ctx, this.config, keys, answer, sentAt);
    } catch (failure) {
      void ctx.scheduler.release(keys, 'failed', lease);
      throw failure;
    }
    if (!throttled && !observed) {
      if (response && isStreamBody(response.data)) {
        return releaseWhenBodyRead(response, () => void ctx.scheduler.release(keys, 'ok', lease, writtenAfterMs));
      }
      void ctx.scheduler.release(keys, answer ? 'ok' : 'failed', lease, writtenAfterMs);
      if (response) return response;
      throw error;
    }
    return this.slowPath(lease, sentAt, answer, response, error, throttled, verdict, observed, writtenAfterMs);
  }

  /** SendListener: the attempt on the wire was handed to the operating system. */
  requestWritten(): void {
    if (!this.onWire) return; // answered or failed already
    const now = this.ctx.store.clock.now();
    this.writtenAt = now;
    this.ctx.scheduler.written(this.keys, this.lease, now - this.sentAt);
  }

  /** A throttle, or an asynchronous store: the part that may wait. */
  private async slowPath(
    lease: Lease,
    sentAt: number,
    answer: AxiosResponse | undefined,
    response: AxiosResponse | undefined,
    error: unknown,
    throttled: boolean,
    verdict: ThrottleVerdict | undefined,
    observed: Promise<void> | undefined,
    writtenAfterMs: number | undefined,
  ): Promise<AxiosResponse> {
    const { ctx, config, keys } = this;
    const { options, scheduler, counters } = ctx;
    let pause: { pausedMs: number; key: KeySpec } | undefined;
    let returning: AxiosResponse | undefined;
    // The slot goes back on every path, even if an asynchronous store fails below.
    try {
      if (observed) await observed;
      // Pause the key before giving the slot back, or the release would wake a waiter into the 429.
      if (throttled && answer) pause = await onThrottled(ctx, config, keys, answer, sentAt, this.attempts, verdict);
      if (!pause && response && isStreamBody(response.data)) returning = response;
    } finally {
      const release = () => void scheduler.release(keys, throttled ? 'throttled' : answer ? 'ok' : 'failed', lease, writtenAfterMs);
      // A streamed body handed to the caller keeps its slot until it has been read (see stream-release.ts).
      if (returning) releaseWhenBodyRead(returning, release);
      else release();
    }
    if (!pause) {
      if (response) return response;
      throw error;
    }

    counters.throttled++;
    this.lastError = error ?? this.lastError;
    const cancelled = cancellation(config);
    if (cancelled) throw cancelled;
    const maxRetries = this.perRequest.maxRetries ?? options.maxRetries;
    if (this.attempts > maxRetries) {
      // A user whose validateStatus accepts 429 gets the response, as axios would have given it.
      if (response) return response;
      throw this.failed(new RetriesExhaustedError(maxRetries, this.details(pause.key.id)));
    }
    const method = (config.method ?? 'get').toLowerCase();
    if (!IDEMPOTENT.has(method) && !(this.perRequest.retryNonIdempotent ?? options.retryNonIdempotent)) {
      throw this.failed(new NotReplayableError('non-idempotent', this.details(pause.key.id)));
    }
    if (isStreamBody(config.data)) throw this.failed(new NotReplayableError('stream-body', this.details(pause.key.id)));
    if (isStreamBody(answer?.data)) discardBody(answer?.data); // the 429's body: nobody will read it
    counters.replays++;
    this.replay = true;
    this.keys = keysFor(ctx, this.config, this.perRequest);
    emit(options.hooks.onRetry, {
      key: pause.key.id,
      level: pause.key.level,
      method,
      url: urlForEvents(config),
      attempt: this.attempts + 1,
      delayMs: pause.pausedMs,
    });
    return this.run();
  }

  /** WaitOptions: subscribes to the request's AbortSignal / CancelToken while it waits. */
  onCancel(cancel: (reason: unknown) => void): (() => void) | undefined {
    return onCancel(this.config, cancel);
  }

  /** WaitOptions: the error a failed wait rejects with. */
  fail(failure: WaitFailure): Error {
    if (failure.kind === 'canceled') return failure.reason as Error;
    if (failure.kind === 'store-error') return failure.error instanceof Error ? failure.error : new Error(String(failure.error));
    const details = this.details(failure.key);
    if (failure.kind === 'queue-full') return this.failed(new QueueFullError(failure.maxQueue, details));
    if (failure.kind === 'deadline') return this.failed(new DeadlineExceededError(this.deadlineAt - this.startedAt!, details));
    return this.failed(new RetryAfterTooLongError(failure.retryInMs, this.maxPauseMs, details));
  }

  private failed<E extends Error>(error: E): E {
    this.ctx.counters.failures++;
    return error;
  }

  private details(key: string): RateLimitErrorDetails {
    const spec = this.keys.find((k) => k.id === key) ?? this.keys[0];
    return {
      key: spec.id,
      level: spec.level,
      limit: spec.limits,
      attempts: this.attempts,
      waitedMs: this.startedAt === undefined ? 0 : this.ctx.store.clock.now() - this.startedAt,
      config: this.config,
      cause: this.lastError,
    };
  }
}
