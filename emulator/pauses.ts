import type { LimitKind } from './types.js';

/** A pause announced by a 429: the key must not send before `until`. */
export interface Pause {
  until: number;
  /** The limit that caused the pause, and its value, named again in penalty 429s. */
  limit: LimitKind;
  value: number;
}

/** Announced pauses per key. A key is paused at `now` while now < until. */
export class PauseBook {
  private readonly pauses = new Map<string, Pause>();

  activeAt(key: string, now: number): Pause | undefined {
    const pause = this.pauses.get(key);
    if (pause === undefined) return undefined;
    if (now < pause.until) return pause;
    this.pauses.delete(key);
    return undefined;
  }

  /** Starts (or replaces) the pause of `key`; never shortens one already announced. */
  announce(key: string, until: number, limit: LimitKind, value: number): void {
    const previous = this.pauses.get(key);
    this.pauses.set(key, { until: Math.max(until, previous?.until ?? -Infinity), limit, value });
  }

  /** Moves the end of an existing pause later, keeping the limit it names. */
  extend(key: string, until: number): void {
    const pause = this.pauses.get(key);
    if (pause !== undefined && until > pause.until) pause.until = until;
  }
}
