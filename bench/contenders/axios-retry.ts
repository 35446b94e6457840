import type { AxiosError } from 'axios';
import axiosRetry, { exponentialDelay, isNetworkOrIdempotentRequestError, type IAxiosRetryConfig } from 'axios-retry';
import { MAX_RETRIES } from '../config';
import type { Contender } from '../types';
import { createInstances, requestConfig } from './instances';

/**
 * axios-retry set up for 429s: its default condition plus 429 for every method (POST included), and its
 * exponentialDelay, which waits max(2^n × 100 ms, Retry-After) plus up to 20 % jitter. Each request
 * retries on its own: nothing tells the others that the app is paused.
 */
export const retryOn429: IAxiosRetryConfig = {
  retries: MAX_RETRIES,
  retryCondition: (error: AxiosError) => isNetworkOrIdempotentRequestError(error) || error.response?.status === 429,
  retryDelay: exponentialDelay,
};

export const axiosRetryContender: Contender = {
  id: 'axios-retry',
  name: 'axios-retry',
  describe: () => `axiosRetry(api, { retries: ${MAX_RETRIES}, retryCondition: default || 429, retryDelay: exponentialDelay })`,
  create(setup) {
    const apis = createInstances(setup);
    for (const api of apis) axiosRetry(api, retryOn429);
    return {
      send: (request, signal) => apis[request.instance].request(requestConfig(request, signal)),
      close: () => undefined,
    };
  },
};
