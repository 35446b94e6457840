import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGb: number;
  os: string;
  node: string;
  date: string;
}

export function machine(): Machine {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    date: new Date().toISOString(),
  };
}

/** Packages whose versions are printed with the servers section: the contenders and the servers. */
const PACKAGES = ['axios', 'axios-retry', 'axios-rate-limit', 'bottleneck', 'express', 'express-rate-limit', 'fastify', '@fastify/rate-limit'];

const ROOT = path.join(__dirname, '..', '..');

function packageVersion(directory: string): string {
  try {
    return (JSON.parse(readFileSync(path.join(directory, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

/** First line a command prints (stdout or stderr: nginx -v writes to stderr), or undefined. */
function firstLine(command: string, args: string[]): string | undefined {
  const result = spawnSync(command, args, { cwd: ROOT, encoding: 'utf8', timeout: 5000 });
  if (result.status !== 0) return undefined;
  return `${result.stdout}${result.stderr}`.trim().split('\n')[0] || undefined;
}

/**
 * Versions of axios-rate-guard (package version and commit, "+ changes" when the tree differs from it), of
 * every contender and server package (read from node_modules), and of nginx.
 */
export function versions(nginxBinary: string): Record<string, string> {
  const commit = firstLine('git', ['rev-parse', '--short', 'HEAD']);
  const dirty = firstLine('git', ['status', '--porcelain', '--untracked-files=no']) !== undefined;
  const out: Record<string, string> = {
    'axios-rate-guard': `${packageVersion(ROOT)}${commit ? ` (${commit}${dirty ? ' + changes' : ''})` : ''}`,
  };
  for (const name of PACKAGES) out[name] = packageVersion(path.join(ROOT, 'node_modules', name));
  out.nginx = firstLine(nginxBinary, ['-v'])?.replace(/^nginx version: nginx\//, '') ?? 'not found';
  return out;
}
