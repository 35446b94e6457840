import { isAxiosError, isCancel, type AxiosResponse } from 'axios';
import type { EchoBody, EmulatorStats, TimelineEntry } from '../emulator';
import { isRateLimitError } from '../src';
import { ON_THE_WIRE_MS } from './config';
import type { BenchRequest, ClientOutcome, IdealTime, RunMetrics, RunTimeline } from './types';

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

/** Arrival times of accepted requests and of 429s, for the chart. */
export function runTimeline(stats: EmulatorStats): RunTimeline {
  const accepted: number[] = [];
  const throttled: number[] = [];
  for (const entry of stats.timeline) (entry.status === 429 ? throttled : accepted).push(entry.t);
  return { accepted, throttled };
}
