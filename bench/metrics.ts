import { isAxiosError, isCancel, type AxiosResponse } from 'axios';
import type { EchoBody, EmulatorStats, TimelineEntry } from '../emulator';
import { isRateLimitError } from '../src';
import { ON_THE_WIRE_MS } from './config';
import type { BenchRequest, ClientOutcome, IdealTime, Rejection, RunMetrics, RunTimeline } from './types';

/** How a request ended, as its caller saw it. */
export function classify(error: unknown): ClientOutcome {
  if (isRateLimitError(error)) return 'rate-guard-error';
  if (isCancel(error)) return 'canceled';
  if (isAxiosError(error) && error.response?.status === 429) return 'http-429';
  return 'other-error';
}

/** "outcome: first line of the message", for errors worth reading (a plain 429 is not). */
export function describeError(outcome: ClientOutcome, error: unknown): string | undefined {
  if (outcome === 'http-429' || outcome === 'canceled') return undefined;
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return `${outcome}: ${message.split('\n')[0].slice(0, 160)}`;
}

/** True when the server echoed exactly the bytes of the request's JSON body (or it had none). */
export function bodyIntact(request: BenchRequest, response: AxiosResponse): boolean {
  if (request.body === undefined) return true;
  const echo = response.data as Partial<EchoBody> | undefined;
  if (typeof echo?.bodyBase64 !== 'string') return false;
  return Buffer.from(echo.bodyBase64, 'base64').toString('utf8') === JSON.stringify(request.body);
}

/**
 * Arrivals during a pause that came more than ON_THE_WIRE_MS after the last 429 that began a pause: sent
 * when the client could have known. The timeline is in arrival order.
 */
export function lateArrivalsDuringPause(timeline: readonly TimelineEntry[]): number {
  let lastPauseStart = -Infinity;
  let late = 0;
  for (const entry of timeline) {
    if (entry.status === 429 && !entry.duringPause) lastPauseStart = entry.t;
    if (entry.duringPause && entry.t - lastPauseStart > ON_THE_WIRE_MS) late++;
  }
  return late;
}

export interface ClientSide {
  elapsedMs: number;
  timedOut: boolean;
  /** How each request ended, by request index. */
  outcomeOf: readonly ClientOutcome[];
  badBodies: number;
  errors: Record<string, number>;
}

function countOutcomes(outcomeOf: readonly ClientOutcome[]): Record<ClientOutcome, number> {
  const counts: Record<ClientOutcome, number> = { ok: 0, 'http-429': 0, 'rate-guard-error': 0, canceled: 0, 'other-error': 0, pending: 0 };
  for (const outcome of outcomeOf) counts[outcome]++;
  return counts;
}

/** The server's counts (ground truth) for the workload's requests, with the client's view beside them. */
export function runMetrics(
  requests: readonly BenchRequest[],
  stats: EmulatorStats,
  client: ClientSide,
  ideal: IdealTime,
): RunMetrics {
  let completed = 0;
  let duplicates = 0;
  let lostCutOff = 0;
  for (const request of requests) {
    const accepted = stats.acceptedByPath[request.path] ?? 0;
    if (accepted > 0) completed++;
    else if (client.outcomeOf[request.index] === 'pending') lostCutOff++;
    if (accepted > 1) duplicates += accepted - 1;
  }
  return {
    requests: requests.length,
    completed,
    lost: requests.length - completed,
    lostCutOff,
    duplicates,
    rejected429: stats.rejected429,
    arrivedDuringPause: stats.arrivedDuringPause,
    lateDuringPause: lateArrivalsDuringPause(stats.timeline),
    maxInFlightApp: stats.maxInFlightPerApp,
    maxInFlightToken: stats.maxInFlightPerToken,
    maxInWindowApp: stats.maxInWindowPerApp,
    maxInWindowToken: stats.maxInWindowPerToken,
    firstArrivalMs: stats.timeline.length > 0 ? stats.timeline[0].t : 0,
    elapsedMs: client.elapsedMs,
    timedOut: client.timedOut,
    idealRatio: client.elapsedMs / ideal.ms,
    badBodies: client.badBodies,
    outcomes: countOutcomes(client.outcomeOf),
    errors: client.errors,
  };
}

/**
 * Every 429 of the timeline (in arrival order), with the accepted arrivals of its app and its token in the
 * server window before it: enough to tell a rate 429 sent one request too early from a penalty or a
 * concurrency 429.
 */
export function rejections(timeline: readonly TimelineEntry[], windowMs: number): Rejection[] {
  const out: Rejection[] = [];
  timeline.forEach((entry, index) => {
    if (entry.status !== 429) return;
    let appInWindow = 0;
    let tokenInWindow = 0;
    for (let i = index - 1; i >= 0 && timeline[i].t > entry.t - windowMs; i--) {
      const earlier = timeline[i];
      if (earlier.status === 429 || earlier.app !== entry.app) continue;
      appInWindow++;
      if (earlier.token === entry.token) tokenInWindow++;
    }
    out.push({ t: entry.t, limit: entry.limit, token: entry.token, duringPause: entry.duringPause, appInWindow, tokenInWindow });
  });
  return out;
}

/** Arrival times of accepted requests and of 429s, for the chart, and every 429 in detail. */
export function runTimeline(stats: EmulatorStats, windowMs: number): RunTimeline {
  const accepted: number[] = [];
  const throttled: number[] = [];
  for (const entry of stats.timeline) (entry.status === 429 ? throttled : accepted).push(entry.t);
  return { accepted, throttled, rejections: rejections(stats.timeline, windowMs) };
}

/** Accepted requests per second at the server once a run is saturated (see sustainedRate). */
export interface SustainedRate {
  /** Accepted arrivals per second over whole windows from the end of the warm-up. */
  perSecond: number;
  /** The measured span, ms since the burst: from the end of the warm-up, whole windows only. */
  fromMs: number;
  toMs: number;
  /** Accepted arrivals in [fromMs, toMs). */
  accepted: number;
  /** The same count taken up to and including the last arrival, over (fromMs, last arrival]. */
  toLastArrivalPerSecond: number;
}

/**
 * Accepted requests per second at the server over the saturated part of a run: from the end of the warm-up
 * (first accepted arrival + `warmUpMs`, by default one window: the first window is spent before the client
 * has heard back from the server) to the last accepted arrival, counted over whole windows only. A client
 * at the limit sends one window's quota at a time, in bursts; a span ending on the last arrival would count
 * that last burst without the window it opens, and read above the limit.
 */
export function sustainedRate(accepted: readonly number[], windowMs: number, warmUpMs = windowMs): SustainedRate {
  if (accepted.length === 0) return { perSecond: 0, fromMs: 0, toMs: 0, accepted: 0, toLastArrivalPerSecond: 0 };
  const sorted = [...accepted].sort((a, b) => a - b);
  const fromMs = sorted[0] + warmUpMs;
  const lastMs = sorted[sorted.length - 1];
  const windows = Math.floor((lastMs - fromMs) / windowMs);
  const toMs = fromMs + windows * windowMs;
  const inSpan = sorted.filter((t) => t >= fromMs && t < toMs).length;
  const toLast = sorted.filter((t) => t > fromMs).length;
  return {
    perSecond: windows > 0 ? (inSpan * 1000) / (toMs - fromMs) : 0,
    fromMs,
    toMs,
    accepted: inSpan,
    toLastArrivalPerSecond: lastMs > fromMs ? (toLast * 1000) / (lastMs - fromMs) : 0,
  };
}
