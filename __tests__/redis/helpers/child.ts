/** Node child processes running TypeScript through tsx, as separate "app instances" would run. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');

export function spawnTs(script: string, args: string[] = []): ChildProcess {
  return spawn(process.execPath, [require.resolve('tsx/cli'), path.resolve(ROOT, script), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Resolves with the first line the child prints that starts with `line`; rejects if it exits first. */
export function waitForLine(child: ChildProcess, line: string, timeoutMs = 15_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => finish(new Error(`no "${line}" within ${timeoutMs} ms; stderr: ${err}`)), timeoutMs);
    const onOut = (chunk: Buffer) => {
      out += chunk.toString();
      const found = out.split('\n').find((l) => l.startsWith(line));
      if (found !== undefined) finish(undefined, found.trim());
    };
    const onErr = (chunk: Buffer) => (err += chunk.toString());
    const onExit = (code: number | null) => finish(new Error(`exited (${code}) before "${line}"; stderr: ${err}`));
    const finish = (error?: Error, found = '') => {
      clearTimeout(timer);
      child.stdout?.off('data', onOut);
      child.stderr?.off('data', onErr);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(found);
    };
    child.stdout?.on('data', onOut);
    child.stderr?.on('data', onErr);
    child.once('exit', onExit);
  });
}

/** Output of a child that runs to completion; rejects on a non-zero exit. */
export function runToEnd(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`child exited ${code}: ${err}`))));
  });
}

/**
 * The tsx CLI runs the script in a child process of its own: a worker that must die abruptly reports its
 * `process.pid`, and the test kills that process.
 */
export function killPid(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

export function kill(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}
