import { AxiosError, type AxiosAdapter, type AxiosResponse, type InternalAxiosRequestConfig } from 'axios';

/** Answers 200 at once, without a network: what is left to measure is axios and what wraps it. */
export const okAdapter: AxiosAdapter = async (config) => ({ data: 'ok', status: 200, statusText: 'OK', headers: {}, config });

/**
 * The same with a JSON body, as an API answers: axios parses it (the default transformResponse), where
 * okAdapter's 'ok' makes it throw and catch a SyntaxError per request, a cost that would dilute the others.
 */
export const jsonAdapter: AxiosAdapter = async (config) => ({ data: '{"ok":true}', status: 200, statusText: 'OK', headers: {}, config });

/** The error axios raises for a 429 with `Retry-After: retryAfterS`. */
export function throttledError(config: InternalAxiosRequestConfig, retryAfterS: number): AxiosError {
  const response: AxiosResponse = {
    data: { message: '429 Too Many Requests' },
    status: 429,
    statusText: 'Too Many Requests',
    headers: { 'retry-after': String(retryAfterS) },
    config,
  };
  return new AxiosError('Request failed with status code 429', AxiosError.ERR_BAD_REQUEST, config, null, response);
}

/** Heap in use after a full collection (needs node --expose-gc). */
export function heapAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc (bench/child.ts is spawned that way)');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** CPU time (user + system) in µs since `since` (a process.cpuUsage() value). */
export function cpuMicros(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return used.user + used.system;
}

export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
