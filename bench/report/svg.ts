/**
 * Hand-written SVG: one panel per contender, accepted requests per second against the limit, 429s as ticks.
 * The servers section's charts (one line per contender, grouped bars) are in svg-lines.ts and svg-bars.ts.
 */

export interface ChartSeries {
  name: string;
  color: string;
  /** Arrival times (ms since the burst) of accepted requests and of 429s. */
  accepted: readonly number[];
  throttled: readonly number[];
  /** When the contender was done (or cut off). */
  endMs: number;
  cutOff: boolean;
  /** Short text after the name, e.g. "300/300 done, 0 × 429, 5.29 s". */
  summary: string;
}

export interface ChartInput {
  title: string;
  subtitle: string;
  /** Accepted requests per window that the server allows (the limit line). */
  limit: number;
  windowMs: number;
  binMs: number;
  series: readonly ChartSeries[];
}

/** Every chart's width and plot margins (svg-lines.ts and svg-bars.ts too). */
export const WIDTH = 960;
export const LEFT = 56;
const RIGHT = 28;
const TOP = 70;
const PANEL = 92;
const GAP = 34;
const BOTTOM = 46;
const RED = '#d62728';

export const esc = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
export const fmt = (n: number): string => (Math.round(n * 10) / 10).toString();

/** Per second, what the trailing window of `windowMs` holds of per-bin counts, at the end of every bin. */
export function trailingPerSecond(perBin: readonly number[], binMs: number, bins: number, windowMs = 1000): number[] {
  const span = Math.max(1, Math.round(windowMs / binMs));
  const out: number[] = [];
  let sum = 0;
  for (let i = 0; i < bins; i++) {
    sum += perBin[i] ?? 0;
    if (i >= span) sum -= perBin[i - span] ?? 0;
    out.push((sum * 1000) / windowMs);
  }
  return out;
}

/** Accepted arrivals (times in ms) in the trailing window, per second, evaluated at the end of every bin. */
export function trailingRate(accepted: readonly number[], binMs: number, windowMs: number, bins: number): number[] {
  const counts = new Array<number>(bins).fill(0);
  for (const t of accepted) {
    const bin = Math.floor(t / binMs);
    if (bin >= 0 && bin < bins) counts[bin]++;
  }
  return trailingPerSecond(counts, binMs, bins, windowMs);
}

export function secondsStep(spanS: number): number {
  return spanS <= 12 ? 1 : spanS <= 30 ? 2 : 5;
}

export function renderChart(input: ChartInput): string {
  const spanMs = Math.max(...input.series.map((s) => s.endMs), input.windowMs);
  const spanS = Math.ceil(spanMs / 1000);
  const xMaxMs = spanS * 1000;
  const plotWidth = WIDTH - LEFT - RIGHT;
  const height = TOP + input.series.length * (PANEL + GAP) + BOTTOM - GAP;
  const yMax = Math.ceil((input.limit * 1.25) / 10) * 10;
  const x = (ms: number): number => LEFT + (Math.min(ms, xMaxMs) / xMaxMs) * plotWidth;
  const bins = Math.ceil(xMaxMs / input.binMs);
  const step = secondsStep(spanS);

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="${LEFT}" y="22" font-size="15" font-weight="bold">${esc(input.title)}</text>`,
    `<text x="${LEFT}" y="40" fill="#444">${esc(input.subtitle)}</text>`,
    // Legend.
    `<line x1="${LEFT}" y1="55" x2="${LEFT + 24}" y2="55" stroke="#333" stroke-width="2"/>`,
    `<text x="${LEFT + 30}" y="59" fill="#333">accepted requests in the trailing ${input.windowMs / 1000} s (${input.binMs} ms steps)</text>`,
    `<line x1="${LEFT + 390}" y1="55" x2="${LEFT + 414}" y2="55" stroke="#333" stroke-dasharray="5,3"/>`,
    `<text x="${LEFT + 420}" y="59" fill="#333">server limit ${input.limit} per ${input.windowMs / 1000} s</text>`,
    `<line x1="${LEFT + 580}" y1="50" x2="${LEFT + 580}" y2="60" stroke="${RED}" stroke-width="1.5"/>`,
    `<text x="${LEFT + 588}" y="59" fill="#333">a 429 (at its arrival)</text>`,
    `<line x1="${LEFT + 730}" y1="50" x2="${LEFT + 730}" y2="62" stroke="#999" stroke-dasharray="2,2"/>`,
    `<text x="${LEFT + 737}" y="59" fill="#333">done / cut off</text>`,
  );

  input.series.forEach((series, index) => {
    const top = TOP + 14 + index * (PANEL + GAP);
    const bottom = top + PANEL;
    const y = (value: number): number => bottom - (Math.min(value, yMax) / yMax) * PANEL;
    out.push(`<g>`);
    out.push(
      `<text x="${LEFT}" y="${top - 5}"><tspan font-weight="bold" fill="${series.color}">${esc(series.name)}</tspan><tspan dx="6" fill="#444">— ${esc(series.summary)}</tspan></text>`,
    );
    out.push(`<rect x="${LEFT}" y="${top}" width="${plotWidth}" height="${PANEL}" fill="#fafafa" stroke="#ddd"/>`);
    for (let s = step; s < spanS; s += step) {
      out.push(`<line x1="${fmt(x(s * 1000))}" y1="${top}" x2="${fmt(x(s * 1000))}" y2="${bottom}" stroke="#eee"/>`);
    }
    out.push(
      `<line x1="${LEFT}" y1="${fmt(y(input.limit))}" x2="${LEFT + plotWidth}" y2="${fmt(y(input.limit))}" stroke="#333" stroke-dasharray="5,3"/>`,
      `<text x="${LEFT - 6}" y="${fmt(y(input.limit) + 4)}" text-anchor="end" fill="#333">${input.limit}</text>`,
      `<text x="${LEFT - 6}" y="${bottom + 4}" text-anchor="end" fill="#333">0</text>`,
    );

    const rate = trailingRate(series.accepted, input.binMs, input.windowMs, bins);
    // The line stops where the contender was done: after that the trailing count only decays.
    const lastBin = Math.min(bins, Math.ceil(series.endMs / input.binMs));
    const points = [`${fmt(x(0))},${fmt(y(0))}`];
    for (let i = 0; i < lastBin; i++) {
      points.push(`${fmt(x(Math.min((i + 1) * input.binMs, series.endMs)))},${fmt(y(rate[i]))}`);
    }
    out.push(`<polyline fill="none" stroke="${series.color}" stroke-width="2" stroke-linejoin="round" points="${points.join(' ')}"/>`);

    // One tick per pixel column that saw a 429.
    const columns = new Set<number>();
    for (const t of series.throttled) columns.add(Math.round(x(t) * 2) / 2);
    const ticks = [...columns].map((cx) => `M${cx} ${bottom + 2}v8`).join('');
    if (ticks) out.push(`<path d="${ticks}" stroke="${RED}" stroke-width="1"/>`);

    const endX = fmt(x(series.endMs));
    out.push(
      `<line x1="${endX}" y1="${top}" x2="${endX}" y2="${bottom}" stroke="#999" stroke-dasharray="2,2"/>`,
      `<text x="${endX}" y="${top + 12}" dx="4" fill="#777" font-size="11">${series.cutOff ? 'cut off' : 'done'}</text>`,
    );
    out.push(`</g>`);
  });

  const axisY = TOP + 14 + input.series.length * (PANEL + GAP) - GAP + 12;
  for (let s = 0; s <= spanS; s += step) {
    out.push(`<text x="${fmt(x(s * 1000))}" y="${axisY + 12}" text-anchor="middle" fill="#333">${s}</text>`);
  }
  out.push(`<text x="${LEFT + plotWidth / 2}" y="${axisY + 30}" text-anchor="middle" fill="#333">seconds since the burst was fired</text>`);
  out.push(`</svg>`);
  return `${out.join('\n')}\n`;
}
