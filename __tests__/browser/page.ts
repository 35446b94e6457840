/**
 * The page the browser suite loads (bundled by esbuild for the browser, never run by Jest): an axios
 * instance guarded by the library's own source, sending a burst to a cross-origin API with axios's `xhr`
 * or `fetch` adapter, and a summary of what the page saw. What reached the server is the emulator's to say.
 */
import axios, { type AxiosAdapter, type AxiosResponse, type InternalAxiosRequestConfig } from 'axios';
import { MemoryStore, rateGuard, type RateGuardOptions } from '../../src';

export interface BurstInput {
  /** The API's origin, e.g. http://127.0.0.1:41234 (another port than the page). */
  apiUrl: string;
  adapter: 'xhr' | 'fetch';
  /** GETs to send at once, to `{basePath}/0` … `{basePath}/{count-1}`. */
  count: number;
  /** e.g. `/v3/run-1/orders`: a new path per run, so that no preflight is answered from the browser's cache. */
  basePath: string;
  /** Request i carries `Authorization: Bearer token-{i % tokens}`. */
  tokens: number;
  clientId: string;
  /** Omitted: the guard knows no limit and finds them (adaptive). */
  limits?: RateGuardOptions['limits'];
  /** Omitted: the library's default margin. */
  windowMarginMs?: number;
}

export interface BurstSummary {
  adapter: string;
  /** Final outcome per call: HTTP status, or `error`. */
  statuses: Record<string, number>;
  /** One line per call that failed: error name, code, message. */
  errors: string[];
  elapsedMs: number;
  /** When each attempt was handed to axios's adapter by the guard, ms since the burst began, in order. */
  sentAt: number[];
  /** Each attempt: its path, when the guard handed it to the adapter and when the adapter answered (ms since the burst began). */
  attempts: Array<{ path: string; sentAt: number; answeredAt: number; status: number | 'error' }>;
  /** Attempts answered 429, and the response header names the page could read on them. */
  throttledAttempts: number;
  headersSeenOn429: string[];
  /** Guard events: pauses (source and length), learned limits, replays. */
  pauses: Array<{ level: string; source: string; pauseMs: number; strikes: number }>;
  learned: Array<{ level: string; kind: string; named?: number }>;
  retries: number;
  /** Guard counters and whether every key ended with nothing queued or in flight. */
  guard: { calls: number; attempts: number; throttled: number; replays: number; failures: number; idle: boolean };
}

declare global {
  interface Window {
    runBurst(input: BurstInput): Promise<BurstSummary>;
  }
}

function describeError(error: unknown): string {
  const e = error as { name?: string; code?: string; message?: string };
  return [e?.name ?? 'Error', e?.code, e?.message].filter(Boolean).join(': ');
}

window.runBurst = async (input: BurstInput): Promise<BurstSummary> => {
  const started = performance.now();
  const sentAt: number[] = [];
  const attempts: BurstSummary['attempts'] = [];
  const headersSeen = new Set<string>();
  let throttledAttempts = 0;

  // The named axios adapter, behind a function that notes when the guard handed it each attempt.
  const inner = axios.getAdapter(input.adapter, {} as InternalAxiosRequestConfig) as AxiosAdapter;
  const onAnswer = (response: AxiosResponse | undefined): void => {
    if (response?.status !== 429) return;
    throttledAttempts++;
    for (const name of Object.keys(response.headers ?? {})) headersSeen.add(name.toLowerCase());
  };
  const adapter: AxiosAdapter = (config) => {
    const attempt = { path: config.url ?? '', sentAt: performance.now() - started, answeredAt: NaN, status: 'error' as number | 'error' };
    sentAt.push(attempt.sentAt);
    attempts.push(attempt);
    const answered = (response: AxiosResponse | undefined): void => {
      attempt.answeredAt = performance.now() - started;
      if (response) attempt.status = response.status;
      onAnswer(response);
    };
    return inner(config).then(
      (response) => {
        answered(response);
        return response;
      },
      (error: { response?: AxiosResponse }) => {
        answered(error?.response);
        throw error;
      },
    );
  };

  const api = axios.create({ baseURL: input.apiUrl, adapter, headers: { 'x-client-id': input.clientId } });
  const summary: Pick<BurstSummary, 'pauses' | 'learned' | 'retries'> = { pauses: [], learned: [], retries: 0 };
  const store = new MemoryStore();
  const guard = rateGuard(api, {
    store,
    clientId: input.clientId,
    limits: input.limits,
    windowMarginMs: input.windowMarginMs,
    onPause: (e) => summary.pauses.push({ level: e.level, source: e.source, pauseMs: Math.round(e.pauseMs), strikes: e.strikes }),
    onLimitLearned: (e) => summary.learned.push({ level: e.level, kind: e.kind, named: e.named }),
    onRetry: () => summary.retries++,
  });

  try {
    const results = await Promise.allSettled(
      Array.from({ length: input.count }, (_, i) =>
        api.get(`${input.basePath}/${i}`, { headers: { Authorization: `Bearer token-${i % input.tokens}` } }),
      ),
    );
    const elapsedMs = performance.now() - started;
    const statuses: Record<string, number> = {};
    const errors: string[] = [];
    for (const result of results) {
      const key = result.status === 'fulfilled' ? String(result.value.status) : 'error';
      statuses[key] = (statuses[key] ?? 0) + 1;
      if (result.status === 'rejected') errors.push(describeError(result.reason));
    }
    const stats = await guard.stats();
    return {
      adapter: input.adapter,
      statuses,
      errors,
      elapsedMs,
      sentAt,
      attempts,
      throttledAttempts,
      headersSeenOn429: [...headersSeen].sort(),
      ...summary,
      guard: {
        calls: stats.calls,
        attempts: stats.attempts,
        throttled: stats.throttled,
        replays: stats.replays,
        failures: stats.failures,
        idle: stats.keys.every((k) => k.inFlight === 0 && k.queued === 0),
      },
    };
  } finally {
    guard.detach();
    store.clear();
  }
};
