import type { OverheadResult } from '../overhead';
import type { PacingResult } from '../pacing';
import type { ScaleResult } from '../scale';
import type { Built } from '../children';
import type { TargetCheck } from '../targets';
import type { Contender, IdealTime, RunMetrics, RunResult, Workload } from '../types';
import { bytes, micros, seconds, table } from './format';
import type { Machine } from './machine';
import { pacingSection } from './pacing';

export interface WorkloadSection {
  workload: Workload;
  ideal: IdealTime;
  results: RunResult[];
  svgFile: string;
}

function lostCell(m: RunMetrics): string {
  if (m.lost === 0) return '0';
  return m.lostCutOff > 0 ? `**${m.lost}** (${m.lostCutOff} cut off)` : `**${m.lost}**`;
}

function timeCells(m: RunMetrics, capMs: number): [string, string] {
  if (m.timedOut) return [`cut off at ${seconds(capMs)}`, `> ${m.idealRatio.toFixed(2)}`];
  if (m.lost > 0 || m.outcomes.ok < m.requests) return [seconds(m.elapsedMs), `— (lost)`];
  return [seconds(m.elapsedMs), m.idealRatio.toFixed(3)];
}

export function workloadTable(section: WorkloadSection, contenders: readonly Contender[], capMs: number): string {
  const withBodies = section.workload.requests.some((r) => r.body !== undefined);
  const header = [
    'contender',
    'accepted / ok to caller',
    'lost',
    'dup',
    '429s',
    'during a pause (late)',
    'max in flight app/token',
    'max per 1 s app/token',
    'first arrival',
    'time',
    '× ideal',
  ];
  if (withBodies) header.push('bad bodies');
  const rows = section.results.map((result) => {
    const m = result.metrics;
    const name = contenders.find((c) => c.id === result.contender)?.name ?? result.contender;
    const [time, ratio] = timeCells(m, capMs);
    const row = [
      name,
      `${m.completed} / ${m.outcomes.ok}`,
      lostCell(m),
      String(m.duplicates),
      String(m.rejected429),
      `${m.arrivedDuringPause} (${m.lateDuringPause})`,
      `${m.maxInFlightApp}/${m.maxInFlightToken}`,
      `${m.maxInWindowApp}/${m.maxInWindowToken}`,
      `${Math.round(m.firstArrivalMs)} ms`,
      time,
      ratio,
    ];
    if (withBodies) row.push(String(m.badBodies));
    return row;
  });
  const notes = section.results.flatMap((result) => {
    const name = contenders.find((c) => c.id === result.contender)?.name ?? result.contender;
    return Object.entries(result.metrics.errors)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([message, count]) => `- ${name}: ${count} × \`${message}\``);
  });
  return notes.length > 0 ? `${table(header, rows)}\n\nErrors callers got (other than plain 429s):\n\n${notes.join('\n')}` : table(header, rows);
}

export function overheadTable(o: OverheadResult): string {
  return table(
    ['', 'µs per request (median)', 'fastest round', 'slowest round'],
    [
      ['bare axios', micros(o.bareUs), micros(Math.min(...o.bareRounds)), micros(Math.max(...o.bareRounds))],
      ['axios + axios-rate-guard', micros(o.guardedUs), micros(Math.min(...o.guardedRounds)), micros(Math.max(...o.guardedRounds))],
      ['added by the guard', micros(o.guardedUs - o.bareUs), '', ''],
      ['ratio guarded / bare', `**${o.ratio.toFixed(3)}×**`, '', ''],
    ],
  );
}

export function scaleTables(s: ScaleResult): string {
  const q = s.queued;
  const t = s.tokens;
  const queued = table(
    [`${q.requests.toLocaleString('en')} requests queued on one paused key`, 'value'],
    [
      ['queued at once (guard stats)', q.queuedSeen.toLocaleString('en')],
      ['failed', String(q.failures)],
      ['wall time (1 s pause + drain at 1000 per 100 ms)', seconds(q.wallMs)],
      ['CPU per request: guarded / bare axios', `${micros(q.cpuUsPerRequest)} / ${micros(q.bareCpuUsPerRequest)}`],
      ['heap per waiting request: guarded / bare axios pending in its adapter', `${bytes(q.bytesPerQueued)} / ${bytes(q.bareBytesPerPending)}`],
      ['heap above baseline after all settled', bytes(q.residualBytes)],
      ['live timers while all waited: for requests / housekeeping', `${q.whileQueued.waiting} / ${q.whileQueued.housekeeping}`],
      ['most live timers at once: for requests / housekeeping', `${q.timers.peakWaiting} / ${q.timers.peakHousekeeping}`],
      ['setTimer calls: for requests / housekeeping (fired, cleared)', `${q.timers.setWaiting} / ${q.timers.setHousekeeping} (${q.timers.fired}, ${q.timers.cleared})`],
    ],
  );
  const tokens = table(
    [`${t.tokens.toLocaleString('en')} distinct tokens, one request each`, 'value'],
    [
      ['wall time / CPU per request', `${seconds(t.wallMs)} / ${micros(t.cpuUsPerRequest)}`],
      ['keys held after the run', t.keysHeld.toLocaleString('en')],
      ['heap above baseline with the keys held (per key)', `${bytes(t.heldBytes)} (${bytes(t.bytesPerIdleKey)})`],
      ['keys after the clock passed idleTtlMs and the sweep ran', t.keysAfterEviction.toLocaleString('en')],
      ['heap above baseline after eviction', bytes(t.afterEvictionBytes)],
      ['most live timers at once: for requests / housekeeping', `${t.timers.peakWaiting} / ${t.timers.peakHousekeeping}`],
      ['setTimer calls: for requests / housekeeping', `${t.timers.setWaiting} / ${t.timers.setHousekeeping}`],
    ],
  );
  return `${queued}\n\n${tokens}`;
}

export function targetLines(checks: readonly TargetCheck[]): string[] {
  return checks.map((c) => `${c.pass ? 'PASS' : 'FAIL'}  ${c.target}: ${c.detail}`);
}

export interface LatestReport {
  machine: Machine;
  settings: string[];
  sections: WorkloadSection[];
  contenders: readonly Contender[];
  capMs: number;
  overhead: OverheadResult & Built;
  scale: ScaleResult & Built;
  /** Every target, the pacing section's included. */
  checks: TargetCheck[];
  pacing: PacingResult[];
  durationMs: number;
}

function configurations(contenders: readonly Contender[]): string {
  return table(
    ['contender', 'limits known', 'limits unknown'],
    contenders.map((c) => [c.name, `\`${c.describe(true)}\``, `\`${c.describe(false)}\``]),
  );
}

export function workloadSection(section: WorkloadSection, contenders: readonly Contender[], capMs: number): string {
  return [
    `### ${section.workload.id}: ${section.workload.title}`,
    '',
    `Ideal: **${seconds(section.ideal.ms)}** (${section.ideal.bound} bound). Cap: ${seconds(capMs)}.`,
    '',
    workloadTable(section, contenders, capMs),
    '',
    `![${section.workload.id}](${section.svgFile})`,
  ].join('\n');
}

export function latestDocument(r: LatestReport): string {
  const m = r.machine;
  return [
    '# axios-rate-guard benchmark: latest run',
    '',
    `${m.date} · ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB · ${m.os} · Node ${m.node} · whole run ${seconds(r.durationMs)}`,
    '',
    'Generated by `npm run bench` (see [bench/README.md](../README.md) for what is measured and how).',
    '',
    ...r.settings.map((s) => `- ${s}`),
    '',
    '## Targets for axios-rate-guard',
    '',
    '```',
    ...targetLines(r.checks),
    '```',
    '',
    '## Workloads',
    '',
    'Counts are the server\'s, except *ok to caller* (calls that resolved with their response). *lost*: requests',
    'never accepted (failed, or still pending at the cap). *dup*: extra acceptances of a request already accepted.',
    '*during a pause (late)*: arrivals while the app or token was paused by an earlier 429; in brackets those that came',
    'more than 100 ms after the 429 that began the pause (already on the wire otherwise). *first arrival*: ms from',
    'firing the burst to the first request reaching the server. *× ideal*: time from firing the burst to the last',
    'answer, over the ideal; "—" when requests were lost (finishing early by dropping them is not speed).',
    '',
    ...r.sections.flatMap((s) => [workloadSection(s, r.contenders, r.capMs), '']),
    pacingSection(r.pacing, []),
    '',
    '## Overhead per request (in-process adapter, limits that never bind)',
    '',
    `${r.overhead.rounds} interleaved rounds (bare, guarded, bare, guarded…) of ${r.overhead.requestsPerRound} sequential GETs each, after warm-up. ` +
      `Plugin: ${r.overhead.build}.`,
    '',
    overheadTable(r.overhead),
    '',
    '## Scale',
    '',
    `In-process adapter, heap measured after forced collections. Plugin: ${r.scale.build}.`,
    '',
    scaleTables(r.scale),
    '',
    '## How each contender is configured',
    '',
    configurations(r.contenders),
    '',
  ].join('\n');
}
