import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { startEmulator, type EmulatorOptions, type RunningEmulator, type TimelineEntry, type Vendor } from '../../emulator/index.js';

export interface RawResponse {
  status: number;
  /** Lowercased names. */
  headers: http.IncomingHttpHeaders;
  /** Names exactly as the server wrote them. */
  headerNames: string[];
  body: Buffer;
  /** performance.now() when the full response had arrived. */
  receivedAt: number;
  json<T = unknown>(): T;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  agent?: http.Agent | false;
  /** Lets a test abort the request. */
  onRequest?: (req: http.ClientRequest) => void;
}

/** A plain node:http request, so the emulator is tested without any client-side plugin. */
export function send(baseUrl: string, path: string, options: RequestOptions = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${baseUrl}${path}`,
      { method: options.method ?? 'GET', headers: options.headers, agent: options.agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.once('error', reject);
        res.once('end', () => {
          const body = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            headerNames: res.rawHeaders.filter((_, i) => i % 2 === 0),
            body,
            receivedAt: performance.now(),
            json: <T>() => JSON.parse(body.toString('utf8')) as T,
          });
        });
      },
    );
    req.once('error', reject);
    options.onRequest?.(req);
    req.end(options.body);
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/** Sleeps until performance.now() >= t. */
export function sleepUntil(t: number): Promise<void> {
  return sleep(t - performance.now());
}

export function bearer(token: string, app?: string): Record<string, string> {
  return app === undefined ? { authorization: `Bearer ${token}` } : { authorization: `Bearer ${token}`, 'x-client-id': app };
}

/** Count of accepted timeline entries of one key inside (t - windowMs, t], by brute force. */
export function bruteForceMaxInWindow(
  timeline: readonly TimelineEntry[],
  keyOf: (e: TimelineEntry) => string,
  windowMs: number,
): Record<string, number> {
  const accepted = timeline.filter((e) => e.status === 200);
  const result: Record<string, number> = {};
  for (const end of accepted) {
    const key = keyOf(end);
    const count = accepted.filter((e) => keyOf(e) === key && e.t > end.t - windowMs && e.t <= end.t).length;
    result[key] = Math.max(result[key] ?? 0, count);
  }
  return result;
}

export interface RateRules {
  windowMs: number;
  appRate?: number;
  tokenRate?: number;
}

/**
 * The rate rules re-derived from the specification, applied to the arrival times the server recorded:
 * what each request's status and limit should have been (no pause penalty, no concurrency limits).
 */
export function expectedByRateRules(
  timeline: readonly TimelineEntry[],
  rules: RateRules,
): Array<{ status: number; limit?: string }> {
  const accepted: TimelineEntry[] = [];
  return timeline.map((e) => {
    const inWindow = (same: (a: TimelineEntry) => boolean): number =>
      accepted.filter((a) => same(a) && a.t > e.t - rules.windowMs).length;
    if (rules.appRate !== undefined && inWindow((a) => a.app === e.app) >= rules.appRate) {
      return { status: 429, limit: 'crossTokenLimit' };
    }
    if (rules.tokenRate !== undefined && inWindow((a) => a.token === e.token) >= rules.tokenRate) {
      return { status: 429, limit: 'tokenLimit' };
    }
    accepted.push(e);
    return { status: 200 };
  });
}

/**
 * Per-file fixture: a keep-alive agent, and a `start` that closes every emulator it started after each test
 * (and the agent after the file), so a failing assertion cannot leave a server open.
 */
export function useEmulators(vendor: Vendor): {
  agent: http.Agent;
  start(options?: Omit<EmulatorOptions, 'vendor'>): Promise<RunningEmulator>;
} {
  const agent = new http.Agent({ keepAlive: true });
  const running: RunningEmulator[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((e) => e.close()));
  });
  afterAll(() => agent.destroy());
  return {
    agent,
    async start(options = {}) {
      const emulator = await startEmulator({ vendor, ...options });
      running.push(emulator);
      return emulator;
    },
  };
}
