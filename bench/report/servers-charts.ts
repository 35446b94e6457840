/** The servers section's charts: accepted per second over time per server (median runs), and × ideal for all. */
import { CURVE_BIN_MS } from '../learning';
import type { ServerCell, ServerResult, ServersResult } from '../servers';
import { seconds } from './format';
import type { Machine } from './machine';
import { serverChartFile, summaryChartFile } from './servers';
import { renderBarsChart } from './svg-bars';
import { renderLinesChart } from './svg-lines';

const COLORS: Record<string, string> = {
  'rate-guard-known': '#1f77b4',
  'rate-guard-unknown': '#17becf',
  bottleneck: '#8c564b',
  'rate-limit+retry': '#9467bd',
  'axios-rate-limit': '#2ca02c',
  'axios-retry': '#ff7f0e',
  'plain-axios': '#7f7f7f',
};

const colorOf = (cell: ServerCell): string => COLORS[cell.contender] ?? '#333';

function lineSeries(cell: ServerCell) {
  const run = cell.runs[cell.summary.medianRun];
  const m = run.metrics;
  const time = m.timedOut ? `cut off at ${seconds(m.elapsedMs)}` : `${seconds(m.elapsedMs)}${m.lost === 0 ? ` (${m.idealRatio.toFixed(2)}× ideal)` : ''}`;
  return {
    name: cell.name,
    color: colorOf(cell),
    acceptedPerBin: run.curve.accepted,
    endMs: m.elapsedMs,
    summary: `${m.lost} lost, ${m.rejected429} × 429, ${time}`,
  };
}

function serverChart(server: ServerResult, date: string): string {
  return renderLinesChart({
    title: `${server.target.id}: ${server.target.title}`,
    subtitles: [`Server: ${server.target.limits}.`, `Ideal ${seconds(server.target.ideal.ms)} · the median run of each contender · ${date.slice(0, 10)}`],
    limitPerSecond: server.sustainedLimit,
    limitLabel: `the server's sustained limit, ${server.sustainedLimit} per s`,
    binMs: CURVE_BIN_MS,
    series: server.cells.map(lineSeries),
  });
}

function summaryChart(result: ServersResult, date: string): string {
  const cells = result.servers[0]?.cells ?? [];
  return renderBarsChart({
    title: 'Time to the last answer / ideal, per server and contender',
    subtitle: `${result.runsPerCell} runs per cell, median bar, min–max whisker; "lost": requests lost (no time) · cap ${result.capIdealMultiple}× ideal · ${date.slice(0, 10)}`,
    yMax: result.capIdealMultiple,
    reference: { value: 1, label: 'ideal (limits known, no 429)' },
    series: cells.map((c) => ({ name: c.name, color: colorOf(c) })),
    groups: result.servers.map((s) => ({ label: s.target.id, values: s.cells.map((c) => c.summary.ratio) })),
  });
}

/** File name (in bench/results/) → SVG. */
export function serversCharts(host: Machine, result: ServersResult): Map<string, string> {
  const charts = new Map<string, string>([[summaryChartFile, summaryChart(result, host.date)]]);
  for (const server of result.servers) charts.set(serverChartFile(server.target.id), serverChart(server, host.date));
  return charts;
}
