import { MemoryStore, rateGuard } from '../../src';
import type { Contender } from '../types';
import { createInstances, requestConfig } from './instances';

/**
 * This plugin. Limits known: Clover's four limits. Unknown: only the clientId, so it learns them from the
 * 429s. A fresh MemoryStore per run keeps workloads independent; the app's instances share it, as they
 * share the process-wide default store in real use.
 */
export const axiosRateGuard: Contender = {
  id: 'rate-guard',
  name: 'axios-rate-guard',
  describe: (known) =>
    known
      ? 'rateGuard(api, { clientId, limits: { client: 50/s + 10 in flight, token: 16/s + 5 in flight } })'
      : 'rateGuard(api, { clientId }): limits learned from the 429s',
  create(setup) {
    const store = new MemoryStore();
    const apis = createInstances(setup);
    const limits = setup.limits && { client: setup.limits.app, token: setup.limits.token };
    const guards = apis.map((api) => rateGuard(api, { clientId: setup.clientId, store, limits }));
    return {
      send: (request, signal) => apis[request.instance].request(requestConfig(request, signal)),
      close() {
        for (const guard of guards) guard.detach();
        store.clear();
      },
    };
  },
};
