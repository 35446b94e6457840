import type { AxiosError, AxiosResponse } from 'axios';
import Bottleneck from 'bottleneck';
import { MAX_RETRIES } from '../config';
import type { Contender, KnownLimits } from '../types';
import { createInstances, requestConfig } from './instances';

/** octokit's fallback when a secondary-rate-limit 429 has no Retry-After, in seconds. */
const FALLBACK_RETRY_AFTER_S = 60;
/** octokit's global group: 10 concurrent, no rate. */
const OCTOKIT_GLOBAL_CONCURRENT = 10;

/** A limiter of `requests` per window refilled by Bottleneck's reservoir interval (a fixed window). */
function reservoir(limit: KnownLimits['app']): Bottleneck.ConstructorOptions {
  return {
    reservoir: limit.requests,
    reservoirRefreshAmount: limit.requests,
    reservoirRefreshInterval: limit.perMs,
    maxConcurrent: limit.concurrent,
  };
}

/**
 * Bottleneck around axios, shaped like @octokit/plugin-throttling: an unlimited retry limiter whose
 * 'failed' handler returns the Retry-After wait for a 429, around a per-token Group and an app limiter
 * (octokit's groups are keyed and shared by every instance, so the app's instances share them here too).
 * Retries are scheduled with { priority: 0, weight: 0 }, as octokit does, so they skip the queue and take
 * no reservoir or concurrency. Limits unknown: octokit's defaults (10 concurrent for the app, no rate).
 */
export const bottleneckContender: Contender = {
  id: 'bottleneck',
  name: 'Bottleneck (octokit-style)',
  describe: (known) =>
    known
      ? 'app: reservoir 50 refreshed every 1000 ms, maxConcurrent 10; Group per token: reservoir 16/1000 ms, maxConcurrent 5; on("failed") → Retry-After'
      : 'app: maxConcurrent 10 (octokit default), no rate; on("failed") → Retry-After',
  create(setup) {
    const apis = createInstances(setup);
    const retryLimiter = new Bottleneck();
    const app = new Bottleneck(setup.limits ? reservoir(setup.limits.app) : { maxConcurrent: OCTOKIT_GLOBAL_CONCURRENT });
    const tokens = setup.limits ? new Bottleneck.Group(reservoir(setup.limits.token)) : undefined;

    retryLimiter.on('failed', (error: AxiosError, info) => {
      const response = error.response;
      if (response?.status !== 429 || info.retryCount >= MAX_RETRIES) return undefined;
      const retryAfter = Number(response.headers['retry-after']) || FALLBACK_RETRY_AFTER_S;
      return retryAfter * 1000;
    });

    return {
      send(request, signal) {
        let attempts = 0;
        return retryLimiter.schedule(() => {
          const options: Bottleneck.JobOptions = attempts++ > 0 ? { priority: 0, weight: 0 } : {};
          const call = () =>
            app.schedule(options, () => apis[request.instance].request(requestConfig(request, signal)) as Promise<AxiosResponse>);
          return tokens ? tokens.key(request.token).schedule(options, call) : call();
        });
      },
      close() {
        const limiters = [retryLimiter, app, ...(tokens?.limiters().map((pair) => pair.limiter) ?? [])];
        for (const limiter of limiters) limiter.stop({ dropWaitingJobs: true }).catch(() => undefined);
      },
    };
  },
};
