import axiosRetry from 'axios-retry';
import { MAX_RETRIES } from '../config';
import type { Contender } from '../types';
import { rateLimitedInstances } from './axios-rate-limit';
import { retryOn429 } from './axios-retry';
import { requestConfig } from './instances';

/** axios-rate-limit then axios-retry on the same instance, as axios-rate-limit's retry use case shows. */
export const rateLimitPlusRetry: Contender = {
  id: 'rate-limit+retry',
  name: 'axios-rate-limit + axios-retry',
  describe: (known) =>
    known
      ? `shared limiter of 50 per 1000 ms, then axios-retry as above (${MAX_RETRIES} retries, 429, exponentialDelay)`
      : 'no limiter (needs limits), axios-retry as above',
  create(setup) {
    const apis = rateLimitedInstances(setup);
    for (const api of apis) axiosRetry(api, retryOn429);
    return {
      send: (request, signal) => apis[request.instance].request(requestConfig(request, signal)),
      close: () => undefined,
    };
  },
};
