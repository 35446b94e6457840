import { setMaxListeners } from 'node:events';
import { startEmulator } from '../emulator';
import { CLIENT_ID, KNOWN, emulatorOptions } from './config';
import { bodyIntact, classify, describeError, runMetrics, runTimeline, type ClientSide } from './metrics';
import type { ClientOutcome, Contender, IdealTime, RunResult, Workload } from './types';

/**
 * Runs one workload through one contender against a fresh emulator: fires every request at once, waits
 * until all settle or `capMs` passes (then aborts what is left and counts it lost), and reads the server's
 * statistics before anything is torn down.
 */
export async function runOne(
  contender: Contender,
  workload: Workload,
  ideal: IdealTime,
  capMs: number,
): Promise<RunResult> {
  const emulator = await startEmulator(emulatorOptions());
  const client = contender.create({
    baseURL: emulator.url,
    clientId: CLIENT_ID,
    instances: workload.instances,
    limits: workload.limitsKnown ? KNOWN : undefined,
  });
  const controller = new AbortController();
  setMaxListeners(0, controller.signal); // one signal for the whole burst: hundreds of listeners are expected
  const outcomeOf = new Array<ClientOutcome>(workload.requests.length).fill('pending');
  let badBodies = 0;
  const errors: Record<string, number> = {};

  emulator.reset(); // the server's clock starts with the burst
  const started = performance.now();
  let lastSettled = started;
  const all = Promise.all(
    workload.requests.map((request) =>
      client.send(request, controller.signal).then(
        (response) => {
          outcomeOf[request.index] = 'ok';
          if (!bodyIntact(request, response)) badBodies++;
          lastSettled = performance.now();
        },
        (error: unknown) => {
          const outcome = classify(error);
          outcomeOf[request.index] = outcome;
          const described = describeError(outcome, error);
          if (described !== undefined) errors[described] = (errors[described] ?? 0) + 1;
          lastSettled = performance.now();
        },
      ),
    ),
  );
  let capTimer: NodeJS.Timeout | undefined;
  const cap = new Promise<'cap'>((resolve) => (capTimer = setTimeout(() => resolve('cap'), capMs)));
  const finished = await Promise.race([all.then(() => 'done' as const), cap]);
  clearTimeout(capTimer);
  const timedOut = finished === 'cap';
  const elapsedMs = timedOut ? capMs : lastSettled - started;
  const stats = emulator.stats();
  // Snapshot the outcomes before aborting: what is still pending at the cap is lost, not "canceled".
  const clientSide: ClientSide = { elapsedMs, timedOut, outcomeOf: [...outcomeOf], badBodies, errors: { ...errors } };

  controller.abort();
  await client.close();
  await emulator.close();
  return {
    workload: workload.id,
    contender: contender.id,
    metrics: runMetrics(workload.requests, stats, clientSide, ideal),
    timeline: runTimeline(stats),
  };
}
