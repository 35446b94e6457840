import { MemoryStore, rateGuard, type RateGuardOptions } from '../../src';
import type { Contender, KnownLimits } from '../types';
import { createInstances, requestConfig } from './instances';
import { bucketAsGuardWindow } from './limits';

type GuardLimits = NonNullable<RateGuardOptions['limits']>;

/** The server's limits in the guard's terms: a window per app (a bucket as README's recipe) and per token. */
export function guardLimits(limits: KnownLimits): GuardLimits {
  const client = limits.bucket ? bucketAsGuardWindow(limits.bucket) : limits.app;
  return { ...(client && { client }), ...(limits.token && { token: limits.token }) };
}

const specText = (spec: GuardLimits['client']): string =>
  spec === undefined ? '' : Object.entries(spec).map(([k, v]) => `${k}: ${String(v)}`).join(', ');

/**
 * This plugin. Limits known: the server's, in its terms. Unknown: only the clientId, so it learns them.
 * A fresh MemoryStore per run keeps workloads independent; the app's instances share it, as they share the
 * process-wide default store in real use.
 */
export const axiosRateGuard: Contender = {
  id: 'rate-guard',
  name: 'axios-rate-guard',
  describe(known) {
    if (!known) return 'rateGuard(api, { clientId }): limits learned from the answers and 429s';
    const limits = guardLimits(known);
    const levels = (['client', 'token'] as const).filter((level) => limits[level]).map((level) => `${level}: { ${specText(limits[level])} }`);
    return `rateGuard(api, { clientId, limits: { ${levels.join(', ')} } })`;
  },
  create(setup) {
    const store = new MemoryStore();
    const apis = createInstances(setup);
    const limits = setup.limits && guardLimits(setup.limits);
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
