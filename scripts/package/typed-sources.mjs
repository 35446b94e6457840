// The TypeScript a consumer writes, per way of loading: `require` (import = require) and `import`. The body
// uses the per-request `rateGuard` key (typed by our augmentation of axios), the errors, and the Redis entry;
// `withOtel` adds axios-rate-guard/otel on a Meter of @opentelemetry/api (installed only where that is used).

const body = `
const api = axios.create();
const guard: RateGuard = rateGuard(api, { clientId: 'c', limits: { token: { requests: 16, perMs: 1000, concurrent: 5 } } });
rateGuard(axios, { clientId: 'default-export' });
const config: AxiosRequestConfig = { rateGuard: { skip: true, deadlineMs: 5000 } };
void api.get('/x', { rateGuard: { maxRetries: 2 } }).catch((e: unknown) => {
  if (isRateLimitError(e)) console.log(e.key, e.attempts, e.waitedMs, e.cause);
  if (e instanceof RetriesExhaustedError) console.log(e.maxRetries);
});
// @ts-expect-error: the augmentation is typed, so a wrong option type is an error.
void api.get('/x', { rateGuard: { maxRetries: 'many' } });
void config;
guard.detach();
const redisClient = { call: async () => null } as RedisStoreOptions['client'];
const shared: RedisStore = new RedisStore({ client: redisClient, prefix: 'consumer:' });
void shared.close();
`;

const requireLibrary = `import lib = require('axios-rate-guard');
import redis = require('axios-rate-guard/redis');
const { rateGuard, isRateLimitError, RetriesExhaustedError } = lib;
type RateGuard = lib.RateGuard;
const { RedisStore } = redis;
type RedisStore = redis.RedisStore;
type RedisStoreOptions = redis.RedisStoreOptions;`;

const otelBody = `
const telemetry: RateGuardTelemetry = rateGuardTelemetry({ meter: metrics.getMeter('consumer') });
const observedApi = axios.create();
const observed = rateGuard(observedApi, telemetry.withHooks({ clientId: 'otel', onPause: (e) => console.log(e.pauseMs) }));
const stopObserving: () => void = telemetry.observe(observed);
const removeTiming: () => void = telemetry.instrument(observedApi);
const throttles: 'rate_guard.throttles' = METRICS.throttles;
// @ts-expect-error: a Meter is required, not a name.
rateGuardTelemetry({ meter: 'consumer' });
void [stopObserving, removeTiming, throttles];
`;

const requireOtel = `import otel = require('axios-rate-guard/otel');
import otelApi = require('@opentelemetry/api');
const { rateGuardTelemetry, METRICS } = otel;
type RateGuardTelemetry = otel.RateGuardTelemetry;
const { metrics } = otelApi;`;

const importOtel = `import { rateGuardTelemetry, METRICS, type RateGuardTelemetry } from 'axios-rate-guard/otel';
import { metrics } from '@opentelemetry/api';`;

/** `axiosStyle` 'require' for CommonJS-typed axios (index.d.cts), 'import' for node10's ESM-style index.d.ts. */
export const requireSource = (axiosStyle, withOtel = false) =>
  `${axiosStyle === 'require' ? "import axios = require('axios');" : "import axios from 'axios';"}
import type { AxiosRequestConfig } from 'axios';
${requireLibrary}
${withOtel ? requireOtel : ''}
${body}
${withOtel ? otelBody : ''}`;

export const importSource = (withOtel = false) => `import axios, { type AxiosRequestConfig } from 'axios';
import { rateGuard, isRateLimitError, RetriesExhaustedError, type RateGuard } from 'axios-rate-guard';
import { RedisStore, type RedisStoreOptions } from 'axios-rate-guard/redis';
${withOtel ? importOtel : ''}
${body}
${withOtel ? otelBody : ''}`;

/** A program that loads the guard in one format and types a request config in the other. */
export const mixedSources = (guardIn) => {
  const guardCjs = `import axios = require('axios');
import lib = require('axios-rate-guard');
lib.rateGuard(axios.create(), { clientId: 'mixed' });`;
  const guardEsm = `import axios from 'axios';
import { rateGuard } from 'axios-rate-guard';
rateGuard(axios.create(), { clientId: 'mixed' });`;
  const configCjs = `import axios = require('axios');
const config: axios.AxiosRequestConfig = { rateGuard: { skip: true } };
void axios.get('/x', { ...config, rateGuard: { maxRetries: 1 } });`;
  const configEsm = `import axios, { type AxiosRequestConfig } from 'axios';
const config: AxiosRequestConfig = { rateGuard: { skip: true } };
void axios.get('/x', { ...config, rateGuard: { maxRetries: 1 } });`;
  return guardIn === 'require'
    ? { 'guard.cts': guardCjs, 'config.mts': configEsm }
    : { 'guard.mts': guardEsm, 'config.cts': configCjs };
};
