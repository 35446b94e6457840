/**
 * The guard's own cost per request, without axios around it: its interceptor and adapter on a config as
 * axios hands it over, against the in-process adapter called directly. For iterating on the hot path
 * (axios's ~30–60 µs and its noise would hide a 0.2 µs change): `npx tsx bench/guard-path.ts [rounds] [index.js…]`.
 */
import { AxiosHeaders, type InternalAxiosRequestConfig } from 'axios';
import { compilePlugin } from './compiled-plugin';
import { jsonAdapter, median } from './in-process';
import { GUARD_LIMITS } from './overhead';
import type { Plugin } from './types';

/**
 * The overhead's limits (both levels), at rates this loop never reaches either: it runs about 300,000
 * requests a second, three times the overhead's 100,000, which would measure waits instead. (Not far
 * higher: a log keeps its newest N entries, so N is also its memory.)
 */
const UNREACHED_LIMITS: typeof GUARD_LIMITS = {
  client: { ...GUARD_LIMITS.client, requests: 10 * GUARD_LIMITS.client.requests },
  token: { ...GUARD_LIMITS.token, requests: 10 * GUARD_LIMITS.token.requests },
};

type Interceptor = (config: InternalAxiosRequestConfig) => InternalAxiosRequestConfig;

const config = (i: number): InternalAxiosRequestConfig =>
  ({
    url: `/v3/orders/${i}`,
    method: 'get',
    baseURL: 'http://in-process.invalid',
    headers: new AxiosHeaders({ Accept: 'application/json', 'x-client-id': 'overhead-app', Authorization: 'Bearer overhead-token' }),
    adapter: jsonAdapter,
  }) as InternalAxiosRequestConfig;

async function round(count: number, interceptor: Interceptor | undefined): Promise<number> {
  const started = process.cpuUsage();
  for (let i = 0; i < count; i++) {
    const c = config(i);
    if (interceptor) {
      interceptor(c);
      await (c.adapter as (c: InternalAxiosRequestConfig) => Promise<unknown>)(c);
    } else await jsonAdapter(c);
  }
  const used = process.cpuUsage(started);
  return ((used.user + used.system) * 1000) / count;
}

/** The guard's interceptor, attached to a stand-in for an axios instance. */
function guardedInterceptor(plugin: Plugin, limits: typeof GUARD_LIMITS): Interceptor {
  let interceptor: Interceptor | undefined;
  const instance = {
    interceptors: { request: { use: (fn: Interceptor) => ((interceptor = fn), 0), eject: () => undefined } },
  };
  plugin.rateGuard(instance, { clientId: 'overhead-app', store: new plugin.MemoryStore(), limits });
  return interceptor!;
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 15);
  // More arguments: index.js files already compiled (variants to compare, interleaved), instead of src/.
  let entries = process.argv.slice(3);
  if (entries.length === 0) {
    const compiled = await compilePlugin();
    if (compiled.warnings) console.error(compiled.warnings);
    entries = [compiled.entry];
  }
  // GUARD_PATH_LIMITS='[{"client":{"concurrent":10}}, …]': other configurations, each on every entry (what each part costs).
  const configurations = process.env.GUARD_PATH_LIMITS ? (JSON.parse(process.env.GUARD_PATH_LIMITS) as Array<typeof GUARD_LIMITS>) : [UNREACHED_LIMITS];
  const variants = entries.flatMap((entry) => configurations.map((limits) => ({ name: `${entry} ${JSON.stringify(limits)}`, plugin: require(entry) as Plugin, limits })));
  const interceptors = variants.map((v) => guardedInterceptor(v.plugin, v.limits));
  const count = 50_000;
  for (let i = 0; i < 3; i++) for (const interceptor of [undefined, ...interceptors]) await round(count, interceptor);
  const bare: number[] = [];
  const added = interceptors.map((): number[] => []);
  for (let r = 0; r < rounds; r++) {
    const b = await round(count, undefined);
    bare.push(b);
    for (let k = 0; k < interceptors.length; k++) {
      const i = (r + k) % interceptors.length;
      added[i].push((await round(count, interceptors[i])) - b);
    }
  }
  variants.forEach((v, i) => console.log(`${v.name}: ${median(added[i]).toFixed(0)} ns CPU per request added`));
  console.log(`adapter alone: ${median(bare).toFixed(0)} ns`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
