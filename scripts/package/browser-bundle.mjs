// The main entry as a browser app ships it: bundled by esbuild for the browsers the README names, minified,
// axios external. Fails if esbuild cannot lower the code to those browsers, or if Redis or OpenTelemetry code
// got in (each has its own entry). `otelBundle` bundles axios-rate-guard/otel the same way, to show that it
// lowers too and needs nothing of @opentelemetry at run time (it imports only its types).
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';

/** The README's browsers (install section). Safari before 14.1 lacks destructuring that esbuild can lower. */
export const BROWSERS = ['chrome80', 'edge80', 'firefox74', 'safari14.1'];

async function bundle(entry, external) {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    minify: true,
    platform: 'browser',
    format: 'esm',
    target: BROWSERS,
    external,
    metafile: true,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0].contents;
  const inputs = Object.entries(Object.values(result.metafile.outputs)[0].inputs).map(([path, input]) => ({
    path,
    bytes: input.bytesInOutput,
  }));
  return { code, text: Buffer.from(code).toString(), inputs };
}

/** Bundles `entry`; returns the minified and gzipped sizes and the minified bytes of each input file. */
export async function browserBundle(entry) {
  const { code, text, inputs } = await bundle(entry, ['axios']);
  const redis = inputs.filter(({ path }) => /redis/i.test(path)).map(({ path }) => path);
  if (redis.length || /EVALSHA|RedisStore/.test(text)) {
    throw new Error(`Redis code in the main bundle: ${redis.join(', ') || 'EVALSHA or RedisStore in the output'}`);
  }
  const otel = inputs.filter(({ path }) => /otel|opentelemetry/i.test(path)).map(({ path }) => path);
  if (otel.length || /@opentelemetry|rate_guard\./.test(text)) {
    throw new Error(`OpenTelemetry code in the main bundle: ${otel.join(', ') || '@opentelemetry or a rate_guard. metric in the output'}`);
  }
  return { minified: code.length, gzipped: gzipSync(code, { level: 9 }).length, inputs };
}

/** Bundles axios-rate-guard/otel with @opentelemetry/* external: nothing of it may be imported at run time. */
export async function otelBundle(entry) {
  const { code, text, inputs } = await bundle(entry, ['axios', '@opentelemetry/*']);
  if (/@opentelemetry/.test(text)) throw new Error('the otel bundle imports @opentelemetry at run time');
  if (!inputs.some(({ path }) => /otel\.js$/.test(path))) throw new Error(`otel.js not among the inputs: ${inputs.map((i) => i.path).join(', ')}`);
  return { minified: code.length, gzipped: gzipSync(code, { level: 9 }).length, inputs };
}

