import type { AxiosInstance } from 'axios';
import rateLimit from 'axios-rate-limit';
import type { Contender, ContenderSetup } from '../types';
import { createInstances, requestConfig } from './instances';

/**
 * The app's instances behind one shared axios-rate-limit limiter (its "shared rate limiter" use case) of
 * the app's rate. It has no concurrency limit, no per-token limit and no default: with the limits unknown
 * there is nothing to configure and the instances are plain axios.
 */
export function rateLimitedInstances(setup: ContenderSetup): AxiosInstance[] {
  const apis = createInstances(setup);
  if (!setup.limits) return apis;
  const limiter = rateLimit.getLimiter({ maxRequests: setup.limits.app.requests, perMilliseconds: setup.limits.app.perMs });
  return apis.map((api) => rateLimit(api, { rateLimiter: limiter }));
}

export const axiosRateLimitContender: Contender = {
  id: 'axios-rate-limit',
  name: 'axios-rate-limit',
  describe: (known) =>
    known
      ? 'one shared getLimiter({ maxRequests: 50, perMilliseconds: 1000 }) for the app; no retry'
      : 'nothing to configure (needs limits): plain axios',
  create(setup) {
    const apis = rateLimitedInstances(setup);
    return {
      send: (request, signal) => apis[request.instance].request(requestConfig(request, signal)),
      close: () => undefined,
    };
  },
};
