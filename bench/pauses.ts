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
 * Arrivals while the server had the app paused, from the server's log in arrival order. The emulators say
 * so themselves (`duringPause`: their pause, penalty included). nginx, express and fastify keep no pause,
 * so it is what their 429s said: from a 429 until its Retry-After has passed (a later 429's extends it) or
 * the server accepts a request again, whichever comes first. Retry-After is in whole seconds (express and
 * fastify round the window's end up, nginx's is static), so the limiter is often open before it ends; an
 * arrival it accepts shows that it was, and ends the pause. `late`: arrivals more than ON_THE_WIRE_MS after
 * the 429 that began the pause, sent when the client could have known.
 */
export function arrivalsDuringPause(arrivals: readonly PauseEvidence[]): { during: number; late: number } {
  const serverKnows = arrivals.some((a) => a.duringPause !== undefined);
  const accepted = (a: PauseEvidence) => a.status >= 200 && a.status < 300;
  let pauseStart = -Infinity;
  let pausedUntil = -Infinity;
  let during = 0;
  let late = 0;
  for (const a of arrivals) {
    if (!serverKnows && accepted(a)) pausedUntil = -Infinity;
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
