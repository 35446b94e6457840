import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.join(__dirname, '..');
/** Git-ignored (see .gitignore): scratch output of the bench. */
const OUT_DIR = path.join(__dirname, 'results', 'tmp', 'cjs');

export interface CompiledPlugin {
  /** The compiled index.js. */
  entry: string;
  /** tsc's complaints, if any (it still emits; someone may be editing src/ right now). */
  warnings: string;
}

/**
 * Compiles the current src/ with the package's CommonJS build settings into bench/results/tmp, so that
 * overhead and scale measure the code users install. Under tsx, every closure the plugin creates per
 * request is wrapped by esbuild's keepNames helper (`__name`, an Object.defineProperty call) that the
 * published build does not have and that bare axios, plain JS, never pays.
 */
export function compilePlugin(): Promise<CompiledPlugin> {
  const tsc = require.resolve('typescript/bin/tsc');
  const args = [tsc, '-p', 'tsconfig.build.cjs.json', '--outDir', OUT_DIR, '--declaration', 'false', '--sourceMap', 'false'];
  fs.rmSync(OUT_DIR, { recursive: true, force: true });
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd: ROOT, timeout: 120_000 }, (error, stdout, stderr) => {
      const entry = path.join(OUT_DIR, 'index.js');
      if (!fs.existsSync(entry)) reject(new Error(`tsc emitted nothing:\n${stdout}${stderr}`));
      else resolve({ entry, warnings: error ? `${stdout}${stderr}`.trim() : '' });
    });
  });
}
