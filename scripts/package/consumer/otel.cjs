// axios-rate-guard/otel from both builds. Where @opentelemetry/api is installed (the axios-latest project), a
// throttled request is recorded on its Meter (a no-op one: no SDK here; the SDK's data is what the test suite
// checks). Where it is not (the optional peer left out), the entry still loads, and nothing of OpenTelemetry does.
const axios = require('axios');
const { rateGuard } = require('axios-rate-guard');
const cjs = require('axios-rate-guard/otel');

let api;
try {
  api = require('@opentelemetry/api');
} catch {
  api = undefined;
}

(async () => {
  const esm = await import('axios-rate-guard/otel');
  for (const [build, otel] of [['cjs', cjs], ['esm', esm]]) {
    if (typeof otel.rateGuardTelemetry !== 'function' || otel.METRICS.throttles !== 'rate_guard.throttles') throw new Error(`${build}: exports missing`);
    if (!api) {
      let refused = false;
      try {
        otel.rateGuardTelemetry({});
      } catch (error) {
        refused = error instanceof TypeError;
      }
      if (!refused) throw new Error(`${build}: rateGuardTelemetry({}) should refuse to run without a Meter`);
      continue;
    }
    const telemetry = otel.rateGuardTelemetry({ meter: api.metrics.getMeter('consumer') });
    let answers = 0;
    const instance = axios.create({
      adapter: async (config) => {
        if (answers++ === 0) {
          const response = { data: '', status: 429, statusText: 'Too Many Requests', headers: { 'retry-after': '0' }, config };
          throw new axios.AxiosError('429', 'ERR_BAD_REQUEST', config, null, response);
        }
        return { data: 'ok', status: 200, statusText: 'OK', headers: {}, config };
      },
    });
    const guard = rateGuard(instance, telemetry.withHooks({ clientId: `otel-${build}`, jitter: { ratio: 0 } }));
    const stop = telemetry.observe(guard);
    const remove = telemetry.instrument(instance);
    const response = await instance.get('https://api.example.test/x');
    const stats = await guard.stats();
    if (response.data !== 'ok' || stats.throttled !== 1 || stats.replays !== 1) throw new Error(`${build}: ${JSON.stringify(stats)}`);
    stop();
    remove();
    guard.detach();
  }
  const loaded = Object.keys(require.cache).filter((path) => path.includes('@opentelemetry'));
  if (!api && loaded.length) throw new Error(`@opentelemetry loaded without being installed: ${loaded.join(', ')}`);
  // Its exports hide package.json: read it in the package's folder (its layout changes between versions).
  const folder = (entry) => entry.slice(0, entry.lastIndexOf('@opentelemetry/api') + '@opentelemetry/api'.length);
  const version = () => JSON.parse(require('node:fs').readFileSync(`${folder(require.resolve('@opentelemetry/api'))}/package.json`, 'utf8')).version;
  console.log(api ? `otel: ok on @opentelemetry/api ${version()}, both builds` : 'otel: ok without @opentelemetry/api (optional peer not installed), both builds');
})().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
