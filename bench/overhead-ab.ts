/**
 * The overhead's contenders in one process, for telling hot-path variants apart:
 * `npx tsx bench/overhead-ab.ts [--rounds 600] [--requests 500] <bare|wrapper|src|index.js>…` (first is the
 * reference; `src` compiles the current src/, an index.js is a build of a variant). Each is an axios
 * instance as bench/overhead.ts configures it (the guard with limits on both levels); their rounds are
 * interleaved in overhead.ts's consecutive orderings, so that neighbouring rounds share the machine's phase.
 *
 * Not the overhead figure: the instances share axios's JIT code, which sees every adapter and so runs a
 * little slower for all of them. What it gives is precision: on a VM where bare axios read 0.98×–1.02× of
 * itself from process to process (bench/overhead.ts), two copies of one build read within 0.01× of each
 * other here (1.057× and 1.058×, 1.055× and 1.048×), so a change of 1 % shows in a run of a few minutes.
 */
import path from 'node:path';
import { compilePlugin } from './compiled-plugin';
import { median } from './in-process';
import { createEntrant, ordering, round, type EntrantId } from './overhead';
import type { Plugin } from './types';

interface Contender {
  label: string;
  run(requests: number): Promise<number>;
}

function argument(args: string[], name: string, fallback: number): number {
  const at = args.indexOf(name);
  if (at < 0) return fallback;
  const [, value] = args.splice(at, 2);
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0) throw new Error(`${name} takes a positive integer, not ${value}`);
  return parsed;
}

async function contender(spec: string): Promise<Contender> {
  let id: EntrantId = 'rate-guard';
  let plugin = {} as Plugin;
  if (spec === 'bare' || spec === 'wrapper') id = spec;
  else if (spec === 'src') {
    const compiled = await compilePlugin();
    if (compiled.warnings) console.error(compiled.warnings);
    plugin = require(compiled.entry) as Plugin;
  } else plugin = require(path.resolve(spec)) as Plugin;
  const { api } = createEntrant(id, plugin);
  return { label: spec, run: async (requests) => (await round(api, requests)).wallUs };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const rounds = argument(args, '--rounds', 600);
  const requests = argument(args, '--requests', 500);
  if (args.length < 2) throw new Error('usage: bench/overhead-ab.ts [--rounds N] [--requests N] <reference> <contender>…');
  const contenders: Contender[] = [];
  for (const spec of args) contenders.push(await contender(spec));
  for (let w = 0; w < 10; w++) for (const c of contenders) await c.run(requests);
  const wall = contenders.map((): number[] => []);
  for (let r = 0; r < rounds; r++) {
    for (const i of ordering(contenders.length, r)) wall[i].push(await contenders[i].run(requests));
  }
  console.log(`${rounds} rounds of ${requests} requests, one process; ratio: median of the per-round ratios to ${contenders[0].label}`);
  contenders.forEach((c, i) => {
    const ratios = wall[i].map((us, r) => us / wall[0][r]);
    console.log(`${c.label.padEnd(44)} ${median(wall[i]).toFixed(2).padStart(7)} µs  ${median(ratios).toFixed(3)}×`);
  });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
