// Prints the size of the main entry's browser bundle (scripts/package/browser-bundle.mjs: esbuild, minified,
// gzipped, axios external, no Redis or OpenTelemetry) and what each feature costs: the minified bytes of its source files,
// and their share of the gzipped total in proportion (gzip does not split exactly by file).
import { BROWSERS, browserBundle } from './package/browser-bundle.mjs';

const FEATURES = {
  'axios wiring, options, errors, events': ['index', 'rate-guard', 'guarded-adapter', 'options', 'errors', 'events', 'cancel', 'stream-release'],
  'scheduler (queues, one timer per key, priorities)': ['scheduler', 'priority-queue', 'priority', 'process-registry'],
  'memory store, sliding window, limits': ['memory-store', 'sliding-window', 'limits', 'store', 'clock', 'hash'],
  '429 parsing and backoff': ['parse-429', 'backoff'],
  'learning (rate-limit headers, rate learner, AIMD)': ['rate-limit-headers', 'learn-from-response', 'rate-learner', 'adaptive', 'time-values'],
  'vendor dialects (OpenAI, Anthropic, Shopify, HubSpot, X, ...)': [
    'dialects/common',
    'dialects/anthropic',
    'dialects/hubspot',
    'dialects/openai',
    'dialects/shopify',
    'dialects/x-rate-limit',
  ],
  'throttles that are not a 429 (GitHub, GraphQL, Salesforce)': ['throttle-rules'],
  'endpoint buckets (routes, learned buckets)': ['routes', 'request-keys'],
  'send evidence (Node http write time)': ['send-evidence'],
};

const { minified, gzipped, inputs } = await browserBundle('src/index.ts');
const kB = (bytes) => `${(bytes / 1000).toFixed(1)} kB`;
const name = (path) => path.replace(/^src\//, '').replace(/\.ts$/, '');
console.log(`main entry, browser bundle (esbuild for ${BROWSERS.join(', ')}; axios external): ${kB(minified)} minified, ${kB(gzipped)} gzipped`);
console.log('no Redis or OpenTelemetry code in it (each has its own entry)\n\nfeature: minified, ≈ share of the gzipped total');
const grouped = new Set();
for (const [feature, files] of Object.entries(FEATURES)) {
  const parts = inputs.filter(({ path }) => files.includes(name(path))).sort((a, b) => b.bytes - a.bytes);
  parts.forEach(({ path }) => grouped.add(path));
  const bytes = parts.reduce((sum, part) => sum + part.bytes, 0);
  const detail = parts.map((part) => `${name(part.path)} ${kB(part.bytes)}`).join(', ');
  console.log(`  ${feature}: ${kB(bytes)}, ≈ ${kB((bytes / minified) * gzipped)}  (${detail})`);
}
const rest = inputs.filter(({ path }) => !grouped.has(path));
if (rest.length) console.log(`  other: ${rest.map((part) => `${name(part.path)} ${kB(part.bytes)}`).join(', ')}`);
