/**
 * The overhead measurement alone, on the plugin compiled as published, for iterating on the hot path:
 * `npx tsx bench/overhead-only.ts [rounds]`. Prints the table and one line of JSON (per-round figures).
 */
import { compilePlugin } from './compiled-plugin';
import { measureOverhead } from './overhead';
import { overheadTable } from './report/overhead-scale';
import type { Plugin } from './types';

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 21);
  const compiled = await compilePlugin();
  if (compiled.warnings) console.error(compiled.warnings);
  const plugin = require(compiled.entry) as Plugin;
  const result = await measureOverhead(plugin, rounds);
  console.log(overheadTable(result));
  console.log(JSON.stringify({ ratio: result.ratio, rows: result.rows.map(({ id, wallUs, cpuUs, wallRatio, cpuRatio }) => ({ id, wallUs, cpuUs, wallRatio, cpuRatio })) }));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
