/**
 * The overhead measurement alone, on the plugin compiled as published, for iterating on the hot path:
 * `npx tsx bench/overhead-only.ts [rounds] [requests per round]`. Prints the table and one line of JSON (per-round figures).
 */
import { compilePlugin } from './compiled-plugin';
import { measureOverhead } from './overhead';
import { overheadTable } from './report/overhead-scale';

async function main(): Promise<void> {
  const rounds = process.argv[2] ? Number(process.argv[2]) : undefined;
  // OVERHEAD_PLUGIN=<index.js>: a build already compiled (a variant), instead of compiling src/.
  let entry = process.env.OVERHEAD_PLUGIN;
  if (!entry) {
    const compiled = await compilePlugin();
    if (compiled.warnings) console.error(compiled.warnings);
    entry = compiled.entry;
  }
  const result = await measureOverhead(entry, rounds, process.argv[3] ? Number(process.argv[3]) : undefined);
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
