import { InFlightCounter } from './in-flight.js';
import { PauseBook, type Pause } from './pauses.js';
import { SlidingWindow } from './sliding-window.js';
import type { LimitKind, ResolvedEmulatorOptions } from './types.js';

export type LimiterConfig = Pick<
  ResolvedEmulatorOptions,
  'windowMs' | 'appRate' | 'tokenRate' | 'appConcurrent' | 'tokenConcurrent' | 'retryAfterSec' | 'penalty'
>;

/** The app / the token was inside an announced pause when the request arrived. */
export interface PauseFlags {
  appPaused: boolean;
  tokenPaused: boolean;
}

export type Admission =
  | ({ accepted: true } & PauseFlags)
  /** `limit` is named in the 429 with its configured `value`. */
  | ({ accepted: false; limit: LimitKind; value: number } & PauseFlags);

/**
 * The vendor's admission rules, with time passed in (ms, non-decreasing) so the rules can be tested
 * without a server or a real clock. Only accepted requests enter the rate windows and in-flight counts.
 *
 * Order: 1. pause/penalty, 2. concurrency (app, then token), 3. rate (app, then token), else accept.
 * Every rejection pauses the limited key until now + retryAfterSec.
 */
export class Limiter {
  private readonly appWindows = new Map<string, SlidingWindow>();
  private readonly tokenWindows = new Map<string, SlidingWindow>();
  private readonly appInFlight = new InFlightCounter();
  private readonly tokenInFlight = new InFlightCounter();
  private readonly appPauses = new PauseBook();
  private readonly tokenPauses = new PauseBook();

  constructor(private readonly config: LimiterConfig) {}

  admit(app: string, token: string, now: number): Admission {
    const { appRate, tokenRate, appConcurrent, tokenConcurrent, penalty } = this.config;
    const appPause = this.appPauses.activeAt(app, now);
    const tokenPause = this.tokenPauses.activeAt(token, now);
    const paused: PauseFlags = { appPaused: appPause !== undefined, tokenPaused: tokenPause !== undefined };

    if (penalty && (appPause !== undefined || tokenPause !== undefined)) {
      const until = now + this.pauseMs();
      if (appPause !== undefined) this.appPauses.extend(app, until);
      if (tokenPause !== undefined) this.tokenPauses.extend(token, until);
      // The app pause is the wider one (it stops every token), so it is the one to name.
      return this.named((appPause ?? tokenPause) as Pause, paused);
    }

    if (appConcurrent !== undefined && this.appInFlight.of(app) >= appConcurrent) {
      return this.reject('app', app, now, 'crossTokenConcurrentLimit', appConcurrent, paused);
    }
    if (tokenConcurrent !== undefined && this.tokenInFlight.of(token) >= tokenConcurrent) {
      return this.reject('token', token, now, 'tokenConcurrentLimit', tokenConcurrent, paused);
    }
    const appWindow = this.window(this.appWindows, app);
    const tokenWindow = this.window(this.tokenWindows, token);
    if (appRate !== undefined && appWindow.count(now) >= appRate) {
      return this.reject('app', app, now, 'crossTokenLimit', appRate, paused);
    }
    if (tokenRate !== undefined && tokenWindow.count(now) >= tokenRate) {
      return this.reject('token', token, now, 'tokenLimit', tokenRate, paused);
    }

    appWindow.record(now);
    tokenWindow.record(now);
    this.appInFlight.enter(app);
    this.tokenInFlight.enter(token);
    return { accepted: true, ...paused };
  }

  /** An accepted request's response has ended (or its connection closed). Call exactly once. */
  release(app: string, token: string): void {
    this.appInFlight.leave(app);
    this.tokenInFlight.leave(token);
  }

  private pauseMs(): number {
    return this.config.retryAfterSec * 1000;
  }

  private reject(
    scope: 'app' | 'token',
    key: string,
    now: number,
    limit: LimitKind,
    value: number,
    paused: PauseFlags,
  ): Admission {
    const book = scope === 'app' ? this.appPauses : this.tokenPauses;
    book.announce(key, now + this.pauseMs(), limit, value);
    return { accepted: false, limit, value, ...paused };
  }

  private named(pause: Pause, paused: PauseFlags): Admission {
    return { accepted: false, limit: pause.limit, value: pause.value, ...paused };
  }

  private window(windows: Map<string, SlidingWindow>, key: string): SlidingWindow {
    let window = windows.get(key);
    if (window === undefined) {
      window = new SlidingWindow(this.config.windowMs);
      windows.set(key, window);
    }
    return window;
  }
}
