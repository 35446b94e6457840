// Checks the package as users get it: packs it once, lints the tarball (scripts/package/lint-tarball.mjs:
// arethetypeswrong, publint, source maps, shipped files), then installs it into fresh consumer projects
// (scripts/package/consumer-matrix.mjs: require and import × TypeScript node10 / node16 / bundler × axios
// at the floor and the latest, the oldest TypeScript, both builds in one process, old Redis clients).
// `--lint-only` skips the matrix (it installs from the npm registry). Prints every cell; fails if one does.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runMatrix } from './package/consumer-matrix.mjs';
import { lintTarball } from './package/lint-tarball.mjs';

const root = resolve('.');
const work = mkdtempSync(join(tmpdir(), 'rate-guard-package-'));
const started = Date.now();

try {
  const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: root, encoding: 'utf8' }))[0];
  const tarball = join(work, packed.filename);
  const unpacked = join(work, 'unpacked');
  mkdirSync(unpacked);
  execFileSync('tar', ['-xzf', tarball, '-C', unpacked, '--strip-components=1']);
  const files = packed.files.map((f) => f.path);
  console.log(`packed ${packed.filename}: ${packed.entryCount} files, ${packed.size} bytes packed, ${packed.unpackedSize} unpacked`);

  const results = await lintTarball(tarball, unpacked, files);
  if (!process.argv.includes('--lint-only')) results.push(...(await runMatrix(tarball, join(work, 'consumers'))));

  for (const { name, ok, output } of results) {
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${ok && !output.includes('\n') ? `: ${output}` : ''}`);
  }
  for (const { name, ok, output } of results) {
    if (name === 'arethetypeswrong' || !ok) console.log(`\n--- ${ok ? '' : 'FAILED: '}${name}\n${output}`);
  }
  const failed = results.filter((r) => !r.ok);
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  console.log(`\npackage check: ${results.length - failed.length}/${results.length} passed in ${seconds} s`);
  if (failed.length) {
    console.log(`failed cells:\n  ${failed.map((r) => r.name).join('\n  ')}`);
    process.exitCode = 1;
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
