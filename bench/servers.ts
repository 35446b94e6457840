/**
 * The servers section (issue 14): every contender against real server-side limiters (express-rate-limit
 * with draft-8 and with draft-6 + legacy headers, @fastify/rate-limit, Debian's nginx limit_req) and the
 * Clover emulator, each cell SERVERS.runs times. The servers, the runner and the ideal times are the
 * learning section's (./learning.ts); counts are the servers' own. See bench/README.md, "Servers".
 */
import { CAP_IDEAL_MULTIPLE, SERVERS } from './config';
import { axiosRateLimitContender } from './contenders/axios-rate-limit';
import { axiosRetryContender } from './contenders/axios-retry';
import { bottleneckContender } from './contenders/bottleneck';
import { plainAxios } from './contenders/plain';
import { axiosRateGuard } from './contenders/rate-guard';
import { rateLimitPlusRetry } from './contenders/rate-limit-retry';
import { cloverTarget, expressTarget, fastifyTarget, nginxTarget, runLearning, type AnchorShape, type LearningRun, type LearningTarget } from './learning';
import { medianIndex, ratioOf, spread, type Spread } from './spread';
import type { Contender, KnownLimits } from './types';

/** A contender of this section and whether it is told the server's limits. */
export interface ServerContender {
  contender: Contender;
  limitsKnown: boolean;
}

const guardKnown: Contender = { ...axiosRateGuard, id: 'rate-guard-known', name: 'axios-rate-guard, limits known' };
const guardUnknown: Contender = { ...axiosRateGuard, id: 'rate-guard-unknown', name: 'axios-rate-guard, only clientId' };

/**
 * In report order. Every contender that takes limits is told them; axios-retry and plain axios take none.
 * The guard runs twice: told the limits, and told only its clientId (it learns them).
 */
export const SERVER_CONTENDERS: readonly ServerContender[] = [
  { contender: guardKnown, limitsKnown: true },
  { contender: guardUnknown, limitsKnown: false },
  { contender: bottleneckContender, limitsKnown: true },
  { contender: rateLimitPlusRetry, limitsKnown: true },
  { contender: axiosRateLimitContender, limitsKnown: true },
  { contender: axiosRetryContender, limitsKnown: true },
  { contender: plainAxios, limitsKnown: true },
];

/** The servers, in report order: the learning section's targets (nginx with its 150-request burst). */
export function serverTargets(): LearningTarget[] {
  return [expressTarget('draft-8', []), expressTarget('draft-6', [], true), fastifyTarget([]), nginxTarget(150, []), cloverTarget([])];
}

/** A server's limits as the contenders are told them (the learning anchor's shape). */
export function knownLimitsOf(shape: AnchorShape): KnownLimits {
  return shape.kind === 'bucket' ? { bucket: { rate: shape.rate, burst: shape.burst } } : { app: shape.app, token: shape.token };
}

/** The accepted rate a server allows once its burst is spent, per second: the limit line of its chart. */
export function sustainedLimit(target: LearningTarget): number {
  const shape = target.anchor;
  if (shape.kind === 'bucket') return shape.rate;
  const tokens = new Set(target.requests.map((r) => r.token)).size;
  const perSecond = (limit: { requests: number; perMs: number }) => (limit.requests * 1000) / limit.perMs;
  const candidates = [shape.app && perSecond(shape.app), shape.token && tokens * perSecond(shape.token)].filter((v): v is number => v !== undefined);
  return Math.min(...candidates);
}


export interface CellSummary {
  /** × ideal; Infinity (null in JSON) for runs that lost requests. */
  ratio: Spread;
  rejected429: Spread;
  lost: Spread;
  duringPause: Spread;
  lateDuringPause: Spread;
  elapsedMs: Spread;
  duplicates: Spread;
  completeRuns: number;
  cutOffRuns: number;
  /** The run whose × ideal is the median: the one charted. */
  medianRun: number;
}

export interface ServerCell {
  contender: string;
  name: string;
  limitsKnown: boolean;
  /** How it was configured for this server. */
  configured: string;
  runs: LearningRun[];
  summary: CellSummary;
}

export interface ServerResult {
  target: Pick<LearningTarget, 'id' | 'title' | 'limits' | 'ideal' | 'floor'>;
  /** Accepted per second once the burst is spent (the chart's limit line). */
  sustainedLimit: number;
  capMs: number;
  cells: ServerCell[];
}

export interface ServersResult {
  runsPerCell: number;
  capIdealMultiple: number;
  servers: ServerResult[];
  durationMs: number;
}

export function summarize(runs: readonly LearningRun[]): CellSummary {
  const of = (f: (run: LearningRun) => number) => spread(runs.map(f));
  return {
    ratio: of(ratioOf),
    rejected429: of((r) => r.metrics.rejected429),
    lost: of((r) => r.metrics.lost),
    duringPause: of((r) => r.metrics.arrivedDuringPause),
    lateDuringPause: of((r) => r.metrics.lateDuringPause),
    elapsedMs: of((r) => r.metrics.elapsedMs),
    duplicates: of((r) => r.metrics.duplicates),
    completeRuns: runs.filter((r) => r.metrics.lost === 0).length,
    cutOffRuns: runs.filter((r) => r.metrics.timedOut).length,
    medianRun: medianIndex(runs, ratioOf),
  };
}

/**
 * Runs every server × contender SERVERS.runs times, each run against a fresh server. Repeats sweep all the
 * contenders in turn, so that a noisy minute on the machine falls on one run of each, not on three of one.
 */
export async function runServersSection(
  onRun: (target: LearningTarget, entry: ServerContender, run: LearningRun, repeat: number) => void = () => undefined,
): Promise<ServersResult> {
  const started = performance.now();
  const servers: ServerResult[] = [];
  for (const target of serverTargets()) {
    const known = knownLimitsOf(target.anchor);
    const capMs = CAP_IDEAL_MULTIPLE * target.ideal.ms;
    const runs = SERVER_CONTENDERS.map((): LearningRun[] => []);
    for (let repeat = 0; repeat < SERVERS.runs; repeat++) {
      for (const [index, entry] of SERVER_CONTENDERS.entries()) {
        const run = await runLearning(target, entry.contender, capMs, entry.limitsKnown ? known : undefined);
        onRun(target, entry, run, repeat);
        runs[index].push(run);
      }
    }
    servers.push({
      target: { id: target.id, title: target.title, limits: target.limits, ideal: target.ideal, floor: target.floor },
      sustainedLimit: sustainedLimit(target),
      capMs,
      cells: SERVER_CONTENDERS.map((entry, index) => ({
        contender: entry.contender.id,
        name: entry.contender.name,
        limitsKnown: entry.limitsKnown,
        configured: entry.contender.describe(entry.limitsKnown ? known : undefined),
        runs: runs[index],
        summary: summarize(runs[index]),
      })),
    });
  }
  return { runsPerCell: SERVERS.runs, capIdealMultiple: CAP_IDEAL_MULTIPLE, servers, durationMs: performance.now() - started };
}
