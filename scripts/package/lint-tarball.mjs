// Lints the packed tarball as the registry would serve it: arethetypeswrong (every entry point, every
// resolution mode), publint (strict: warnings fail too), the source maps (each `sources` entry of each shipped
// map must be in the tarball, or no map is shipped), the files a user expects (LICENSE, README), and the main
// entry's browser bundle (lowered to the README's browsers, no Redis or OpenTelemetry code in it), and the otel
// entry's (lowered too, importing nothing of @opentelemetry at run time).
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { BROWSERS, browserBundle, otelBundle } from './browser-bundle.mjs';

const exec = promisify(execFile);
// The CLIs of this repository's devDependencies (their exports hide package.json, so no require.resolve).
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const bin = (pkg, file) => join(repo, 'node_modules', pkg, file);

/** Runs one check; resolves to { name, ok, output }. */
async function check(name, run) {
  try {
    return { name, ok: true, output: (await run()).trim() };
  } catch (error) {
    return { name, ok: false, output: `${error.stdout ?? ''}${error.stderr ?? ''}${error.message}`.trim() };
  }
}

const attw = (tarball) =>
  exec(process.execPath, [bin('@arethetypeswrong/cli', 'dist/index.js'), tarball, '--format', 'ascii', '--no-color'], {
    encoding: 'utf8',
  }).then((r) => r.stdout);

const publint = (tarball) =>
  exec(process.execPath, [bin('publint', 'src/cli.js'), 'run', tarball, '--strict', '--level', 'suggestion'], {
    encoding: 'utf8',
  }).then((r) => {
    if (!/All good/.test(r.stdout)) throw Object.assign(new Error('publint reported something'), { stdout: r.stdout });
    return r.stdout;
  });

/** `unpacked`: the tarball extracted; `files`: its paths relative to the package root. */
function sourceMaps(unpacked, files) {
  const maps = files.filter((f) => f.endsWith('.map'));
  const missing = [];
  for (const map of maps) {
    const { sources = [], sourceRoot = '' } = JSON.parse(readFileSync(join(unpacked, map), 'utf8'));
    for (const source of sources) {
      const target = resolve(unpacked, dirname(map), sourceRoot, source);
      const inside = !relative(unpacked, target).startsWith('..');
      if (!inside || !files.includes(relative(unpacked, target))) missing.push(`${map} -> ${source}`);
    }
  }
  for (const js of files.filter((f) => /\.(c|m)?js$/.test(f))) {
    const url = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(readFileSync(join(unpacked, js), 'utf8'))?.[1];
    if (url && !url.startsWith('data:') && !files.includes(join(dirname(js), url))) missing.push(`${js} -> ${url}`);
  }
  if (missing.length) throw new Error(`source maps name files not in the tarball:\n  ${missing.join('\n  ')}`);
  return maps.length ? `${maps.length} maps, every source shipped` : 'no source maps shipped';
}

function expectedFiles(files) {
  const absent = ['LICENSE', 'README.md', 'package.json'].filter((f) => !files.includes(f));
  if (absent.length) throw new Error(`missing from the tarball: ${absent.join(', ')}`);
  return 'LICENSE, README.md, package.json shipped';
}

/** Lints `tarball`, extracted in `unpacked` with `files` listed; returns the results, one per check. */
export async function lintTarball(tarball, unpacked, files) {
  if (!existsSync(unpacked)) throw new Error(`not extracted: ${unpacked}`);
  return Promise.all([
    check('arethetypeswrong', () => attw(tarball)),
    check('publint', () => publint(tarball)),
    check('source maps', async () => sourceMaps(unpacked, files)),
    check('shipped files', async () => expectedFiles(files)),
    check('browser bundle', async () => {
      const { minified, gzipped } = await browserBundle(join(unpacked, 'dist/esm/index.js'));
      return `dist/esm/index.js for ${BROWSERS.join(', ')}: ${minified} bytes minified, ${gzipped} gzipped, no Redis or OpenTelemetry code`;
    }),
    check('otel bundle', async () => {
      const { minified, gzipped } = await otelBundle(join(unpacked, 'dist/esm/otel.js'));
      return `dist/esm/otel.js for the same browsers: ${minified} bytes minified, ${gzipped} gzipped, no @opentelemetry import at run time`;
    }),
  ]);
}
