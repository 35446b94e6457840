import type { AxiosError, AxiosResponse } from 'axios';
import Bottleneck from 'bottleneck';
import { MAX_RETRIES } from '../config';
import type { ClientLimit, Contender, KnownLimits } from '../types';
import { createInstances, requestConfig } from './instances';
import { limitText } from './limits';

/** octokit's fallback when a secondary-rate-limit 429 has no Retry-After, in seconds. */
const FALLBACK_RETRY_AFTER_S = 60;
/** octokit's global group: 10 concurrent, no rate. */
const OCTOKIT_GLOBAL_CONCURRENT = 10;

/** A limiter of `requests` per window refilled by Bottleneck's reservoir interval (a fixed window). */
function reservoir(limit: ClientLimit, concurrent = limit.concurrent): Bottleneck.ConstructorOptions {
  return {
    reservoir: limit.requests,
    reservoirRefreshAmount: limit.requests,
    reservoirRefreshInterval: limit.perMs,
    maxConcurrent: concurrent ?? null,
  };
}

/**
 * The app limiter: octokit's global 10 in flight (or the server's concurrency), with the app's quota as a
 * reservoir, or a bucket's rate as `minTime` (octokit paces its write group so; a reservoir of 1 refreshed
 * every 50 ms would move only on Bottleneck's 250 ms heartbeat).
 */
function appOptions(limits: KnownLimits | undefined): Bottleneck.ConstructorOptions {
  if (limits?.bucket) return { minTime: 1000 / limits.bucket.rate, maxConcurrent: OCTOKIT_GLOBAL_CONCURRENT };
  if (limits?.app) return reservoir(limits.app, limits.app.concurrent ?? OCTOKIT_GLOBAL_CONCURRENT);
  return { maxConcurrent: OCTOKIT_GLOBAL_CONCURRENT };
}

function describeLimits(limits: KnownLimits | undefined): string {
  const app = limits?.bucket
    ? `app: minTime ${1000 / limits.bucket.rate} ms, maxConcurrent ${OCTOKIT_GLOBAL_CONCURRENT}`
    : limits?.app
      ? `app: reservoir ${limits.app.requests} refreshed every ${limits.app.perMs} ms, maxConcurrent ${limits.app.concurrent ?? OCTOKIT_GLOBAL_CONCURRENT}`
      : `app: maxConcurrent ${OCTOKIT_GLOBAL_CONCURRENT} (octokit default), no rate`;
  const token = limits?.token ? `; Group per token: reservoir ${limitText(limits.token)}` : '';
  return `${app}${token}; on("failed") → Retry-After`;
}

/**
 * Bottleneck around axios, shaped like @octokit/plugin-throttling: an unlimited retry limiter whose
 * 'failed' handler returns the Retry-After wait for a 429, around a per-token Group and an app limiter
 * (octokit's groups are keyed and shared by every instance, so the app's instances share them here too).
 * Retries are scheduled with { priority: 0, weight: 0 }, as octokit does, so they skip the queue and take
 * no reservoir or concurrency. Limits unknown: octokit's defaults (10 concurrent for the app, no rate).
 * A server without a token limit gets no token Group.
 */
export const bottleneckContender: Contender = {
  id: 'bottleneck',
  name: 'Bottleneck (octokit-style)',
  describe: describeLimits,
  create(setup) {
    const apis = createInstances(setup);
    const retryLimiter = new Bottleneck();
    const app = new Bottleneck(appOptions(setup.limits));
    const tokens = setup.limits?.token ? new Bottleneck.Group(reservoir(setup.limits.token)) : undefined;

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
