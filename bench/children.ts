import { execFile } from 'node:child_process';
import path from 'node:path';
import type { OverheadResult } from './overhead';
import type { ScaleResult } from './scale';

/** Per task: the overhead runs 6 contenders by 40 processes each (about 4 minutes on 2 cores). */
const CHILD_TIMEOUT_MS = { overhead: 1_200_000, scale: 180_000 };

/** Which build of the plugin a measurement ran on. */
export interface Built {
  build: string;
}

/**
 * Runs `bench/child.ts <task>` in a fresh Node process with --expose-gc (tsx as an import hook), so that
 * memory is measured from a clean heap, away from the sockets and timers the workloads left behind.
 */
function runChild<T>(task: 'overhead' | 'scale', pluginEntry: string | undefined): Promise<T & Built> {
  const script = path.join(__dirname, 'child.ts');
  const args = ['--expose-gc', '--import', 'tsx', script, task, ...(pluginEntry ? [pluginEntry] : [])];
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      args,
      { cwd: path.join(__dirname, '..'), timeout: CHILD_TIMEOUT_MS[task], maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`bench/child.ts ${task} failed: ${error.message}\n${stderr}`));
          return;
        }
        const lines = stdout.trim().split('\n');
        resolve(JSON.parse(lines[lines.length - 1]) as T & Built);
      },
    );
  });
}

/** The measurements that run in their own process, on the compiled plugin when there is one. */
export const children = {
  overhead: (pluginEntry?: string) => runChild<OverheadResult>('overhead', pluginEntry),
  scale: (pluginEntry?: string) => runChild<ScaleResult>('scale', pluginEntry),
};
