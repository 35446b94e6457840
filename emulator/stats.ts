import { InFlightCounter } from './in-flight.js';
import { SlidingWindow } from './sliding-window.js';
import type { EmulatorStats, KeyStats, LimitKind, TimelineEntry } from './types.js';

/** What the server decided about one request. */
export interface Decision {
  /** Arrival, ms since start/reset. */
  t: number;
  app: string;
  /** Token label. */
  token: string;
  path: string;
  status: number;
  limit?: LimitKind;
  appPaused: boolean;
  tokenPaused: boolean;
  /** The Retry-After header value sent, if one was. */
  retryAfter?: number;
}

interface KeyCounts {
  accepted: number;
  rejected: number;
  arrivedDuringPause: number;
  window: SlidingWindow;
}

/**
 * Measures what clients did, independently of the limiter's own state: every arrival counts as in flight
 * until its response ends, and accepted arrivals are windowed again here, so the stats stay ground truth
 * even if a limiter rule were wrong.
 */
export class StatsRecorder {
  private received = 0;
  private preflights = 0;
  private accepted = 0;
  private rejected429 = 0;
  private arrivedDuringPause = 0;
  private readonly apps = new Map<string, KeyCounts>();
  private readonly tokens = new Map<string, KeyCounts>();
  private readonly appInFlight = new InFlightCounter();
  private readonly tokenInFlight = new InFlightCounter();
  private readonly acceptedByPath = new Map<string, number>();
  private readonly rejectedByLimit: Record<LimitKind, number> = {
    crossTokenLimit: 0,
    tokenLimit: 0,
    crossTokenConcurrentLimit: 0,
    tokenConcurrentLimit: 0,
  };
  private readonly timeline: TimelineEntry[] = [];
  private readonly retryAfterSent: number[] = [];

  constructor(private readonly windowMs: number) {}

  /** A request arrived; it is in flight until `leave`. */
  arrive(app: string, token: string): void {
    this.received++;
    this.counts(this.apps, app);
    this.counts(this.tokens, token);
    this.appInFlight.enter(app);
    this.tokenInFlight.enter(token);
  }

  /** A CORS preflight was answered: recorded only, it is no request of the API. */
  preflight(): void {
    this.preflights++;
  }

  /** The request's response ended, or its connection closed first. Call exactly once per arrival. */
  leave(app: string, token: string): void {
    this.appInFlight.leave(app);
    this.tokenInFlight.leave(token);
  }

  decide(d: Decision): void {
    const app = this.counts(this.apps, d.app);
    const token = this.counts(this.tokens, d.token);
    const duringPause = d.appPaused || d.tokenPaused;
    if (d.appPaused) app.arrivedDuringPause++;
    if (d.tokenPaused) token.arrivedDuringPause++;
    if (duringPause) this.arrivedDuringPause++;

    if (d.status === 429) {
      this.rejected429++;
      app.rejected++;
      token.rejected++;
      if (d.limit !== undefined) this.rejectedByLimit[d.limit]++;
      if (d.retryAfter !== undefined) this.retryAfterSent.push(d.retryAfter);
    } else {
      this.accepted++;
      app.accepted++;
      token.accepted++;
      app.window.record(d.t);
      token.window.record(d.t);
      this.acceptedByPath.set(d.path, (this.acceptedByPath.get(d.path) ?? 0) + 1);
    }

    const entry: TimelineEntry = { t: d.t, status: d.status, app: d.app, token: d.token, path: d.path, duringPause };
    if (d.limit !== undefined) entry.limit = d.limit;
    this.timeline.push(entry);
  }

  snapshot(): EmulatorStats {
    const byApp = this.keyStats(this.apps, this.appInFlight);
    const byToken = this.keyStats(this.tokens, this.tokenInFlight);
    const max = (all: Record<string, KeyStats>, field: 'maxInFlight' | 'maxInAnyWindow'): number =>
      Object.values(all).reduce((m, k) => Math.max(m, k[field]), 0);
    return {
      received: this.received,
      preflights: this.preflights,
      accepted: this.accepted,
      rejected429: this.rejected429,
      arrivedDuringPause: this.arrivedDuringPause,
      maxInFlightPerApp: max(byApp, 'maxInFlight'),
      maxInFlightPerToken: max(byToken, 'maxInFlight'),
      maxInWindowPerApp: max(byApp, 'maxInAnyWindow'),
      maxInWindowPerToken: max(byToken, 'maxInAnyWindow'),
      byApp,
      byToken,
      acceptedByPath: Object.fromEntries(this.acceptedByPath),
      rejectedByLimit: { ...this.rejectedByLimit },
      timeline: this.timeline.map((entry) => ({ ...entry })),
      retryAfterSent: [...this.retryAfterSent],
    };
  }

  private counts(map: Map<string, KeyCounts>, key: string): KeyCounts {
    let counts = map.get(key);
    if (counts === undefined) {
      counts = { accepted: 0, rejected: 0, arrivedDuringPause: 0, window: new SlidingWindow(this.windowMs) };
      map.set(key, counts);
    }
    return counts;
  }

  private keyStats(map: Map<string, KeyCounts>, inFlight: InFlightCounter): Record<string, KeyStats> {
    // fromEntries defines own properties, so a client id like "__proto__" cannot touch the prototype.
    return Object.fromEntries(
      [...map].map(([key, c]): [string, KeyStats] => [
        key,
        {
          accepted: c.accepted,
          rejected: c.rejected,
          arrivedDuringPause: c.arrivedDuringPause,
          maxInFlight: inFlight.maxOf(key),
          maxInAnyWindow: c.window.maxInAnyWindow,
        },
      ]),
    );
  }
}
