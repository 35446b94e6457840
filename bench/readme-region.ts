import fs from 'node:fs/promises';

const markers = (name: string) => ({ start: `<!-- bench:${name}:start -->`, end: `<!-- bench:${name}:end -->` });

/** `text` with what lies between the region's markers replaced by `content`; undefined if the markers are missing. */
export function replaceRegion(text: string, name: string, content: string): string | undefined {
  const { start, end } = markers(name);
  const from = text.indexOf(start);
  const to = text.indexOf(end, from);
  if (from < 0 || to < 0) return undefined;
  return `${text.slice(0, from + start.length)}\n${content.trim()}\n${text.slice(to)}`;
}

/**
 * Rewrites one generated region of a file (read, replace, write at once: other parts of the file are
 * edited by hand, possibly while the bench ran). Returns false, changing nothing, if the markers are missing.
 */
export async function writeRegion(file: string, name: string, content: string): Promise<boolean> {
  const updated = replaceRegion(await fs.readFile(file, 'utf8'), name, content);
  if (updated === undefined) return false;
  await fs.writeFile(file, updated);
  return true;
}
