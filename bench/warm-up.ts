import { setMaxListeners } from 'node:events';
import { startEmulator } from '../emulator';
import { CLIENT_ID, KNOWN } from './config';
import type { BenchRequest, Contender } from './types';

const WARM_UP_REQUESTS = 40;

/**
 * Sends a few requests through every contender, against a server without limits, before anything is
 * measured: the first contender would otherwise pay for compiling axios's and Node's HTTP code paths.
 */
export async function warmUp(contenders: readonly Contender[]): Promise<void> {
  const emulator = await startEmulator({ vendor: 'clover', appRate: null, tokenRate: null, appConcurrent: null, tokenConcurrent: null });
  const requests = Array.from({ length: WARM_UP_REQUESTS }, (_, index): BenchRequest => ({
    index,
    instance: 0,
    method: index % 2 ? 'post' : 'get',
    path: `/warm-up/${index}`,
    token: `warm-up-${index % 4}`, // 10 per token: under every limit
    body: index % 2 ? { index } : undefined,
  }));
  for (const contender of contenders) {
    for (const limits of [KNOWN, undefined]) {
      const client = contender.create({ baseURL: emulator.url, clientId: `${CLIENT_ID}-warm-up`, instances: 1, limits });
      const controller = new AbortController();
      setMaxListeners(0, controller.signal);
      await Promise.allSettled(requests.map((request) => client.send(request, controller.signal)));
      await client.close();
    }
  }
  await emulator.close();
}
