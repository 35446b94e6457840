#!/usr/bin/env node
// Runs before the tests: the suites start real servers and a real browser from the system's packages.
// A missing one is installed when this machine can (root with apt-get, as on CI); otherwise we stop at
// once with the one command to run, instead of failing later with a confusing error.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * Binary → Debian package. Override a binary's path with the environment variable named. `sbin`: also
 * looked for in /usr/sbin and /sbin, which are not on a non-root user's PATH (Debian puts nginx there).
 */
const NEEDED = [
  { bin: process.env.REDIS_SERVER ?? 'redis-server', pkg: 'redis-server' },
  { bin: process.env.CHROMIUM_PATH ?? 'chromium', pkg: 'chromium' },
  { bin: process.env.NGINX_PATH ?? 'nginx', pkg: 'nginx', sbin: true },
];

function found(bin, sbin = false) {
  if (bin.includes('/')) return existsSync(bin);
  if (sbin && ['/usr/sbin', '/sbin'].some((dir) => existsSync(`${dir}/${bin}`))) return true;
  return spawnSync('sh', ['-c', `command -v "${bin}"`], { stdio: 'ignore' }).status === 0;
}

const missing = NEEDED.filter(({ bin, sbin }) => !found(bin, sbin));
if (missing.length === 0) process.exit(0);

const packages = missing.map(({ pkg }) => pkg);
const command = `apt-get install -y ${packages.join(' ')}`;
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (!isRoot || !found('apt-get')) {
  console.error(`The tests need ${packages.join(', ')}. Install ${packages.length > 1 ? 'them' : 'it'} and run npm test again:\n\n  sudo ${command}\n`);
  process.exit(1);
}

console.error(`Installing ${packages.join(', ')} for the tests (${command}) ...`);
try {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  execFileSync('apt-get', ['install', '-y', ...packages], { stdio: ['ignore', 'ignore', 'inherit'], env });
} catch {
  console.error(`Could not install ${packages.join(', ')}. Run this, then npm test again:\n\n  ${command}\n`);
  process.exit(1);
}
const still = missing.filter(({ bin, sbin }) => !found(bin, sbin));
if (still.length > 0) {
  console.error(`Installed, yet not found: ${still.map(({ bin }) => bin).join(', ')}. Check PATH (or REDIS_SERVER / CHROMIUM_PATH / NGINX_PATH).`);
  process.exit(1);
}
