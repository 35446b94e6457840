import type { AxiosInstance } from 'axios';
import rateLimit from 'axios-rate-limit';
import type { ClientLimit, Contender, ContenderSetup, KnownLimits } from '../types';
import { createInstances, requestConfig } from './instances';
import { bucketAsWindow } from './limits';

/** What axios-rate-limit can be told: the app's rate (a bucket as its rate). No concurrency, no per-token limit. */
export function appRate(limits: KnownLimits | undefined): ClientLimit | undefined {
  return limits?.bucket ? bucketAsWindow(limits.bucket) : limits?.app;
}

/**
 * The app's instances behind one shared axios-rate-limit limiter (its "shared rate limiter" use case) of
 * the app's rate. It has no concurrency limit, no per-token limit and no default: with the limits unknown
 * there is nothing to configure and the instances are plain axios.
 */
export function rateLimitedInstances(setup: ContenderSetup): AxiosInstance[] {
  const apis = createInstances(setup);
  const rate = appRate(setup.limits);
  if (!rate) return apis;
  const limiter = rateLimit.getLimiter({ maxRequests: rate.requests, perMilliseconds: rate.perMs });
  return apis.map((api) => rateLimit(api, { rateLimiter: limiter }));
}

/** "getLimiter({ maxRequests: 50, perMilliseconds: 1000 })", or undefined when there is nothing to tell it. */
export function limiterText(limits: KnownLimits | undefined): string | undefined {
  const rate = appRate(limits);
  return rate && `one shared getLimiter({ maxRequests: ${rate.requests}, perMilliseconds: ${rate.perMs} }) for the app`;
}

export const axiosRateLimitContender: Contender = {
  id: 'axios-rate-limit',
  name: 'axios-rate-limit',
  describe: (known) => {
    const limiter = limiterText(known);
    return limiter ? `${limiter}; no retry` : 'nothing to configure (needs limits): plain axios';
  },
  create(setup) {
    const apis = rateLimitedInstances(setup);
    return {
      send: (request, signal) => apis[request.instance].request(requestConfig(request, signal)),
      close: () => undefined,
    };
  },
};
