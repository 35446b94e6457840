/**
 * The saturated-keys part of the scale measurement alone, on the plugin compiled as published:
 * `npx tsx bench/scale-only.ts [src]` (src: run src/ through tsx instead of compiling).
 */
import { compilePlugin } from './compiled-plugin';
import { measureSaturated, SATURATED_KEYS } from './scale';
import type { Plugin } from './types';

async function main(): Promise<void> {
  let plugin: Plugin;
  if (process.argv[2] === 'src') plugin = await import('../src');
  else {
    const compiled = await compilePlugin();
    if (compiled.warnings) console.error(compiled.warnings);
    plugin = require(compiled.entry) as Plugin;
  }
  await measureSaturated(plugin, SATURATED_KEYS[0]);
  for (const keys of SATURATED_KEYS) {
    const r = await measureSaturated(plugin, keys);
    console.log(
      `${keys} keys × ${r.requestsPerKey} (${r.runs} runs): ${r.cpuUsPerRequest.toFixed(1)} µs CPU per request, ` +
        `${r.wallMsPerRun.toFixed(0)} ms per run (window ${r.windowMs} ms), queued ${r.queuedSeen} on ${r.keysWaiting} keys, failures ${r.failures}, ` +
        `peak live timers ${r.timers.peakWaiting} (set ${r.timers.setWaiting}, fired ${r.timers.fired}, cleared ${r.timers.cleared})`,
    );
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
