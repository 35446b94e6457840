import { TARGETS } from './config';
import type { PacingResult } from './pacing';
import { medianIndex, ratioOf } from './spread';
import type { RunMetrics, RunResult, Workload } from './types';

export interface TargetCheck {
  target: string;
  pass: boolean;
  detail: string;
}

const OURS = 'rate-guard';

/**
 * The promises axios-rate-guard makes, checked against this run's numbers: every run of each workload must
 * lose nothing, and with known limits draw no 429 and no arrival during a pause; completion is judged on the
 * median run, as in the pacing section.
 */
export function checkTargets(
  workloads: readonly Workload[],
  runs: readonly RunResult[],
): TargetCheck[] {
  const ours = workloads.map((workload) => {
    const mine = runs.filter((r) => r.workload === workload.id && r.contender === OURS).map((r) => r.metrics);
    if (mine.length === 0) throw new Error(`no axios-rate-guard run for ${workload.id}`);
    return { workload, runs: mine, median: mine[medianIndex(mine, (m) => ratioOf({ metrics: m }))] };
  });
  const known = ours.filter((o) => o.workload.limitsKnown);
  const unknown = ours.filter((o) => !o.workload.limitsKnown);
  const list = <T>(items: readonly T[], show: (item: T) => string): string => items.map(show).join(', ');
  const each = (o: (typeof ours)[number], show: (m: RunMetrics) => string | number): string => o.runs.map(show).join('/');
  const ratioText = (m: RunMetrics): string => `${m.timedOut ? '> ' : ''}${m.idealRatio.toFixed(3)}×${m.lost > 0 ? ' (lost requests)' : ''}`;
  const ratio = (o: (typeof ours)[number]): string => `${o.workload.id} ${o.runs.map(ratioText).join(', ')} → median ${ratioText(o.median)}`;
  const withinIdeal = (o: (typeof ours)[number], limit: number): boolean =>
    o.runs.every((m) => !m.timedOut && m.lost === 0) && o.median.idealRatio <= limit;

  return [
    {
      target: 'zero lost requests in every run of every workload (every call answered with its response)',
      pass: ours.every((o) => o.runs.every((m) => m.lost === 0 && m.outcomes.ok === m.requests)),
      detail: list(ours, (o) => `${o.workload.id} ${each(o, (m) => m.lost)} lost, ${each(o, (m) => m.requests - m.outcomes.ok)} calls failed`),
    },
    {
      // With limits unknown, the requests on the wire when the server begins a pause arrive during it: no
      // client can hold them. What it can hold is everything sent after that 429 could have reached it.
      target: 'no request arriving during a pause that the guard could have held (server count): none with known limits, none late with unknown ones',
      pass: known.every((o) => o.runs.every((m) => m.arrivedDuringPause === 0)) && unknown.every((o) => o.runs.every((m) => m.lateDuringPause === 0)),
      detail: list(ours, (o) => `${o.workload.id} ${each(o, (m) => m.arrivedDuringPause)} (late ${each(o, (m) => m.lateDuringPause)})`),
    },
    {
      target: 'zero 429s with known limits, in every run',
      pass: known.every((o) => o.runs.every((m) => m.rejected429 === 0)),
      detail: list(known, (o) => `${o.workload.id} ${each(o, (m) => m.rejected429)}`),
    },
    {
      target: `completion within ${TARGETS.knownIdealRatio}× ideal with known limits (median run)`,
      pass: known.every((o) => withinIdeal(o, TARGETS.knownIdealRatio)),
      detail: list(known, ratio),
    },
    {
      target: `completion within ${TARGETS.unknownIdealRatio}× ideal with unknown limits (median run)`,
      pass: unknown.every((o) => withinIdeal(o, TARGETS.unknownIdealRatio)),
      detail: list(unknown, ratio),
    },
  ];
}

/**
 * The pacing section's promises: each workload's median within its target (and nothing lost in any run),
 * and no 429 in any run, limits being known.
 */
export function checkPacingTargets(results: readonly PacingResult[]): TargetCheck[] {
  const values = (r: PacingResult, show: (v: number) => string): string =>
    `${r.runs.map((run) => show(run.value)).join(', ')} → median ${show(r.median)}` +
    (r.runs.some((run) => run.metrics.lost > 0 || run.metrics.timedOut) ? ' (requests lost)' : '');
  const checks = results.map((r): TargetCheck => {
    const t = r.workload.target;
    return t.measure === 'ideal-ratio'
      ? { target: `${r.workload.id}: completion within ${t.max}× ideal (median of ${r.runs.length})`, pass: r.pass, detail: values(r, (v) => `${v.toFixed(3)}×`) }
      : {
          target: `${r.workload.id}: sustained rate at least ${t.min * 100} % of ${r.allowedPerSecond}/s (median of ${r.runs.length})`,
          pass: r.pass,
          detail: values(r, (v) => `${(v * 100).toFixed(1)} %`),
        };
  });
  checks.push({
    target: 'pacing: zero 429s in every run with known limits',
    pass: results.every((r) => r.runs.every((run) => run.metrics.rejected429 === 0)),
    detail: results.map((r) => `${r.workload.id} ${r.runs.map((run) => run.metrics.rejected429).join('/')}`).join(', '),
  });
  return checks;
}
