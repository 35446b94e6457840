/**
 * Standalone emulator: `npx tsx emulator/cli.ts --vendor clover --port 8080`.
 * Prints the URL as the first line of stdout, then the limits in effect; stops on SIGINT/SIGTERM.
 */
import { parseCliArgs, USAGE } from './cli-args.js';
import type { ResolvedEmulatorOptions } from './types.js';
import { RESET_PATH, STATS_PATH, startEmulator } from './vendor-emulator.js';

function describeLimits(o: Readonly<ResolvedEmulatorOptions>): string {
  const show = (value: number | undefined): string => (value === undefined ? 'none' : String(value));
  return [
    `vendor=${o.vendor}`,
    `window=${o.windowMs}ms`,
    `appRate=${show(o.appRate)}`,
    `tokenRate=${show(o.tokenRate)}`,
    `appConcurrent=${show(o.appConcurrent)}`,
    `tokenConcurrent=${show(o.tokenConcurrent)}`,
    `retryAfter=${o.retryAfterSec}s`,
    `penalty=${o.penalty}`,
    `latency=${o.latencyMs}ms`,
    `omitRetryAfterEvery=${o.omitRetryAfterEvery}`,
    `cors=${o.cors === undefined ? 'off' : `${o.cors}${o.corsExposeHeaders ? '' : ' (headers hidden)'}`}`,
  ].join(' ');
}

async function main(): Promise<void> {
  let command;
  try {
    command = parseCliArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  if (command.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }

  const emulator = await startEmulator(command.options);
  process.stdout.write(`${emulator.url}\n`);
  process.stdout.write(`${describeLimits(emulator.options)}; GET ${STATS_PATH}, POST ${RESET_PATH}\n`);

  const stop = (): void => {
    emulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
