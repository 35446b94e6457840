// import: a request goes through the guard, and both entry points load.
import axios from 'axios';
import { createRequire } from 'node:module';
import { rateGuard, isRateLimitError } from 'axios-rate-guard';
import { RedisStore } from 'axios-rate-guard/redis';

const api = axios.create({ adapter: async (config) => ({ data: 'ok', status: 200, statusText: 'OK', headers: {}, config }) });
const guard = rateGuard(api, { clientId: 'consumer-esm', limits: { client: { requests: 5, perMs: 1000 } } });
const response = await api.get('/x', { rateGuard: { maxRetries: 1 } });
const stats = await guard.stats();
if (response.data !== 'ok' || stats.calls !== 1) throw new Error(`unexpected: ${response.data}, ${stats.calls} calls`);
if (typeof isRateLimitError !== 'function' || typeof RedisStore !== 'function') throw new Error('exports missing');
guard.detach();
console.log(`import: ok (axios ${createRequire(import.meta.url)('axios/package.json').version})`);
