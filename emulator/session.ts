import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { tokenLabel } from './identity.js';
import { Limiter } from './limiter.js';
import { StatsRecorder } from './stats.js';
import type { EmulatorStats, ResolvedEmulatorOptions } from './types.js';
import { tooManyRequests, type Reply } from './vendor-responses.js';

export interface Arrival {
  app: string;
  /** The raw token: limits apply per real token, stats report only its label. */
  token: string;
  /** Path with query. */
  path: string;
}

/** The decision for one request. Call `leave` exactly once when its response has ended or its connection closed. */
export type Ticket =
  | { accepted: true; leave(): void }
  | { accepted: false; reply: Reply; leave(): void };

export interface SessionDeps {
  /** Monotonic ms. @default performance.now */
  now?: () => number;
  /** Genesys correlation ids. @default crypto.randomUUID */
  newId?: () => string;
}

/**
 * Everything between a start and a reset: clock origin, limiter, statistics and the 429 counter.
 * A reset replaces the session, so requests still in flight from before only touch the old one.
 */
export class EmulatorSession {
  private readonly now: () => number;
  private readonly newId: () => string;
  private readonly origin: number;
  private readonly limiter: Limiter;
  private readonly recorder: StatsRecorder;
  private tooManySent = 0;

  constructor(private readonly options: ResolvedEmulatorOptions, deps: SessionDeps = {}) {
    this.now = deps.now ?? (() => performance.now());
    this.newId = deps.newId ?? randomUUID;
    this.origin = this.now();
    this.limiter = new Limiter(options);
    this.recorder = new StatsRecorder(options.windowMs);
  }

  /** Decides on a request at its arrival. */
  arrive({ app, token, path }: Arrival): Ticket {
    // One timestamp for the limiter, the stats window and the timeline, so they agree exactly.
    const t = this.now() - this.origin;
    const label = tokenLabel(token);
    this.recorder.arrive(app, label);
    const admission = this.limiter.admit(app, token, t);

    let left = false;
    const leave = (): void => {
      if (left) return;
      left = true;
      this.recorder.leave(app, label);
      if (admission.accepted) this.limiter.release(app, token);
    };

    const { appPaused, tokenPaused } = admission;
    if (admission.accepted) {
      this.recorder.decide({ t, app, token: label, path, status: 200, appPaused, tokenPaused });
      return { accepted: true, leave };
    }

    this.tooManySent++;
    const every = this.options.omitRetryAfterEvery;
    const withRetryAfter = !(every > 0 && this.tooManySent % every === 0);
    const reply = tooManyRequests(this.options.vendor, {
      limit: admission.limit,
      value: admission.value,
      retryAfterSec: this.options.retryAfterSec,
      withRetryAfter,
      correlationId: this.newId(),
    });
    this.recorder.decide({
      t,
      app,
      token: label,
      path,
      status: 429,
      limit: admission.limit,
      appPaused,
      tokenPaused,
      retryAfter: withRetryAfter ? this.options.retryAfterSec : undefined,
    });
    return { accepted: false, reply, leave };
  }

  /** A CORS preflight was answered (never counted as a request or limited). */
  preflight(): void {
    this.recorder.preflight();
  }

  stats(): EmulatorStats {
    return this.recorder.snapshot();
  }
}
