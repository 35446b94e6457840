// How long each request waited in the guard before it was sent. The guard emits no event for that (its
// hooks are about keys, not requests), so axios-rate-guard/otel measures it from outside, around the guard:
// a request interceptor that runs before the guard's (axios runs request interceptors last-registered
// first, so it is added after rateGuard) swaps `config.adapter` for a timing adapter in front of the one
// the request would have used. The guard then stands in front of the timing adapter, which sees every
// attempt at the moment the guard sends it. The call's own start is stamped by a transformRequest step
// appended to the request's: axios runs it just before it hands the config to the guard, after every
// interceptor, so a slow interceptor (a token refresh) is not counted as waiting in the guard.
import { getAdapter, type AxiosAdapter, type AxiosResponse, type InternalAxiosRequestConfig } from 'axios';
import type { GuardableAxios } from './rate-guard.js';

type AdapterSetting = InternalAxiosRequestConfig['adapter'];

/** Where the call is: when axios handed it to the guard, and when its last attempt was answered. */
interface CallTiming {
  dispatchedAt: number;
  attempts: number;
  settledAt: number;
}

/** One attempt is about to be sent: `waitedMs` since the call reached the guard, or since the last answer. */
export type OnSend = (config: InternalAxiosRequestConfig, waitedMs: number, replay: boolean) => void;

const GUARDED = Symbol.for('axios-rate-guard.guarded');
const INNER_ADAPTER = Symbol.for('axios-rate-guard.inner-adapter');
const TIMED = Symbol('axios-rate-guard.otel.timed');
const DEFAULT_ADAPTERS = ['xhr', 'http', 'fetch'];

export class WaitTimer {
  private readonly calls = new WeakMap<object, CallTiming>();
  private readonly byFunction = new WeakMap<object, AxiosAdapter>();
  private readonly byNames = new Map<string, AxiosAdapter>();

  constructor(
    private readonly now: () => number,
    private readonly onSend: OnSend,
  ) {}

  /** Adds the interceptor to a guarded instance; returns what removes it. */
  instrument(instance: GuardableAxios): () => void {
    if (!instance?.interceptors?.request) {
      throw new TypeError('instrument(instance): expected an axios instance or the axios default export');
    }
    if (!(instance as { [GUARDED]?: boolean })[GUARDED]) {
      // Added before the guard, the interceptor would run after it and see the guard's adapter, too late.
      throw new Error('instrument(instance): attach rateGuard(instance, …) first, then instrument it');
    }
    const id = instance.interceptors.request.use((config) => this.route(config), null, { synchronous: true });
    let attached = true;
    return () => {
      if (!attached) return;
      attached = false;
      instance.interceptors.request.eject(id);
    };
  }

  private route(config: InternalAxiosRequestConfig): InternalAxiosRequestConfig {
    if (config.rateGuard?.skip) return config;
    const current = config.adapter as AdapterSetting & { [INNER_ADAPTER]?: { [TIMED]?: true }; [TIMED]?: true };
    if (typeof current === 'function' && INNER_ADAPTER in current) {
      // A config sent again (an auth refresh re-sending error.config) has the guard's adapter, which the guard
      // unwraps: timed if ours is inside it; else the guard's interceptor ran before this one, too late to time.
      if (!current[INNER_ADAPTER]?.[TIMED]) return config;
    } else if (typeof current !== 'function' || !current[TIMED]) {
      config.adapter = this.timed(current);
    }
    const timing: CallTiming = { dispatchedAt: this.now(), attempts: 0, settledAt: 0 };
    this.calls.set(config, timing);
    const stamp = (data: unknown) => {
      timing.dispatchedAt = this.now();
      return data;
    };
    const own = config.transformRequest;
    config.transformRequest = own === undefined ? [stamp] : Array.isArray(own) ? [...own, stamp] : [own, stamp];
    return config;
  }

  /** The timing adapter in front of `inner`, one per adapter (so the guard's own cache of adapters holds). */
  private timed(inner: AdapterSetting): AxiosAdapter {
    const names = typeof inner === 'function' ? undefined : inner === undefined ? DEFAULT_ADAPTERS : Array.isArray(inner) ? inner : [inner];
    const cacheKey = names?.every((name) => typeof name === 'string') ? names.join(',') : undefined;
    const cached = typeof inner === 'function' ? this.byFunction.get(inner) : cacheKey === undefined ? undefined : this.byNames.get(cacheKey);
    if (cached) return cached;
    const resolved = typeof inner === 'function' ? (inner as AxiosAdapter) : undefined;
    const adapter = Object.assign(
      (config: InternalAxiosRequestConfig): Promise<AxiosResponse> => {
        const send = resolved ?? (getAdapter(names as Parameters<typeof getAdapter>[0], config) as AxiosAdapter);
        const timing = this.calls.get(config);
        if (timing) {
          const now = this.now();
          const replay = timing.attempts > 0;
          timing.attempts++;
          this.onSend(config, Math.max(0, now - (replay ? timing.settledAt : timing.dispatchedAt)), replay);
        }
        const settled = () => {
          if (timing) timing.settledAt = this.now();
        };
        const sending = send(config);
        sending.then(settled, settled);
        return sending;
      },
      { [TIMED]: true as const },
    );
    if (typeof inner === 'function') this.byFunction.set(inner, adapter);
    else if (cacheKey !== undefined) this.byNames.set(cacheKey, adapter);
    return adapter;
  }
}
