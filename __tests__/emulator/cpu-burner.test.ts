/** CPU burners: they spin, stop() ends them, and they do not outlive the process that started them. */
import { readFileSync } from 'node:fs';
import { startCpuBurners } from '../../emulator/index.js';
import { killPid, spawnTs, waitForLine } from '../redis/helpers/child';
import { sleep } from './helpers.js';

/** Alive and not a zombie (a container's init may be slow to reap orphans). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true; // no /proc: kill(0) is all we can know
  }
}

async function gone(pids: readonly number[], withinMs: number): Promise<number[]> {
  const until = Date.now() + withinMs;
  while (pids.some(running) && Date.now() < until) await sleep(20);
  return pids.filter(running);
}

/** CPU time a process has used, in clock ticks, on Linux; undefined elsewhere. */
function cpuTicks(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime
  } catch {
    return undefined;
  }
}

describe('CPU burners', () => {
  jest.setTimeout(30_000);

  it('spin until stop(), which kills them and waits for their exit', async () => {
    const burners = await startCpuBurners(2);
    try {
      expect(burners.pids).toHaveLength(2);
      expect(burners.pids.every(running)).toBe(true);
      const before = burners.pids.map(cpuTicks);
      await sleep(500);
      const after = burners.pids.map(cpuTicks);
      if (before.every((t) => t !== undefined)) {
        // Each keeps using CPU (how much depends on what else the machine runs: not asserted).
        expect(after.map((t, i) => (t as number) > (before[i] as number))).toEqual([true, true]);
      }
    } finally {
      await burners.stop();
    }
    expect(burners.pids.filter(running)).toEqual([]);
    await burners.stop(); // idempotent
  });

  it('start none when asked for none, and reject a count that is not a whole number', async () => {
    const none = await startCpuBurners(0);
    expect(none.pids).toEqual([]);
    await none.stop();
    await expect(startCpuBurners(-1)).rejects.toThrow('Expected `count` to be an integer from 0 and up, got -1');
  });

  it.each([
    ['exits without stopping them', ['exit']],
    ['is killed with SIGKILL', []],
  ])('die when the process that started them %s', async (_, args) => {
    const parent = spawnTs('__tests__/emulator/fixtures/burner-parent.ts', args);
    let pids: number[] = [];
    try {
      const [, parentPid, ...burnerPids] = (await waitForLine(parent, 'burners')).split(' ').map(Number);
      pids = burnerPids;
      expect(pids).toHaveLength(2);
      if (args.length === 0) killPid(parentPid);
      expect(await gone(pids, 5_000)).toEqual([]);
    } finally {
      for (const pid of pids) killPid(pid);
      parent.kill('SIGKILL');
    }
  });
});
