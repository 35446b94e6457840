// The main entry as a browser app ships it: bundled by esbuild for the browsers the README names, minified,
// axios external. Fails if esbuild cannot lower the code to those browsers, or if Redis code got in.
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';

/** The README's browsers (install section). Safari before 14.1 lacks destructuring that esbuild can lower. */
export const BROWSERS = ['chrome80', 'edge80', 'firefox74', 'safari14.1'];

/** Bundles `entry`; returns the minified and gzipped sizes and the minified bytes of each input file. */
export async function browserBundle(entry) {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    minify: true,
    platform: 'browser',
    format: 'esm',
    target: BROWSERS,
    external: ['axios'],
    metafile: true,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0].contents;
  const inputs = Object.entries(Object.values(result.metafile.outputs)[0].inputs).map(([path, input]) => ({
    path,
    bytes: input.bytesInOutput,
  }));
  const redis = inputs.filter(({ path }) => /redis/i.test(path)).map(({ path }) => path);
  if (redis.length || /EVALSHA|RedisStore/.test(Buffer.from(code).toString())) {
    throw new Error(`Redis code in the main bundle: ${redis.join(', ') || 'EVALSHA or RedisStore in the output'}`);
  }
  return { minified: code.length, gzipped: gzipSync(code, { level: 9 }).length, inputs };
}
