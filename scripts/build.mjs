// Builds the dual package: dist/cjs (CommonJS) and dist/esm (ES modules), each with its own type
// declarations. Each folder gets a package.json naming its module type, so Node and TypeScript read
// dist/cjs/*.d.ts as CommonJS declarations (resolving 'axios' to axios's index.d.cts) and dist/esm/*.d.ts
// as ESM ones (axios's index.d.ts).
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
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
console.log('built dist/cjs and dist/esm');
