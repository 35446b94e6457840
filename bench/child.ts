/**
 * Entry point of the in-process measurements, spawned by run.ts as
 * `node --expose-gc --import tsx bench/child.ts <overhead|scale> [compiled plugin index.js]` so that each
 * starts from a clean heap and can force collections. Prints one line of JSON.
 */
import { measureOverhead } from './overhead';
import { measureScale } from './scale';
import type { Plugin } from './types';

async function loadPlugin(entry: string | undefined): Promise<{ plugin: Plugin; build: string }> {
  if (entry) return { plugin: require(entry) as Plugin, build: 'compiled with tsconfig.build.cjs.json (as published)' };
  return { plugin: await import('../src'), build: 'src/ through tsx' };
}

async function main(task: string | undefined, entry: string | undefined): Promise<unknown> {
  const { plugin, build } = await loadPlugin(entry);
  // Each contender in a process of its own (bench/overhead-worker.ts), loading the same build.
  if (task === 'overhead') return { build, ...(await measureOverhead(entry)) };
  if (task === 'scale') return { build, ...(await measureScale(plugin)) };
  throw new Error(`Expected task "overhead" or "scale", got ${String(task)}`);
}

main(process.argv[2], process.argv[3]).then(
  (result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(0);
  },
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
