import { ON_THE_WIRE_MS } from './config';

/** What pauses.ts needs of an arrival at the server (see Arrival in ./learning.ts). */
interface PauseEvidence {
  t: number;
  status: number;
  /** The server's own verdict (the emulators): inside a pause it announced. */
  duringPause?: boolean;
  /** For a 429: the wait its Retry-After asked for. */
  retryAfterMs?: number;
}

/**
 * Arrivals while the server had asked the app to wait, from the server's log in arrival order. The
 * emulators say so themselves (`duringPause`: their pause, penalty included). nginx, express and fastify
 * keep no pause, so it is what their 429s asked: from a 429, until its Retry-After has passed (a later
 * 429's Retry-After extends it). `late`: arrivals more than ON_THE_WIRE_MS after the 429 that began the
 * pause, sent when the client could have known.
 */
export function arrivalsDuringPause(arrivals: readonly PauseEvidence[]): { during: number; late: number } {
  const serverKnows = arrivals.some((a) => a.duringPause !== undefined);
  let pauseStart = -Infinity;
  let pausedUntil = -Infinity;
  let during = 0;
  let late = 0;
  for (const a of arrivals) {
    const paused = serverKnows ? a.duringPause === true : a.t < pausedUntil;
    if (paused) {
      during++;
      if (a.t - pauseStart > ON_THE_WIRE_MS) late++;
    }
    if (a.status !== 429) continue;
    if (!paused) pauseStart = a.t;
    if (a.retryAfterMs !== undefined) pausedUntil = Math.max(pausedUntil, a.t + a.retryAfterMs);
  }
  return { during, late };
}
