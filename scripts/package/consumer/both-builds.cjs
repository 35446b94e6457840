// One process, both builds: a dependency require()s the CommonJS build, the app import()s the ES module
// build. Two guards of clientId 'shared' with `concurrent: 1`, one per build, must never overlap: they share
// the process's default store and its scheduler.
const axios = require('axios');
const cjs = require('axios-rate-guard');

let inFlight = 0;
let most = 0;
const adapter = async (config) => {
  most = Math.max(most, ++inFlight);
  await new Promise((resolve) => setTimeout(resolve, 10));
  inFlight--;
  return { data: 'ok', status: 200, statusText: 'OK', headers: {}, config };
};

(async () => {
  const esm = await import('axios-rate-guard');
  if (esm.rateGuard === cjs.rateGuard) throw new Error('expected two builds, got one');
  const apis = [cjs, esm].map((lib) => {
    const api = axios.create({ adapter });
    lib.rateGuard(api, { clientId: 'shared', limits: { client: { concurrent: 1 } } });
    return api;
  });
  const calls = 20;
  await Promise.all(Array.from({ length: calls }, (_, i) => apis[i % 2].get(`/x${i}`)));
  if (most !== 1) throw new Error(`${most} requests in flight at once across the two builds (concurrent: 1)`);
  if (cjs.defaultStore() !== esm.defaultStore()) throw new Error('two default stores in one process');
  console.log(`both builds: ok (${calls} calls, at most ${most} in flight, one default store)`);
})().catch((error) => {
  console.error(error.message);
  process.exit(1);
});
