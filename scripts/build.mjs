// Builds the dual package: dist/cjs (CommonJS) and dist/esm (ES modules), each with its own type
// declarations. Each folder gets a package.json naming its module type, so Node and TypeScript read
// dist/cjs/*.d.ts as CommonJS declarations (resolving 'axios' to axios's index.d.cts) and dist/esm/*.d.ts
// as ESM ones (axios's index.d.ts).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');

rmSync('dist', { recursive: true, force: true });
for (const [config, type] of [
  ['tsconfig.build.cjs.json', 'commonjs'],
  ['tsconfig.build.esm.json', 'module'],
]) {
  execFileSync(process.execPath, [tsc, '-p', config], { stdio: 'inherit' });
  const outDir = `dist/${type === 'module' ? 'esm' : 'cjs'}`;
  mkdirSync(outDir, { recursive: true });
  writeFileSync(`${outDir}/package.json`, JSON.stringify({ type }, null, 2) + '\n');
}
// Each format's index.d.ts also loads the other's, so that the per-request `rateGuard` key augments both of
// axios's declaration files (index.d.cts and index.d.ts) whichever format TypeScript loaded us in: a program
// that types request configs in the other format (a .cts beside the .mts that imports us) sees it too.
for (const [own, other] of [
  ['cjs', 'esm'],
  ['esm', 'cjs'],
]) {
  const file = `dist/${own}/index.d.ts`;
  writeFileSync(file, `/// <reference path="../${other}/index.d.ts" />\n${readFileSync(file, 'utf8')}`);
}
console.log('built dist/cjs and dist/esm');
