// The consumer matrix: the packed tarball installed with npm into fresh projects, as users install it (from
// the registry: axios at our floor and at the latest of our range, the oldest TypeScript we support, old Redis
// clients). Each cell is one way to use the package; a failing cell is reported by name with its output.
// @opentelemetry/api, an optional peer, is installed in the axios-latest project (the latest of our range: the
// node16 cells type axios-rate-guard/otel and otel.cjs uses it) and at our floor beside the old Redis clients
// (otel.cjs); in the axios-floor project the package runs without it.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { importSource, mixedSources, requireSource } from './typed-sources.mjs';

/** The oldest TypeScript we support (README, install section). 4.7 types Error's `cause` as Error, not unknown. */
export const OLDEST_TYPESCRIPT = '4.8';

const exec = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const fixtures = join(here, 'consumer');

/** Runs one cell; resolves to { name, ok, output }. */
async function cell(name, run) {
  try {
    return { name, ok: true, output: String((await run()) ?? '').trim() };
  } catch (error) {
    return { name, ok: false, output: `${error.stdout ?? ''}${error.stderr ?? ''}${error.message}`.trim() };
  }
}

const run = (cmd, args, cwd) => exec(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 1 << 24 }).then((r) => r.stdout);

/** A fresh project with `packages` installed by npm; the install is a cell of its own. */
async function project(work, name, packages) {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `consumer-${name}`, private: true }));
  const result = await cell(`install ${name}: ${packages.map((p) => p.replace(/^.*\//, '')).join(' ')}`, () =>
    run('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', '--ignore-scripts', ...packages], dir).then(
      () => 'installed',
    ),
  );
  return { dir, result };
}

const compilerOptions = (resolution, style, tsMajor) => {
  const common = { target: 'es2022', lib: ['es2022', 'dom'], strict: true, noEmit: true, types: [], skipLibCheck: false };
  if (resolution === 'node10') return { ...common, module: 'commonjs', moduleResolution: tsMajor >= 5 ? 'node10' : 'node', esModuleInterop: true };
  if (resolution === 'node16') return { ...common, module: 'node16', moduleResolution: 'node16' };
  return { ...common, module: style === 'require' ? 'preserve' : 'esnext', moduleResolution: 'bundler' };
};

/**
 * The files of a typed cell: `require` uses import = require, except for axios under node10 (ESM-style types).
 * `withOtel`: the cell also types axios-rate-guard/otel (node16 cells of the project that has @opentelemetry/api).
 */
const typedFiles = (resolution, style, withOtel) => {
  if (resolution === 'mixed') return mixedSources(style);
  if (style === 'import') return { [resolution === 'node16' ? 'check.mts' : 'check.ts']: importSource(withOtel) };
  if (resolution === 'node10') return { 'check.ts': requireSource('import', withOtel) };
  return { 'check.cts': requireSource('require', withOtel) };
};

/** Type-checks one cell in its own program (so one format's declarations cannot hide the other's gaps). */
function typedCell(consumer, tsc, resolution, style, name) {
  return cell(name, async () => {
    const dir = join(consumer.dir, 'cells', name.replace(/[^a-z0-9.@-]+/gi, '_'));
    mkdirSync(dir, { recursive: true });
    const files = typedFiles(resolution, style, consumer.otel && resolution === 'node16');
    for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
    const options = compilerOptions(resolution === 'mixed' ? 'node16' : resolution, style, tsc.major);
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: options, files: Object.keys(files) }));
    await run(process.execPath, [tsc.bin, '-p', 'tsconfig.json'], dir);
    return 'types ok';
  });
}

const runtimeCell = (consumer, script, name) =>
  cell(name, () => {
    copyFileSync(join(fixtures, script), join(consumer.dir, script));
    return run(process.execPath, [script], consumer.dir);
  });

/** Runs `tasks` (functions returning promises) `limit` at a time, keeping their order in the result. */
async function pooled(tasks, limit) {
  const results = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const index = next++;
      results[index] = await tasks[index]();
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return results;
}

const tscOf = (dir) => {
  const version = JSON.parse(readFileSync(join(dir, 'node_modules/typescript/package.json'), 'utf8')).version;
  return { bin: join(dir, 'node_modules/typescript/bin/tsc'), version, major: Number(version.split('.')[0]) };
};

/** Runs the matrix for `tarball` in the empty folder `work`; returns every cell's result. */
export async function runMatrix(tarball, work) {
  const manifest = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
  const range = manifest.peerDependencies.axios;
  const floor = /^>=\s*(\d+\.\d+\.\d+)/.exec(range)?.[1];
  if (!floor) throw new Error(`cannot read the axios floor from peerDependencies.axios "${range}"`);
  const otelRange = manifest.peerDependencies['@opentelemetry/api'];
  const otelFloor = /^>=\s*(\d+\.\d+\.\d+)/.exec(otelRange)?.[1];
  if (!otelFloor) throw new Error(`cannot read the floor from peerDependencies['@opentelemetry/api'] "${otelRange}"`);

  const [atFloor, atLatest, oldRedis] = await Promise.all([
    project(work, 'axios-floor', [tarball, `axios@${floor}`, `typescript@${OLDEST_TYPESCRIPT}`]),
    project(work, 'axios-latest', [tarball, `axios@${range}`, `@opentelemetry/api@${otelRange}`]),
    project(work, 'old-redis-clients', [tarball, `axios@${floor}`, 'redis@3', 'ioredis@4', `@opentelemetry/api@${otelFloor}`]),
  ]);
  atLatest.otel = true;
  const results = [atFloor.result, atLatest.result, oldRedis.result];
  const current = tscOf(repo);
  const tasks = [];
  for (const consumer of [atFloor, atLatest]) {
    if (!consumer.result.ok) continue;
    const axiosVersion = JSON.parse(readFileSync(join(consumer.dir, 'node_modules/axios/package.json'), 'utf8')).version;
    const oldest = tscOf(atFloor.dir);
    for (const script of ['use.cjs', 'use.mjs', 'both-builds.cjs', 'otel.cjs']) {
      tasks.push(() => runtimeCell(consumer, script, `node ${script} axios@${axiosVersion}`));
    }
    for (const tsc of atFloor.result.ok ? [current, oldest] : [current]) {
      for (const resolution of tsc.major >= 5 ? ['node10', 'node16', 'bundler', 'mixed'] : ['node10', 'node16', 'mixed']) {
        for (const style of ['require', 'import']) {
          const otel = consumer.otel && resolution === 'node16' ? ' + otel' : '';
          const what = resolution === 'mixed' ? `node16 mixed, guard loaded by ${style}` : `${resolution} ${style}${otel}`;
          tasks.push(() => typedCell(consumer, tsc, resolution, style, `tsc ${tsc.version} ${what} axios@${axiosVersion}`));
        }
      }
    }
  }
  if (oldRedis.result.ok) {
    tasks.push(() => runtimeCell(oldRedis, 'old-redis-clients.cjs', 'node old-redis-clients.cjs'));
    tasks.push(() => runtimeCell(oldRedis, 'otel.cjs', `node otel.cjs @opentelemetry/api@${otelFloor} axios@${floor}`));
  }
  return results.concat(await pooled(tasks, 2));
}
