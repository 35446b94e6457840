/** Hand-written SVG: one panel, one line per contender, accepted requests per second over time at the server. */
import { esc, fmt, LEFT, secondsStep, trailingPerSecond, WIDTH } from './svg';

export interface LineSeries {
  name: string;
  color: string;
  /** Accepted arrivals per bin of `binMs`, from the burst (the server's count). */
  acceptedPerBin: readonly number[];
  /** When the contender was done (or cut off): the line stops there. */
  endMs: number;
  /** Short text after the name in the legend. */
  summary: string;
}

export interface LinesChartInput {
  title: string;
  /** Lines under the title. */
  subtitles: readonly string[];
  /** The accepted rate the server allows once its burst is spent (per second): a dashed line. */
  limitPerSecond: number;
  limitLabel: string;
  binMs: number;
  series: readonly LineSeries[];
}

const RIGHT = 28;
const SUBTITLE_ROW = 17;
const PLOT = 300;
const LEGEND_ROW = 18;

export function renderLinesChart(input: LinesChartInput): string {
  const spanS = Math.max(1, Math.ceil(Math.max(...input.series.map((s) => s.endMs)) / 1000));
  const xMaxMs = spanS * 1000;
  const bins = Math.ceil(xMaxMs / input.binMs);
  const rates = input.series.map((s) => trailingPerSecond(s.acceptedPerBin, input.binMs, Math.min(bins, Math.ceil(s.endMs / input.binMs))));
  const peak = Math.max(input.limitPerSecond, ...rates.flat());
  const yMax = Math.ceil((peak * 1.15) / 10) * 10;
  const plotWidth = WIDTH - LEFT - RIGHT;
  const TOP = 30 + input.subtitles.length * SUBTITLE_ROW + 10;
  const bottom = TOP + PLOT;
  const height = bottom + 44 + input.series.length * LEGEND_ROW + 10;
  const x = (ms: number): number => LEFT + (Math.min(ms, xMaxMs) / xMaxMs) * plotWidth;
  const y = (value: number): number => bottom - (Math.min(value, yMax) / yMax) * PLOT;
  const step = secondsStep(spanS);
  const yStep = yMax <= 40 ? 5 : yMax <= 100 ? 10 : 25;

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="${LEFT}" y="22" font-size="15" font-weight="bold">${esc(input.title)}</text>`,
    ...input.subtitles.map((line, i) => `<text x="${LEFT}" y="${40 + i * SUBTITLE_ROW}" fill="#444">${esc(line)}</text>`),
    `<rect x="${LEFT}" y="${TOP}" width="${plotWidth}" height="${PLOT}" fill="#fafafa" stroke="#ddd"/>`,
  ];
  for (let v = yStep; v < yMax; v += yStep) {
    out.push(
      `<line x1="${LEFT}" y1="${fmt(y(v))}" x2="${LEFT + plotWidth}" y2="${fmt(y(v))}" stroke="#eee"/>`,
      `<text x="${LEFT - 6}" y="${fmt(y(v) + 4)}" text-anchor="end" fill="#555">${v}</text>`,
    );
  }
  for (let s = step; s < spanS; s += step) out.push(`<line x1="${fmt(x(s * 1000))}" y1="${TOP}" x2="${fmt(x(s * 1000))}" y2="${bottom}" stroke="#eee"/>`);
  out.push(
    `<text x="${LEFT - 6}" y="${bottom + 4}" text-anchor="end" fill="#555">0</text>`,
    `<text transform="translate(16 ${TOP + PLOT / 2}) rotate(-90)" text-anchor="middle" fill="#333">accepted per second (trailing 1 s, ${input.binMs} ms steps)</text>`,
    `<line x1="${LEFT}" y1="${fmt(y(input.limitPerSecond))}" x2="${LEFT + plotWidth}" y2="${fmt(y(input.limitPerSecond))}" stroke="#333" stroke-dasharray="5,3"/>`,
    `<text x="${LEFT + plotWidth - 4}" y="${fmt(y(input.limitPerSecond) - 5)}" text-anchor="end" fill="#333">${esc(input.limitLabel)}</text>`,
  );
  input.series.forEach((series, index) => {
    const points = [`${fmt(x(0))},${fmt(y(0))}`];
    rates[index].forEach((rate, i) => points.push(`${fmt(x(Math.min((i + 1) * input.binMs, series.endMs)))},${fmt(y(rate))}`));
    out.push(`<polyline fill="none" stroke="${series.color}" stroke-width="2" stroke-linejoin="round" stroke-opacity="0.9" points="${points.join(' ')}"/>`);
  });
  for (let s = 0; s <= spanS; s += step) out.push(`<text x="${fmt(x(s * 1000))}" y="${bottom + 16}" text-anchor="middle" fill="#333">${s}</text>`);
  out.push(`<text x="${LEFT + plotWidth / 2}" y="${bottom + 32}" text-anchor="middle" fill="#333">seconds since the burst was fired</text>`);
  input.series.forEach((series, index) => {
    const rowY = bottom + 52 + index * LEGEND_ROW;
    out.push(
      `<line x1="${LEFT}" y1="${rowY - 4}" x2="${LEFT + 24}" y2="${rowY - 4}" stroke="${series.color}" stroke-width="3"/>`,
      `<text x="${LEFT + 32}" y="${rowY}"><tspan font-weight="bold" fill="${series.color}">${esc(series.name)}</tspan><tspan dx="6" fill="#444">— ${esc(series.summary)}</tspan></text>`,
    );
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
