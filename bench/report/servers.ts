/** Tables and text of the servers section (bench/servers.ts): progress lines, servers.md and the README region. */
import type { LearningRun } from '../learning';
import type { ServerCell, ServerResult, ServersResult } from '../servers';
import type { Spread } from '../spread';
import { seconds, table } from './format';
import type { Machine } from './machine';

/** The chart files of a run, relative to bench/results/. */
export const summaryChartFile = 'servers-summary.svg';
export const serverChartFile = (serverId: string): string => `servers-${serverId}.svg`;

const ratio = (value: number): string => (Number.isFinite(value) ? value.toFixed(2) : 'lost');

/** "1.03× (1.02–1.05)", "1.03×" when every run agrees; a median run that lost requests is "lost". */
export function ratioText(s: Spread): string {
  if (!Number.isFinite(s.median)) return 'lost';
  const [min, max] = [ratio(s.min), ratio(s.max)];
  return min === max ? `${ratio(s.median)}×` : `${ratio(s.median)}× (${min}–${max})`;
}

/** "4 (3–6)", or "4" when every run agrees. */
export function countText(s: Spread, digits = 0): string {
  const n = (v: number) => v.toFixed(digits);
  return n(s.min) === n(s.max) ? n(s.median) : `${n(s.median)} (${n(s.min)}–${n(s.max)})`;
}

function timeText(run: LearningRun): string {
  return run.metrics.timedOut ? `cut off at ${seconds(run.metrics.elapsedMs)}` : seconds(run.metrics.elapsedMs);
}

/** One line per run, as it finishes. */
export function serversProgressLine(name: string, run: LearningRun, repeat: number, runs: number): string {
  const m = run.metrics;
  return (
    `  ${`${repeat + 1}/${runs}`.padEnd(4)} ${name.padEnd(32)} ${timeText(run).padStart(17)}  ${(m.lost > 0 ? '—' : `${ratio(m.idealRatio)}×`).padStart(6)} ideal  ` +
    `429s ${String(m.rejected429).padStart(4)}  lost ${String(m.lost).padStart(3)}  during a pause ${String(m.arrivedDuringPause).padStart(4)} (${m.lateDuringPause} late)`
  );
}

/** × ideal, or the requests lost when the median run lost any. */
function timeCell(cell: ServerCell): string {
  const s = cell.summary;
  return Number.isFinite(s.ratio.median) ? ratioText(s.ratio) : `lost ${countText(s.lost)}`;
}

/** 429s · arrivals during a pause. */
function refusalsCell(cell: ServerCell): string {
  return `${countText(cell.summary.rejected429)} · ${countText(cell.summary.duringPause)}`;
}

/** One row per contender, one column per server, `cell` of each. */
function byContender(result: ServersResult, first: string, cell: (c: ServerCell) => string): string {
  const header = [first, ...result.servers.map((s) => `${s.target.id} (ideal ${seconds(s.target.ideal.ms)})`)];
  const rows = result.servers[0]?.cells.map((c, index) => [c.name, ...result.servers.map((s) => cell(s.cells[index]))]) ?? [];
  return table(header, rows);
}

/** The two summary tables: × ideal (or lost), then 429s and arrivals during a pause. */
export function serversSummaryTable(result: ServersResult): string {
  return [
    byContender(result, '× ideal (or lost requests)', timeCell),
    '',
    byContender(result, '429s · arrivals during a pause', refusalsCell),
  ].join('\n');
}

export function serverTable(server: ServerResult): string {
  return table(
    ['contender', 'configured', '× ideal', 'time', '429s', 'lost', 'during a pause (late)', 'dup', 'complete / cut off runs'],
    server.cells.map((cell) => {
      const s = cell.summary;
      const runs = cell.runs.length;
      return [
        cell.name,
        `\`${cell.configured}\``,
        ratioText(s.ratio),
        countText({ median: s.elapsedMs.median / 1000, min: s.elapsedMs.min / 1000, max: s.elapsedMs.max / 1000 }, 2) + ' s',
        countText(s.rejected429),
        countText(s.lost),
        `${countText(s.duringPause)} (${countText(s.lateDuringPause)})`,
        countText(s.duplicates),
        `${s.completeRuns}/${runs} · ${s.cutOffRuns}/${runs}`,
      ];
    }),
  );
}

export function versionsText(versions: Record<string, string>): string {
  return Object.entries(versions)
    .map(([name, version]) => `${name} ${version}`)
    .join(' · ');
}

const HOW_TO_READ = [
  'Each cell is the **median** of the runs, with the min–max in brackets. *× ideal*: time from firing the burst to',
  'the last answer over the fastest the server\'s limits allow (1.00× is the physical limit); *lost*: requests never',
  'accepted (they failed, or were still pending at the cap and aborted). A run that lost any has no time: it sorts',
  'last, and when the median run lost requests the cell shows how many. *429s* and *arrivals during a pause* are',
  'the server\'s counts: arrivals while the emulator had paused the app or token, or, for nginx, express and',
  'fastify (which keep no pause), arrivals after a 429 before its Retry-After had passed and before the server',
  'accepted a request again (bench/pauses.ts).',
];

function metaLine(host: Machine, result: ServersResult): string {
  return (
    `${host.date.slice(0, 16).replace('T', ' ')} UTC on ${host.cpu}, ${host.cores} cores, ${host.memoryGb} GB, ${host.os}, Node ${host.node}; ` +
    `${result.runsPerCell} runs per cell, cap ${result.capIdealMultiple}× ideal; the section took ${(result.durationMs / 60_000).toFixed(1)} min`
  );
}

/** bench/results/servers.md. */
export function serversDocument(host: Machine, versions: Record<string, string>, result: ServersResult): string {
  const sections = result.servers.map((server) =>
    [
      `### ${server.target.id}: ${server.target.title}`,
      '',
      `Server: ${server.target.limits}.`,
      '',
      `- ideal ${seconds(server.target.ideal.ms)}: ${server.target.ideal.why};`,
      `- floor for a client told nothing ${seconds(server.target.floor.ms)} (${(server.target.floor.ms / server.target.ideal.ms).toFixed(2)}× ideal): ${server.target.floor.why};`,
      `- cap ${seconds(server.capMs)}.`,
      '',
      serverTable(server),
      '',
      `![${server.target.id}: accepted per second, median run of each contender](${serverChartFile(server.target.id)})`,
    ].join('\n'),
  );
  return [
    '# Every contender against real server-side limiters (`npm run bench -- --only servers`)',
    '',
    metaLine(host, result),
    '',
    `Versions: ${versionsText(versions)}.`,
    '',
    ...HOW_TO_READ,
    '',
    serversSummaryTable(result),
    '',
    `![× ideal per server and contender](${summaryChartFile})`,
    '',
    ...sections.flatMap((s) => [s, '']),
  ].join('\n');
}

/** The README's generated region: the summary table and the charts, with where and when they were taken. */
export function serversReadmeRegion(host: Machine, versions: Record<string, string>, result: ServersResult, resultsDir: string): string {
  const servers = result.servers.map((s) => `[${s.target.id}](${resultsDir}/${serverChartFile(s.target.id)})`).join(', ');
  const lineCharts = result.servers
    .filter((s) => /^(nginx|clover)/.test(s.target.id))
    .map((s) => `![${s.target.id}: accepted per second over time, one line per contender](${resultsDir}/${serverChartFile(s.target.id)})`);
  return [
    `<!-- generated by npm run bench, or npm run bench -- --only servers (bench/report/servers.ts); edits here are overwritten -->`,
    `Every contender against real server-side limiters on 127.0.0.1, each configured as its own docs recommend and`,
    `told the server's limits in its own terms where it takes any (configurations: [bench/README.md](bench/README.md), "Servers").`,
    `Taken ${metaLine(host, result)}.`,
    `Versions: ${versionsText(versions)}. Full tables (time, 429s, lost, arrivals during a pause and how late, per server):`,
    `[${resultsDir}/servers.md](${resultsDir}/servers.md).`,
    '',
    ...HOW_TO_READ,
    '',
    serversSummaryTable(result),
    '',
    `![× ideal per server and contender: median, whiskers min–max](${resultsDir}/${summaryChartFile})`,
    '',
    ...lineCharts.flatMap((c) => [c, '']),
    `Accepted per second over time for every server: ${servers}.`,
  ].join('\n');
}
