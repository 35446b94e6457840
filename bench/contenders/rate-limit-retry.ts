import axiosRetry from 'axios-retry';
import { MAX_RETRIES } from '../config';
import type { Contender } from '../types';
import { limiterText, rateLimitedInstances } from './axios-rate-limit';
import { retryOn429 } from './axios-retry';
import { requestConfig } from './instances';

/** axios-rate-limit then axios-retry on the same instance, as axios-rate-limit's retry use case shows. */
export const rateLimitPlusRetry: Contender = {
  id: 'rate-limit+retry',
  name: 'axios-rate-limit + axios-retry',
  describe: (known) => {
    const limiter = limiterText(known);
    const retry = `axios-retry as above (${MAX_RETRIES} retries, 429, exponentialDelay)`;
    return limiter ? `${limiter}, then ${retry}` : `no limiter (needs limits), ${retry}`;
  },
  create(setup) {
    const apis = rateLimitedInstances(setup);
    for (const api of apis) axiosRetry(api, retryOn429);
    return {
      send: (request, signal) => apis[request.instance].request(requestConfig(request, signal)),
      close: () => undefined,
    };
  },
};
