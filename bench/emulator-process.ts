import { fork } from 'node:child_process';
import path from 'node:path';
import { askChild } from './ask-child';
import type { EmulatorOptions, EmulatorStats, ResolvedEmulatorOptions } from '../emulator';

/** The emulator of bench/emulator-child.ts, driven from here: RunningEmulator's calls, answered over IPC. */
export interface EmulatorProcess {
  readonly url: string;
  readonly port: number;
  readonly options: Readonly<ResolvedEmulatorOptions>;
  stats(): Promise<EmulatorStats>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts the vendor emulator in a process of its own. A server in the client's process reads what the
 * client wrote only when the client's event loop lets it: a burst of sends (40 ms for 48 requests beside a
 * CPU-bound process) then shows at the server as requests arriving late, as no server on another host or
 * in another process would see them. The pacing section, which judges the guarantee, uses this.
 */
export function startEmulatorProcess(options: EmulatorOptions): Promise<EmulatorProcess> {
  const child = fork(path.join(__dirname, 'emulator-child.ts'), [], { execArgv: ['--import', 'tsx'], cwd: path.join(__dirname, '..') });
  const ask = askChild(child, 'bench/emulator-child.ts');
  return ask<{ url: string; port: number; options: ResolvedEmulatorOptions; error?: string }>({ kind: 'start', options }).then((started) => {
    if (started.error) {
      child.kill();
      throw new Error(`the emulator did not start: ${started.error}`);
    }
    return {
      url: started.url,
      port: started.port,
      options: started.options,
      stats: () => ask<EmulatorStats>({ kind: 'stats' }),
      reset: () => ask<object>({ kind: 'reset' }).then(() => undefined),
      close: () =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.send({ kind: 'close' });
        }),
    };
  });
}
