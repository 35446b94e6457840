import type { Clock, TimerHandle } from '../clock.js';
import type { RedisFallbackEvent, RedisRecoverEvent } from './options.js';

function safely<E>(hook: ((event: E) => void) | undefined, event: E): void {
  try {
    hook?.(event);
  } catch {
    // A logging hook that throws must not break limiting.
  }
}

/**
 * Whether the store uses Redis now. The first failure of a call switches to local limiting and announces
 * it once; a probe then tries Redis every `probeIntervalMs` (one timer, unref'd), and the first answer
 * switches back and announces that. No request ever waits on a probe.
 */
export class Availability {
  private downSince: number | undefined;
  private probeTimer: TimerHandle | undefined;
  private closed = false;

  constructor(
    private readonly clock: Clock,
    private readonly probeIntervalMs: number,
    private readonly probe: () => Promise<unknown>,
    private readonly hooks: {
      onFallback?: (event: RedisFallbackEvent) => void;
      onRecover?: (event: RedisRecoverEvent) => void;
    },
  ) {}

  /** Counts recoveries: a call tags itself with it, so that its late failure cannot undo a later recovery. */
  private epoch = 0;

  /** True while Redis is believed to answer. */
  get up(): boolean {
    return this.downSince === undefined;
  }

  /** The tag of a call sent now: pass it to {@link failed}. */
  get generation(): number {
    return this.epoch;
  }

  /** A call to Redis, sent at `generation`, failed or timed out. */
  failed(error: unknown, generation = this.epoch): void {
    if (this.downSince !== undefined || this.closed || generation !== this.epoch) return;
    this.downSince = this.clock.now();
    safely(this.hooks.onFallback, { error });
    this.armProbe();
  }

  close(): void {
    this.closed = true;
    if (this.probeTimer !== undefined) this.clock.clearTimer(this.probeTimer);
    this.probeTimer = undefined;
  }

  private armProbe(): void {
    if (this.closed) return;
    this.probeTimer = this.clock.setTimer(() => this.runProbe(), this.probeIntervalMs, { unref: true });
  }

  private runProbe(): void {
    this.probeTimer = undefined;
    this.probe().then(
      () => {
        if (this.downSince === undefined || this.closed) return;
        const downMs = this.clock.now() - this.downSince;
        this.downSince = undefined;
        this.epoch++;
        safely(this.hooks.onRecover, { downMs });
      },
      () => this.armProbe(),
    );
  }
}
