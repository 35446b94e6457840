// require(): a request goes through the guard, and both entry points load.
const axios = require('axios');
const { rateGuard, isRateLimitError } = require('axios-rate-guard');
const { RedisStore } = require('axios-rate-guard/redis');

const api = axios.create({ adapter: async (config) => ({ data: 'ok', status: 200, statusText: 'OK', headers: {}, config }) });
const guard = rateGuard(api, { clientId: 'consumer-cjs', limits: { client: { requests: 5, perMs: 1000 } } });
api.get('/x', { rateGuard: { maxRetries: 1 } }).then(async (response) => {
  const stats = await guard.stats();
  if (response.data !== 'ok' || stats.calls !== 1) throw new Error(`unexpected: ${response.data}, ${stats.calls} calls`);
  if (typeof isRateLimitError !== 'function' || typeof RedisStore !== 'function') throw new Error('exports missing');
  guard.detach();
  // OpenTelemetry is an optional peer the main entry knows nothing of.
  const otel = Object.keys(require.cache).filter((path) => path.includes('@opentelemetry'));
  if (otel.length) throw new Error(`the main entry loaded ${otel.join(', ')}`);
  console.log(`require: ok (axios ${require('axios/package.json').version})`);
});
