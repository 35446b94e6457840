/** The pacing section's tables, for the console, bench/results/pacing.md and latest.md. */
import { PACING } from '../config';
import type { PacingResult, PacingRun } from '../pacing';
import type { TargetCheck } from '../targets';
import type { PacingWorkload, ServerLimits } from '../types';
import { seconds, table } from './format';
import type { Machine } from './machine';

/** At most this many 429s are listed per run; the rest are counted. */
const LISTED_REJECTIONS = 8;

const percent = (share: number): string => `${(share * 100).toFixed(1)} %`;

function formatValue(workload: PacingWorkload, value: number): string {
  return workload.target.measure === 'ideal-ratio' ? `${value.toFixed(3)}×` : percent(value);
}

function targetText(result: PacingResult): string {
  const t = result.workload.target;
  return t.measure === 'ideal-ratio'
    ? `≤ ${t.max.toFixed(2)}× ideal (${seconds(result.ideal.ms)}, ${result.ideal.bound})`
    : `≥ ${percent(t.min)} of ${result.allowedPerSecond}/s (${result.allowedBy})`;
}

function limitsText(server: ServerLimits): string {
  return (
    `app ${server.appRate}/${server.windowMs} ms, ${server.appConcurrent} in flight; ` +
    `token ${server.tokenRate}/${server.windowMs} ms, ${server.tokenConcurrent} in flight; ${server.latencyMs} ms latency`
  );
}

function linkText(workload: PacingWorkload): string {
  const d = workload.delay;
  return d ? `delay proxy, ${d.upstreamDelayMs} ms up + ${d.downstreamDelayMs} ms down` : 'loopback';
}

/** One line per run of what it measured, for progress output. */
export function pacingProgressLine(workload: PacingWorkload, run: PacingRun, index: number): string {
  const m = run.metrics;
  const time = m.timedOut ? `cut off at ${seconds(m.elapsedMs)}` : `${seconds(m.elapsedMs)} (${m.idealRatio.toFixed(3)}× ideal)`;
  return (
    `  run ${index + 1}  ${time}  sustained ${run.sustained.perSecond.toFixed(1)}/s  ` +
    `judged ${formatValue(workload, run.value)}  429s ${m.rejected429}  lost ${m.lost}  ` +
    `max per 1 s ${m.maxInWindowApp}/${m.maxInWindowToken}  max in flight ${m.maxInFlightApp}/${m.maxInFlightToken}`
  );
}

/** One row per workload: the judged measure of every run, median, spread, 429s and the verdict. */
export function pacingSummaryTable(results: readonly PacingResult[]): string {
  const runs = PACING.runs;
  const header = ['workload', 'target', ...Array.from({ length: runs }, (_, i) => `run ${i + 1}`), 'median', 'min–max', '429s per run', 'result'];
  const rows = results.map((r) => [
    r.workload.id,
    targetText(r),
    ...r.runs.map((run) => formatValue(r.workload, run.value)),
    `**${formatValue(r.workload, r.median)}**`,
    `${formatValue(r.workload, r.min)}–${formatValue(r.workload, r.max)}`,
    r.runs.map((run) => run.metrics.rejected429).join(', '),
    r.pass ? 'PASS' : 'FAIL',
  ]);
  return table(header, rows);
}

/** Every run in detail, from the server's statistics. */
export function pacingRunsTable(results: readonly PacingResult[]): string {
  const header = [
    'workload',
    'run',
    'accepted / ok to caller',
    'lost',
    '429s',
    'during a pause',
    'max in flight app/token',
    'max per 1 s app/token',
    'first arrival',
    'time',
    '× ideal',
    'sustained (whole windows)',
    'to last arrival',
  ];
  const rows = results.flatMap((r) =>
    r.runs.map((run, i) => {
      const m = run.metrics;
      const s = run.sustained;
      return [
        r.workload.id,
        String(i + 1),
        `${m.completed} / ${m.outcomes.ok}`,
        m.lost === 0 ? '0' : `**${m.lost}**${m.lostCutOff > 0 ? ` (${m.lostCutOff} cut off)` : ''}`,
        m.rejected429 === 0 ? '0' : `**${m.rejected429}**`,
        String(m.arrivedDuringPause),
        `${m.maxInFlightApp}/${m.maxInFlightToken}`,
        `${m.maxInWindowApp}/${m.maxInWindowToken}`,
        `${Math.round(m.firstArrivalMs)} ms`,
        m.timedOut ? `cut off at ${seconds(m.elapsedMs)}` : seconds(m.elapsedMs),
        m.idealRatio.toFixed(3),
        `${s.perSecond.toFixed(1)}/s (${percent(s.perSecond / r.allowedPerSecond)}) over ${seconds(s.fromMs)}–${seconds(s.toMs)}`,
        `${s.toLastArrivalPerSecond.toFixed(1)}/s (${percent(s.toLastArrivalPerSecond / r.allowedPerSecond)})`,
      ];
    }),
  );
  return table(header, rows);
}

/** Every 429 of every run, with the server's count of the window before it: which limit, and when. */
export function pacingRejectionLines(results: readonly PacingResult[]): string[] {
  return results.flatMap((r) =>
    r.runs.flatMap((run, i) => {
      if (run.rejections.length === 0) return [];
      const byLimit = new Map<string, number>();
      for (const x of run.rejections) byLimit.set(x.limit ?? 'unnamed', (byLimit.get(x.limit ?? 'unnamed') ?? 0) + 1);
      const head = `- ${r.workload.id} run ${i + 1}: ${run.rejections.length} × 429 (${[...byLimit].map(([limit, n]) => `${n} ${limit}`).join(', ')})`;
      const listed = run.rejections.slice(0, LISTED_REJECTIONS).map(
        (x) =>
          `  - ${x.t.toFixed(1)} ms: ${x.limit ?? 'no limit named'}, token ${x.token}${x.duringPause ? ', during a pause (penalty)' : ''}; ` +
          `accepted in the ${r.workload.server.windowMs} ms before: ${x.tokenInWindow} of the token, ${x.appInWindow} of the app`,
      );
      const more = run.rejections.length - LISTED_REJECTIONS;
      return more > 0 ? [head, ...listed, `  - … and ${more} more`] : [head, ...listed];
    }),
  );
}

/** How each workload is set up, one line each. */
export function pacingSettings(results: readonly PacingResult[]): string[] {
  return results.map(
    (r) =>
      `\`${r.workload.id}\`: ${r.workload.requests.length} GETs fired at once over ${r.workload.tokens} tokens, ${linkText(r.workload)}; ` +
      `server and axios-rate-guard both ${limitsText(r.workload.server)}.`,
  );
}

const METHOD = [
  '*× ideal*: time from firing the burst to the last answer, on the client, over the ideal time of `bench/ideal.ts`',
  "(the shortest the server's limits allow, network not included). *sustained*: accepted arrivals per second at the",
  'server from the end of the first window (first arrival + 1 s) to the last arrival, over whole windows only, as a',
  'share of the rate the rate limits allow (named in the *target* column). *to last arrival*: the same',
  'count over the span up to the last arrival itself, which counts the last burst without its window. The median of',
  'the runs is judged; every run must also lose nothing. All counts are the server\'s (`emulator.stats()`).',
];

/** The pacing section of latest.md (whose PASS/FAIL lines are at its top: `checks` empty), and the body of pacing.md. */
export function pacingSection(results: readonly PacingResult[], checks: readonly TargetCheck[], heading = '##'): string {
  const rejections = pacingRejectionLines(results);
  return [
    `${heading} Pacing: axios-rate-guard with known limits`,
    '',
    `axios-rate-guard alone, told limits equal to the server's; ${PACING.runs} runs per workload, each against a fresh emulator (Clover rules, penalty on).`,
    '',
    ...pacingSettings(results).map((s) => `- ${s}`),
    '',
    ...(checks.length > 0 ? ['```', ...checks.map((c) => `${c.pass ? 'PASS' : 'FAIL'}  ${c.target}: ${c.detail}`), '```', ''] : []),
    pacingSummaryTable(results),
    '',
    pacingRunsTable(results),
    '',
    ...METHOD,
    '',
    rejections.length > 0 ? `429s the server sent (arrival time since the burst):\n\n${rejections.join('\n')}` : 'The server sent no 429 in any run.',
  ].join('\n');
}

/** 1, 5 and 15 minute load averages, before and after the section: the client, the proxy and the server share the CPU. */
export interface LoadAverages {
  before: number[];
  after: number[];
}

export function loadText(load: LoadAverages, cores: number): string {
  const show = (l: number[]): string => l.map((x) => x.toFixed(2)).join(', ');
  return `load average (1, 5, 15 min) on ${cores} cores: ${show(load.before)} before, ${show(load.after)} after`;
}

/** bench/results/pacing.md. */
export function pacingDocument(
  machine: Machine,
  results: readonly PacingResult[],
  checks: readonly TargetCheck[],
  durationMs: number,
  load: LoadAverages,
): string {
  return [
    '# axios-rate-guard benchmark: pacing',
    '',
    `${machine.date} · ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGb} GB · ${machine.os} · Node ${machine.node} · section ${seconds(durationMs)}`,
    '',
    `The ${loadText(load, machine.cores)}.`,
    '',
    'Generated by `npm run bench` or `npm run bench -- --only pacing` (see [bench/README.md](../README.md), "Pacing").',
    '',
    pacingSection(results, checks, '##'),
    '',
  ].join('\n');
}
