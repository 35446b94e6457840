/**
 * The guard in a real browser: headless Chromium loads a page (its own 127.0.0.1 port) that sends bursts
 * through a guarded axios, with the `xhr` and the `fetch` adapter, to the vendor emulator on another port,
 * so every request is cross-origin and preflighted. What reached the server is read from the emulator's
 * own counts. Needs Chromium (`apt-get install -y chromium`, or CHROMIUM_PATH).
 */
import {
  startCpuBurners,
  startEmulator,
  type EmulatorOptions,
  type EmulatorStats,
  type RunningEmulator,
  type TimelineEntry,
} from '../../emulator';
import { lateArrivalsDuringPause } from '../integration/helpers';
import { startBrowser, type BrowserHarness } from './harness';
import type { BurstInput, BurstSummary } from './page';

jest.setTimeout(30_000);

const WINDOW_MS = 1000;
/** The server's limits, and the same limits given to the guard. */
const SERVER: EmulatorOptions = {
  vendor: 'clover',
  windowMs: WINDOW_MS,
  appRate: 5,
  tokenRate: 3,
  appConcurrent: 3,
  tokenConcurrent: 2,
  latencyMs: 30,
};
const LIMITS = {
  client: { requests: 5, perMs: WINDOW_MS, concurrent: 3 },
  token: { requests: 3, perMs: WINDOW_MS, concurrent: 2 },
};
const COUNT = 20;
const TOKENS = 2;
const ADAPTERS = ['xhr', 'fetch'] as const;

let browser: BrowserHarness | undefined;
const emulators: RunningEmulator[] = [];
let runs = 0;

beforeAll(async () => {
  browser = await startBrowser();
}, 30_000);

afterAll(async () => {
  await Promise.all(emulators.splice(0).map((e) => e.close()));
  await browser?.close();
});

/** An emulator that allows the page's origin. */
async function api(options: Partial<EmulatorOptions> = {}): Promise<RunningEmulator> {
  if (!browser) throw new Error('the browser did not start (see beforeAll)');
  const emulator = await startEmulator({ ...SERVER, cors: browser.origin, ...options });
  emulators.push(emulator);
  return emulator;
}

interface Run {
  label: string;
  summary: BurstSummary;
  stats: EmulatorStats;
  basePath: string;
}

/** One burst from the page, against a freshly reset server, on paths no earlier run used. */
async function burst(emulator: RunningEmulator, input: Partial<BurstInput> & Pick<BurstInput, 'adapter'>, label: string): Promise<Run> {
  const page = browser!.page;
  const basePath = `/v3/run-${++runs}/orders`;
  emulator.reset();
  const full: BurstInput = { apiUrl: emulator.url, count: COUNT, tokens: TOKENS, clientId: `app-${runs}`, limits: LIMITS, basePath, ...input };
  const summary = await page.evaluate((i: BurstInput) => window.runBurst(i), full);
  const stats = emulator.stats();
  const run = { label, summary, stats, basePath };
  console.log(describeRun(run));
  return run;
}

/** Most of `times` inside any interval (t - windowMs, t]. */
function maxInAnyWindow(times: number[], windowMs = WINDOW_MS): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let end = 0, start = 0; end < sorted.length; end++) {
    while (sorted[start] <= sorted[end] - windowMs) start++;
    most = Math.max(most, end - start + 1);
  }
  return most;
}

/** Most arrivals of one key, whatever their answer (a 429 is an arrival too), inside any window. */
function maxArrivalsInWindow(timeline: TimelineEntry[], key: (e: TimelineEntry) => string): number {
  const byKey = new Map<string, number[]>();
  for (const e of timeline) byKey.set(key(e), [...(byKey.get(key(e)) ?? []), e.t]);
  return Math.max(0, ...[...byKey.values()].map((times) => maxInAnyWindow(times)));
}

/**
 * Per attempt, in the order sent: sent (page clock) / way in (server arrival − sent, plus a constant clock
 * offset) / round trip, ms. The guard assumes no request gets in faster than the one with the fastest
 * round trip did.
 */
function transit(summary: BurstSummary, stats: EmulatorStats): string {
  const arrivals = new Map<string, number[]>();
  for (const e of stats.timeline) arrivals.set(e.path, [...(arrivals.get(e.path) ?? []), e.t]);
  const rows = summary.attempts.map((a) => {
    const t = arrivals.get(a.path)?.shift();
    const wayIn = t === undefined ? '?' : (t - a.sentAt).toFixed(0);
    return `${a.sentAt.toFixed(0)}/${wayIn}/${(a.answeredAt - a.sentAt).toFixed(0)}${a.status === 429 ? '!' : ''}`;
  });
  return `attempts (sent/way in/round trip, ! = 429): ${rows.join(' ')}`;
}

function describeRun({ label, summary, stats }: Run): string {
  const parts = [
    `${label}:`,
    `statuses ${JSON.stringify(summary.statuses)}`,
    `in ${Math.round(summary.elapsedMs)} ms;`,
    `server: 429s ${stats.rejected429},`,
    `max arrivals in window app ${maxArrivalsInWindow(stats.timeline, (e) => e.app)} token ${maxArrivalsInWindow(stats.timeline, (e) => e.token)},`,
    `accepted in window app ${stats.maxInWindowPerApp} token ${stats.maxInWindowPerToken},`,
    `in flight app ${stats.maxInFlightPerApp} token ${stats.maxInFlightPerToken}, preflights ${stats.preflights};`,
    `page: attempts ${summary.sentAt.length}, max sent in window ${maxInAnyWindow(summary.sentAt)}`,
  ];
  if (summary.pauses.length > 0) parts.push(`; pauses ${summary.pauses.map((p) => `${p.source} ${p.pauseMs}ms`).join(' ')}`);
  if (stats.rejected429 > 0) {
    const named = Object.entries(stats.rejectedByLimit).filter(([, n]) => n > 0);
    parts.push(`; 429s by limit ${named.map(([k, n]) => `${k} ${n}`).join(' ')}`);
    // Each 429: when it arrived, and the accepted arrivals of its key in the window before it.
    for (const e of stats.timeline.filter((x) => x.status === 429 && !x.duringPause).slice(0, 3)) {
      const sameKey = (x: TimelineEntry) => (e.limit?.startsWith('cross') ? x.app === e.app : x.token === e.token);
      const before = stats.timeline.filter((x) => x.status === 200 && sameKey(x) && x.t > e.t - WINDOW_MS && x.t <= e.t);
      parts.push(`\n  429 ${e.limit} at ${e.t.toFixed(1)} ms after accepted ${before.map((x) => x.t.toFixed(1)).join(', ')}`);
    }
    parts.push(`\n  ${transit(summary, stats)}`);
  }
  return parts.join(' ');
}

/** Every call answered 200 once, and the server never saw the page over any limit. */
function expectInsideLimits({ summary, stats, basePath }: Run): void {
  expect(summary.errors).toEqual([]);
  expect(summary.statuses).toEqual({ 200: COUNT });
  expect(stats.rejected429).toBe(0);
  expect(stats.arrivedDuringPause).toBe(0);
  const paths = Array.from({ length: COUNT }, (_, i) => `${basePath}/${i}`);
  expect(paths.filter((p) => stats.acceptedByPath[p] !== 1)).toEqual([]);
  expect(stats.accepted).toBe(COUNT);
  expect(stats.maxInWindowPerApp).toBeLessThanOrEqual(LIMITS.client.requests);
  expect(stats.maxInWindowPerToken).toBeLessThanOrEqual(LIMITS.token.requests);
  expect(stats.maxInFlightPerApp).toBeLessThanOrEqual(LIMITS.client.concurrent);
  expect(stats.maxInFlightPerToken).toBeLessThanOrEqual(LIMITS.token.concurrent);
  expect(stats.preflights).toBeGreaterThan(0); // cross-origin for real
  expect(summary.guard).toMatchObject({ calls: COUNT, attempts: COUNT, throttled: 0, failures: 0, idle: true });
  expect(browser!.problems).toEqual([]);
}

describe('Chromium, cross-origin, limits known (client 5/s and 3 in flight, token 3/s and 2 in flight)', () => {
  it.each(ADAPTERS)('%s adapter: three bursts of 20, each with no 429 and never over a limit', async (adapter) => {
    const emulator = await api();
    for (let i = 1; i <= 3; i++) expectInsideLimits(await burst(emulator, { adapter }, `${adapter} run ${i}`));
  });

  it('with two CPU-bound processes beside it, xhr and fetch stay inside the limits', async () => {
    const emulator = await api();
    const burners = await startCpuBurners(2);
    try {
      for (const adapter of ADAPTERS) expectInsideLimits(await burst(emulator, { adapter }, `${adapter} + 2 CPU burners`));
    } finally {
      await burners.stop();
    }
  });
});

describe('a server that does not expose Retry-After and X-RateLimit-* to pages', () => {
  it('with known limits, every call still settles with no 429 (fetch)', async () => {
    const emulator = await api({ corsExposeHeaders: false });
    expectInsideLimits(await burst(emulator, { adapter: 'fetch' }, 'fetch, headers hidden'));
  });

  // Limits set above the server's (10/s against 5/s), so that the server says 429.
  const TOO_HIGH = { client: { requests: 10, perMs: WINDOW_MS } };
  const LOOSE_SERVER = { appRate: 5, tokenRate: null, appConcurrent: null, tokenConcurrent: null } as const;

  it.each(ADAPTERS)('%s adapter: reads Retry-After and the named limit when exposed; backs off and learns nothing when not', async (adapter) => {
    const exposed = await api(LOOSE_SERVER);
    const hidden = await api({ ...LOOSE_SERVER, corsExposeHeaders: false });
    const input = { adapter, limits: TOO_HIGH, count: 12 };
    const seen = await burst(exposed, input, `${adapter}, limit too high, headers exposed`);
    const blind = await burst(hidden, input, `${adapter}, limit too high, headers hidden`);

    for (const { summary, stats } of [seen, blind]) {
      expect(summary.errors).toEqual([]);
      expect(summary.statuses).toEqual({ 200: 12 });
      expect(stats.accepted).toBe(12);
      expect(stats.rejected429).toBeGreaterThan(0);
      expect(summary.throttledAttempts).toBe(stats.rejected429);
      expect(lateArrivalsDuringPause(stats.timeline)).toEqual([]);
      expect(summary.guard.idle).toBe(true);
    }

    expect(seen.summary.headersSeenOn429).toEqual(expect.arrayContaining(['retry-after', 'x-ratelimit-crosstokenlimit']));
    expect(seen.summary.pauses.map((p) => p.source)).toContain('retry-after');
    expect(seen.summary.learned).toContainEqual({ level: 'client', kind: 'rate', named: 5 });

    expect(blind.summary.headersSeenOn429.filter((name) => name === 'retry-after' || name.startsWith('x-ratelimit'))).toEqual([]);
    expect(new Set(blind.summary.pauses.map((p) => p.source))).toEqual(new Set(['backoff']));
    expect(blind.summary.pauses[0].pauseMs).toBeGreaterThanOrEqual(1000); // exponential backoff from 1 s
    expect(blind.summary.learned).toEqual([]);
    expect(browser!.problems).toEqual([]);
  });
});
