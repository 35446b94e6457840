// Packs the library and installs the tarball into a fresh consumer project in a temporary folder, then
// proves it can be used both ways: require() and import at run time, and TypeScript (moduleResolution
// node16) from a .cts and a .mts file, with the per-request `rateGuard` option typed by augmentation.
// axios is linked from this repository's node_modules, so nothing is downloaded.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const require = createRequire(import.meta.url);
const root = resolve('.');
const dir = mkdtempSync(join(tmpdir(), 'rate-guard-consumer-'));
const run = (cmd, args, options = {}) => execFileSync(cmd, args, { stdio: 'pipe', encoding: 'utf8', ...options });

try {
  const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: root }))[0];
  mkdirSync(join(dir, 'node_modules', 'axios-rate-guard'), { recursive: true });
  run('tar', ['-xzf', join(dir, packed.filename), '-C', join(dir, 'node_modules', 'axios-rate-guard'), '--strip-components=1']);
  symlinkSync(join(root, 'node_modules', 'axios'), join(dir, 'node_modules', 'axios'), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));

  const usage = (load) => `
${load}
const api = axios.create();
api.defaults.adapter = async (config) => ({ data: 'ok', status: 200, statusText: 'OK', headers: {}, config });
const guard = rateGuard(api, { clientId: 'consumer', limits: { client: { requests: 5, perMs: 1000 } } });
api.get('/x', { rateGuard: { maxRetries: 1 } }).then(async (r) => {
  const stats = await guard.stats();
  if (r.data !== 'ok' || stats.calls !== 1 || typeof isRateLimitError !== 'function') throw new Error('unexpected');
  guard.detach();
  console.log('ok', ${JSON.stringify(load.includes('require') ? 'require' : 'import')});
});`;
  const redisCheck = `if (typeof RedisStore !== 'function') throw new Error('axios-rate-guard/redis: no RedisStore');`;
  writeFileSync(
    join(dir, 'use.cjs'),
    usage(`const axios = require('axios'); const { rateGuard, isRateLimitError } = require('axios-rate-guard');
const { RedisStore } = require('axios-rate-guard/redis'); ${redisCheck}`),
  );
  writeFileSync(
    join(dir, 'use.mjs'),
    usage(`import axios from 'axios'; import { rateGuard, isRateLimitError } from 'axios-rate-guard';
import { RedisStore } from 'axios-rate-guard/redis'; ${redisCheck}`),
  );
  console.log(run(process.execPath, ['use.cjs'], { cwd: dir }).trim());
  console.log(run(process.execPath, ['use.mjs'], { cwd: dir }).trim());

  const typed = (load) => `${load}
const api = axios.create();
const guard: RateGuard = rateGuard(api, { clientId: 'c', limits: { token: { requests: 16, perMs: 1000, concurrent: 5 } } });
rateGuard(axios, { clientId: 'default-export' });
const config: AxiosRequestConfig = { rateGuard: { skip: true, deadlineMs: 5000 } };
void api.get('/x', { rateGuard: { maxRetries: 2 } }).catch((e: unknown) => {
  if (isRateLimitError(e)) console.log(e.key, e.attempts, e.waitedMs);
  if (e instanceof RetriesExhaustedError) console.log(e.maxRetries);
});
// @ts-expect-error: the augmentation is typed, so a wrong option type is an error.
void api.get('/x', { rateGuard: { maxRetries: 'many' } });
void config;
guard.detach();
const redisClient = { evalsha: async () => null, eval: async () => null, script: async () => '' } as unknown as RedisStoreOptions['client'];
const shared: RedisStore = new RedisStore({ client: redisClient, prefix: 'consumer:' });
void shared.close();
`;
  writeFileSync(join(dir, 'check.cts'), typed(`import axios = require('axios');
import type { AxiosRequestConfig } from 'axios';
import { rateGuard, isRateLimitError, RetriesExhaustedError, type RateGuard } from 'axios-rate-guard';
import { RedisStore, type RedisStoreOptions } from 'axios-rate-guard/redis';`));
  writeFileSync(join(dir, 'check.mts'), typed(`import axios, { type AxiosRequestConfig } from 'axios';
import { rateGuard, isRateLimitError, RetriesExhaustedError, type RateGuard } from 'axios-rate-guard';
import { RedisStore, type RedisStoreOptions } from 'axios-rate-guard/redis';`));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { module: 'node16', moduleResolution: 'node16', target: 'es2022', strict: true, noEmit: true, types: [], lib: ['es2022', 'dom'] },
      files: ['check.cts', 'check.mts'],
    }),
  );
  run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: dir });
  console.log('ok types (node16: .cts and .mts)');
  console.log(`package check passed: ${packed.filename}, ${packed.entryCount} files, ${packed.size} bytes packed`);
} catch (error) {
  console.error(error.stdout ?? '', error.stderr ?? '', error.message);
  process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
