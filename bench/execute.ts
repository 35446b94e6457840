import { setMaxListeners } from 'node:events';
import { startDelayProxy, startEmulator } from '../emulator';
import { CLIENT_ID, KNOWN, SERVER, emulatorOptions } from './config';
import { startEmulatorProcess } from './emulator-process';
import { bodyIntact, classify, describeError, runMetrics, runTimeline, type ClientSide } from './metrics';
import type { ClientOutcome, Contender, IdealTime, KnownLimits, LinkDelay, RunResult, ServerLimits, Workload } from './types';

/** The server a run is measured against and the link to it. */
export interface RunSetup {
  server: ServerLimits;
  /** Handed to the contender when the workload's limits are known. */
  known: KnownLimits;
  /** A delay proxy between client and server; undefined: straight to the server on loopback. */
  delay?: LinkDelay;
  /** The emulator in a process of its own (bench/emulator-process.ts), not in the client's. */
  ownProcess?: boolean;
}

/** The contender comparison: the bench's Clover server on loopback. */
const DEFAULT_SETUP: RunSetup = { server: SERVER, known: KNOWN };

/**
 * Runs one workload through one contender against a fresh emulator (behind a fresh delay proxy if the setup
 * has one): fires every request at once, waits until all settle or `capMs` passes (then aborts what is left
 * and counts it lost), and reads the server's statistics before anything is torn down.
 */
export async function runOne(
  contender: Contender,
  workload: Workload,
  ideal: IdealTime,
  capMs: number,
  setup: RunSetup = DEFAULT_SETUP,
): Promise<RunResult> {
  const emulator = await (setup.ownProcess ? startEmulatorProcess : startEmulator)(emulatorOptions(setup.server));
  const proxy = setup.delay && (await startDelayProxy({ targetPort: emulator.port, ...setup.delay }));
  const client = contender.create({
    baseURL: proxy?.url ?? emulator.url,
    clientId: CLIENT_ID,
    instances: workload.instances,
    limits: workload.limitsKnown ? setup.known : undefined,
  });
  const controller = new AbortController();
  setMaxListeners(0, controller.signal); // one signal for the whole burst: hundreds of listeners are expected
  const outcomeOf = new Array<ClientOutcome>(workload.requests.length).fill('pending');
  let badBodies = 0;
  const errors: Record<string, number> = {};

  await emulator.reset(); // the server's clock starts with the burst
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
  const stats = await emulator.stats();
  // Snapshot the outcomes before aborting: what is still pending at the cap is lost, not "canceled".
  const clientSide: ClientSide = { elapsedMs, timedOut, outcomeOf: [...outcomeOf], badBodies, errors: { ...errors } };

  controller.abort();
  await client.close();
  await proxy?.close();
  await emulator.close();
  return {
    workload: workload.id,
    contender: contender.id,
    metrics: runMetrics(workload.requests, stats, clientSide, ideal),
    timeline: runTimeline(stats, setup.server.windowMs),
  };
}
