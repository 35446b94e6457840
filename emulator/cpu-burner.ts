import { spawn, type ChildProcess } from 'node:child_process';

export interface RunningCpuBurners {
  /** Process ids of the burners. */
  readonly pids: readonly number[];
  /** Kills every burner and resolves once each has exited and its pipe is closed. Idempotent. */
  stop(): Promise<void>;
}

/**
 * The burner: says it is ready, then spins. Every 50 ms it checks that its parent is still the one that
 * started it, so it exits on its own even if the parent was killed too hard to run its 'exit' handler.
 */
const SPIN = `
const parent = process.ppid;
process.stdout.write('spinning\\n', () => {
  for (;;) {
    const until = Date.now() + 50;
    while (Date.now() < until);
    if (process.ppid !== parent) process.exit(0);
  }
});
`;

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    // Exited already; its stdout may still be open for a moment.
    return child.stdout && !child.stdout.closed ? new Promise((resolve) => child.stdout!.once('close', () => resolve())) : Promise.resolve();
  }
  return new Promise((resolve) => child.once('close', () => resolve()));
}

function ready(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (why: string) => () => reject(new Error(`CPU burner ${child.pid ?? '(not started)'} ${why} before it started spinning`));
    const onExit = fail('exited');
    child.once('error', (error) => reject(error));
    child.once('exit', onExit);
    child.stdout!.once('data', () => {
      child.off('exit', onExit);
      resolve();
    });
  });
}

/**
 * Starts `count` Node processes that each keep one CPU core busy, so that what runs meanwhile has to share
 * the machine. They are killed by stop(), when this process exits, and (within 50 ms) when it is killed.
 */
export async function startCpuBurners(count = 2): Promise<RunningCpuBurners> {
  if (!Number.isInteger(count) || count < 0) throw new TypeError(`Expected \`count\` to be an integer from 0 and up, got ${String(count)}`);
  const children: ChildProcess[] = [];
  const killAll = (): void => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', killAll);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      killAll();
      await Promise.all(children.map(exited));
      process.off('exit', killAll);
    })();
    return stopping;
  };

  try {
    for (let i = 0; i < count; i++) {
      children.push(spawn(process.execPath, ['-e', SPIN], { stdio: ['ignore', 'pipe', 'inherit'] }));
    }
    await Promise.all(children.map(ready));
  } catch (error) {
    await stop();
    throw error;
  }
  // Burners must not keep this process alive: if it ends without stop(), its 'exit' handler kills them.
  for (const child of children) {
    child.unref();
    (child.stdout as (NodeJS.ReadableStream & { unref?: () => void }) | null)?.unref?.();
  }
  return { pids: children.map((child) => child.pid as number), stop };
}
