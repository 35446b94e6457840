/**
 * The pacing section: axios-rate-guard alone, told limits equal to the server's, on a burst over loopback,
 * through a long round trip and against a slow endpoint. Each workload runs PACING.runs times against a fresh
 * emulator; the median is judged and the spread shown. See bench/README.md, "Pacing".
 */
import { CAP_IDEAL_MULTIPLE, PACING, knownLimits } from './config';
import { axiosRateGuard } from './contenders/rate-guard';
import { runOne } from './execute';
import { idealTime } from './ideal';
import { sustainedRate, type SustainedRate } from './metrics';
import type { IdealTime, PacingWorkload, Rejection, RunMetrics } from './types';
import { requestsPerToken } from './workloads';

export interface PacingRun {
  metrics: RunMetrics;
  sustained: SustainedRate;
  /** Every 429 the server sent in this run, in arrival order (none expected). */
  rejections: Rejection[];
  /** The judged measure of this run: × ideal, or the sustained share of the allowed rate. */
  value: number;
}

export interface PacingResult {
  workload: PacingWorkload;
  ideal: IdealTime;
  /** Accepted requests per second the server's rate limits allow this workload at best. */
  allowedPerSecond: number;
  /** Which rate limit sets it, e.g. "3 tokens × 16 per 1000 ms". */
  allowedBy: string;
  runs: PacingRun[];
  median: number;
  min: number;
  max: number;
  /** The median meets the target and no run lost a request or was cut off. */
  pass: boolean;
}

/**
 * The most accepted requests per second the rate limits allow when requests are spread evenly over the
 * workload's tokens: the app's rate, or the tokens' rates together if that is lower.
 */
export function allowedRate(workload: PacingWorkload): { perSecond: number; by: string } {
  const { appRate, tokenRate, windowMs } = workload.server;
  const perSecond = (n: number): number => (n * 1000) / windowMs;
  return workload.tokens * tokenRate < appRate
    ? { perSecond: perSecond(workload.tokens * tokenRate), by: `${workload.tokens} tokens × ${tokenRate} per ${windowMs} ms` }
    : { perSecond: perSecond(appRate), by: `the app's ${appRate} per ${windowMs} ms` };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function meetsTarget(workload: PacingWorkload, value: number): boolean {
  return workload.target.measure === 'ideal-ratio' ? value <= workload.target.max : value >= workload.target.min;
}

/** Runs one pacing workload PACING.runs times; `onRun` sees each run as it finishes (progress lines). */
export async function runPacing(
  workload: PacingWorkload,
  onRun: (run: PacingRun, index: number) => void = () => undefined,
): Promise<PacingResult> {
  const ideal = idealTime(requestsPerToken(workload.requests), workload.server);
  const allowed = allowedRate(workload);
  const runs: PacingRun[] = [];
  for (let i = 0; i < PACING.runs; i++) {
    const result = await runOne(axiosRateGuard, workload, ideal, CAP_IDEAL_MULTIPLE * ideal.ms, {
      server: workload.server,
      known: knownLimits(workload.server),
      delay: workload.delay,
      ownProcess: true,
    });
    // Steady state: the guard has had its first answers back (a round trip after the first window) and
    // a window more to use what they taught it.
    const roundTripMs = workload.server.latencyMs + (workload.delay?.upstreamDelayMs ?? 0) + (workload.delay?.downstreamDelayMs ?? 0);
    const sustained = sustainedRate(result.timeline.accepted, workload.server.windowMs, 2 * (workload.server.windowMs + roundTripMs));
    const value = workload.target.measure === 'ideal-ratio' ? result.metrics.idealRatio : sustained.perSecond / allowed.perSecond;
    const run: PacingRun = { metrics: result.metrics, sustained, rejections: result.timeline.rejections, value };
    onRun(run, i);
    runs.push(run);
  }
  const values = runs.map((r) => r.value);
  const mid = median(values);
  return {
    workload,
    ideal,
    allowedPerSecond: allowed.perSecond,
    allowedBy: allowed.by,
    runs,
    median: mid,
    min: Math.min(...values),
    max: Math.max(...values),
    pass: meetsTarget(workload, mid) && runs.every((r) => r.metrics.lost === 0 && !r.metrics.timedOut),
  };
}
