export const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

export function bytes(n: number): string {
  const sign = n < 0 ? '−' : '';
  const abs = Math.abs(n);
  if (abs >= 2 ** 20) return `${sign}${(abs / 2 ** 20).toFixed(1)} MB`;
  if (abs >= 2 ** 10) return `${sign}${(abs / 2 ** 10).toFixed(1)} KB`;
  return `${sign}${Math.round(abs)} B`;
}

export const micros = (us: number): string => `${us.toFixed(1)} µs`;

/** A GitHub-flavoured markdown table. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  // A pipe inside a cell, even inside a code span, would split the cell.
  const line = (cells: readonly string[]): string => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
