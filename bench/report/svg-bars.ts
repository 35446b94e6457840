/** Hand-written SVG: grouped bars (one group per server, one bar per contender), median with min–max whiskers. */
import { esc, fmt, LEFT, WIDTH } from './svg';

export interface BarValue {
  /** Infinity: the median run lost requests (no bar; marked "lost"). */
  median: number;
  min: number;
  /** Infinity: at least one run lost requests (the whisker runs off the top). */
  max: number;
}

export interface BarsChartInput {
  title: string;
  subtitle: string;
  /** Top of the value axis (the cap: a run cut off there lost what was pending). */
  yMax: number;
  /** A reference line (1 = ideal). */
  reference: { value: number; label: string };
  series: ReadonlyArray<{ name: string; color: string }>;
  groups: ReadonlyArray<{ label: string; values: readonly BarValue[] }>;
}

const RIGHT = 20;
const TOP = 92;
const PLOT = 300;
const LEGEND_COLUMNS = 4;

export function renderBarsChart(input: BarsChartInput): string {
  const plotWidth = WIDTH - LEFT - RIGHT;
  const bottom = TOP + PLOT;
  const height = bottom + 46;
  const groupWidth = plotWidth / input.groups.length;
  const slot = (groupWidth * 0.86) / input.series.length;
  const barWidth = slot * 0.78;
  const y = (value: number): number => bottom - (Math.min(value, input.yMax) / input.yMax) * PLOT;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="${LEFT}" y="22" font-size="15" font-weight="bold">${esc(input.title)}</text>`,
    `<text x="${LEFT}" y="40" fill="#444">${esc(input.subtitle)}</text>`,
  ];
  const legend = [...input.series.map((s) => ({ name: s.name, mark: `<rect width="12" height="10" fill="${s.color}"/>` })), {
    name: input.reference.label,
    mark: `<line x1="0" y1="5" x2="14" y2="5" stroke="#333" stroke-dasharray="5,3"/>`,
  }];
  legend.forEach((s, i) => {
    const lx = LEFT + (i % LEGEND_COLUMNS) * (plotWidth / LEGEND_COLUMNS);
    const ly = 58 + Math.floor(i / LEGEND_COLUMNS) * 16;
    out.push(`<g transform="translate(${fmt(lx)} ${ly - 9})">${s.mark}</g>`, `<text x="${fmt(lx + 19)}" y="${ly}" fill="#333">${esc(s.name)}</text>`);
  });
  out.push(`<rect x="${LEFT}" y="${TOP}" width="${plotWidth}" height="${PLOT}" fill="#fafafa" stroke="#ddd"/>`);
  for (let v = 0.5; v <= input.yMax + 1e-9; v += 0.5) {
    out.push(
      `<line x1="${LEFT}" y1="${fmt(y(v))}" x2="${LEFT + plotWidth}" y2="${fmt(y(v))}" stroke="#eee"/>`,
      `<text x="${LEFT - 6}" y="${fmt(y(v) + 4)}" text-anchor="end" fill="#555">${v.toFixed(1)}×</text>`,
    );
  }
  out.push(`<text x="${LEFT - 6}" y="${bottom + 4}" text-anchor="end" fill="#555">0</text>`);
  input.groups.forEach((group, g) => {
    const groupLeft = LEFT + g * groupWidth + groupWidth * 0.07;
    group.values.forEach((value, i) => {
      const color = input.series[i].color;
      const cx = groupLeft + i * slot + slot / 2;
      if (!Number.isFinite(value.median)) {
        out.push(`<text transform="translate(${fmt(cx + 4)} ${bottom - 6}) rotate(-90)" fill="${color}" font-size="11">lost</text>`);
        return;
      }
      out.push(`<rect x="${fmt(cx - barWidth / 2)}" y="${fmt(y(value.median))}" width="${fmt(barWidth)}" height="${fmt(bottom - y(value.median))}" fill="${color}"/>`);
      const top = Number.isFinite(value.max) ? y(value.max) : TOP;
      out.push(
        `<path d="M${fmt(cx)} ${fmt(y(value.min))}V${fmt(top)}M${fmt(cx - 3)} ${fmt(y(value.min))}h6${Number.isFinite(value.max) ? `M${fmt(cx - 3)} ${fmt(top)}h6` : ''}" stroke="#222" stroke-width="1"/>`,
      );
      if (!Number.isFinite(value.max)) out.push(`<text x="${fmt(cx)}" y="${TOP - 3}" text-anchor="middle" fill="#222" font-size="10">lost</text>`);
    });
    out.push(`<text x="${fmt(LEFT + g * groupWidth + groupWidth / 2)}" y="${bottom + 18}" text-anchor="middle" fill="#333">${esc(group.label)}</text>`);
  });
  // Over the bars: a bar above the reference still shows where it lies.
  const ref = fmt(y(input.reference.value));
  out.push(`<line x1="${LEFT}" y1="${ref}" x2="${LEFT + plotWidth}" y2="${ref}" stroke="#333" stroke-dasharray="5,3"/>`);
  out.push(`<text x="${LEFT + plotWidth / 2}" y="${bottom + 36}" text-anchor="middle" fill="#333">time to the last answer / ideal (median of the runs; whiskers: min–max)</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
