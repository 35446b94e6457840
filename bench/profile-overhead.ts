/**
 * The overhead loop alone, for a profiler: `node --cpu-prof --import tsx bench/profile-overhead.ts
 * <compiled index.js> [guard|bare|axios-rate-limit|axios-retry] [requests]` (bench/overhead-only.ts
 * compiles src/ into bench/results/tmp/cjs first).
 */
import axios from 'axios';
import { GUARD_LIMITS } from './overhead';
import { jsonAdapter } from './in-process';
import type { Plugin } from './types';

async function main(entry: string, which = 'guard', count = 200_000): Promise<void> {
  const plugin = require(entry) as Plugin;
  const api = axios.create({ baseURL: 'http://in-process.invalid', headers: { 'x-client-id': 'overhead-app' } });
  api.defaults.adapter = jsonAdapter;
  if (which === 'guard') plugin.rateGuard(api, { clientId: 'overhead-app', store: new plugin.MemoryStore(), limits: GUARD_LIMITS });
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < count; i++) await api.get(`/v3/orders/${i}`, { headers: { Authorization: 'Bearer overhead-token' } });
  const used = process.cpuUsage(cpu);
  console.log(`${which}: ${(((performance.now() - started) * 1000) / count).toFixed(2)} µs wall, ${((used.user + used.system) / count).toFixed(2)} µs CPU per request`);
}

main(process.argv[2], process.argv[3], process.argv[4] ? Number(process.argv[4]) : undefined).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
