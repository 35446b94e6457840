/**
 * Model-based: random runs of requests (on three tokens, of random priorities, some with a deadline, some cancelled), answers
 * (200 after a random latency, 429 with or without Retry-After, network errors) and clock steps drive a
 * guard, its scheduler and a MemoryStore on fake time. The reference model is what a server would count,
 * kept from the adapter's own log: after every run,
 * - every call settled, with a response or a typed error;
 * - no request was sent after its cancel, nor during a pause the server announced to its key;
 * - no window of W ever held more than N starts of a key, nor were more than M of a key in flight;
 * - no timer was ever armed beyond 2³¹−1 ms, and nothing is left: no slot held, no waiter, no live timer.
 */
import axios, { AxiosError, type AxiosAdapter, type InternalAxiosRequestConfig } from 'axios';
import { MAX_TIMER_MS } from '../src/clock';
import { isRateLimitError } from '../src/errors';
import { MemoryStore } from '../src/memory-store';
import { rateGuard } from '../src/rate-guard';
import { FakeClock } from './helpers/fake-clock';
import { rng } from './helpers/rng';

const LIMITS = { client: { requests: 6, perMs: 1000, concurrent: 4 }, token: { requests: 3, perMs: 1000, concurrent: 2 } };
const MARGIN_MS = 5;
const TOKENS = ['t0', 't1', 't2'];
/** Priorities of the calls, at random: the invariants hold whatever order the queues pick. */
const PRIORITIES = ['high', 'normal', 'low', 'normal', 3, -2] as const;

interface Sent {
  id: number;
  token: string;
  at: number;
  answeredAt?: number;
}

interface Call {
  id: number;
  token: string;
  abortedAt?: number;
  outcome?: 'response' | 'rate-limit-error' | 'canceled' | 'network-error' | 'other';
  detail?: string;
}

function maxInWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let max = 0;
  for (let hi = 0, lo = 0; hi < sorted.length; hi++) {
    while (sorted[hi] - sorted[lo] >= windowMs) lo++;
    max = Math.max(max, hi - lo + 1);
  }
  return max;
}

function maxInFlight(sends: Sent[], end: number): number {
  const events = sends.flatMap((s) => [
    { t: s.at, d: 1 },
    { t: s.answeredAt ?? end, d: -1 },
  ]);
  events.sort((a, b) => a.t - b.t || a.d - b.d); // an answer frees its slot before a send at the same ms
  let now = 0;
  let max = 0;
  for (const e of events) max = Math.max(max, (now += e.d));
  return max;
}

async function runModel(seed: number, steps: number): Promise<void> {
  const random = rng(seed);
  const clock = new FakeClock(Date.UTC(2026, 0, 1), seed);
  const armed: number[] = [];
  const setTimer = clock.setTimer.bind(clock);
  clock.setTimer = (fn, ms, options) => {
    armed.push(ms);
    return setTimer(fn, ms, options);
  };
  const store = new MemoryStore({ clock });
  const sends: Sent[] = [];
  /** Pauses the server announced: a 429 with Retry-After R answered at t forbids sends in (t, t + R). */
  const pauses: Array<{ from: number; until: number }> = [];

  const adapter: AxiosAdapter = (config: InternalAxiosRequestConfig) =>
    new Promise((resolve, reject) => {
      const id = Number(config.headers['x-call']);
      const token = String(config.headers.Authorization).replace('Bearer ', '');
      const sent: Sent = { id, token, at: clock.now() };
      sends.push(sent);
      const roll = random();
      const latency = Math.floor(random() * 300);
      const signal = config.signal as AbortSignal | undefined;
      const timer = clock.setTimer(() => {
        sent.answeredAt = clock.now();
        const response = (status: number, headers: Record<string, string> = {}) => ({ status, statusText: '', headers, config, data: {} });
        if (roll < 0.08) {
          const retryAfter = 1 + Math.floor(random() * 3);
          pauses.push({ from: clock.now(), until: clock.now() + retryAfter * 1000 });
          reject(new AxiosError('429', 'ERR_BAD_REQUEST', config, undefined, response(429, { 'retry-after': String(retryAfter) })));
        } else if (roll < 0.12) {
          reject(new AxiosError('429', 'ERR_BAD_REQUEST', config, undefined, response(429)));
        } else if (roll < 0.16) {
          reject(new AxiosError('socket hang up', 'ECONNRESET', config));
        } else {
          resolve(response(200));
        }
      }, latency);
      signal?.addEventListener?.('abort', () => {
        // The listener of an attempt answered long ago (a 429 that was replayed) must not move its answer.
        if (sent.answeredAt !== undefined) return;
        clock.clearTimer(timer);
        sent.answeredAt = clock.now();
        reject(new axios.CanceledError(undefined, undefined, config));
      });
    });

  const api = axios.create({ adapter });
  const guard = rateGuard(api, {
    clientId: 'model-app',
    store,
    limits: LIMITS,
    windowMarginMs: MARGIN_MS,
    maxRetries: 3,
    maxQueue: 200,
    jitter: { ratio: 0.1, maxMs: 500 },
  });

  const calls: Call[] = [];
  const controllers = new Map<number, AbortController>();
  const settled: Array<Promise<void>> = [];
  for (let step = 0; step < steps; step++) {
    const roll = random();
    if (roll < 0.5) {
      const id = calls.length;
      const call: Call = { id, token: TOKENS[Math.floor(random() * TOKENS.length)] };
      calls.push(call);
      const controller = new AbortController();
      controllers.set(id, controller);
      const deadlineMs = random() < 0.2 ? Math.floor(random() * 3000) : undefined;
      settled.push(
        api
          .get(`/r/${id}`, {
            headers: { Authorization: `Bearer ${call.token}`, 'x-call': String(id) },
            signal: controller.signal,
            rateGuard: { deadlineMs, priority: PRIORITIES[Math.floor(random() * PRIORITIES.length)] },
          })
          .then(
            () => void (call.outcome = 'response'),
            (error: unknown) => {
              if (axios.isCancel(error)) call.outcome = 'canceled';
              else if (isRateLimitError(error)) call.outcome = 'rate-limit-error';
              else if (axios.isAxiosError(error) && !error.response) call.outcome = 'network-error';
              else if (axios.isAxiosError(error) && error.response?.status === 429) call.outcome = 'response';
              else {
                call.outcome = 'other';
                call.detail = String(error);
              }
            },
          ),
      );
    } else if (roll < 0.6 && calls.length > 0) {
      const call = calls[Math.floor(random() * calls.length)];
      if (call.abortedAt === undefined && call.outcome === undefined) {
        call.abortedAt = clock.now();
        controllers.get(call.id)?.abort();
      }
    } else {
      await clock.advance(Math.floor(random() * (random() < 0.1 ? 3000 : 200)));
    }
  }
  await clock.runAll();
  await Promise.all(settled);

  const context = `seed ${seed}`;
  if (process.env.MODEL_DEBUG) console.log(context, sends.length, pauses.length, JSON.stringify(calls.reduce((m: Record<string, number>, c) => ((m[c.outcome ?? "?"] = (m[c.outcome ?? "?"] ?? 0) + 1), m), {})));
  expect({ context, unsettled: calls.filter((c) => c.outcome === undefined).map((c) => c.id) }).toEqual({ context, unsettled: [] });
  expect({ context, other: calls.filter((c) => c.outcome === 'other').map((c) => c.detail) }).toEqual({ context, other: [] });
  const sentAfterCancel = sends.filter((s) => {
    const abortedAt = calls[s.id].abortedAt;
    return abortedAt !== undefined && s.at > abortedAt;
  });
  expect({ context, sentAfterCancel }).toEqual({ context, sentAfterCancel: [] });
  const duringPause = sends.filter((s) => pauses.some((p) => s.at > p.from && s.at < p.until));
  expect({ context, duringPause }).toEqual({ context, duringPause: [] });

  const end = clock.now();
  const windowMs = LIMITS.client.perMs;
  expect({ context, app: maxInWindow(sends.map((s) => s.at), windowMs) <= LIMITS.client.requests }).toEqual({ context, app: true });
  expect({ context, app: maxInFlight(sends, end) <= LIMITS.client.concurrent }).toEqual({ context, app: true });
  for (const token of TOKENS) {
    const mine = sends.filter((s) => s.token === token);
    expect({ context, token, window: maxInWindow(mine.map((s) => s.at), windowMs) <= LIMITS.token.requests }).toEqual({ context, token, window: true });
    expect({ context, token, inFlight: maxInFlight(mine, end) <= LIMITS.token.concurrent }).toEqual({ context, token, inFlight: true });
  }

  expect(Math.max(0, ...armed)).toBeLessThanOrEqual(MAX_TIMER_MS);
  const stats = await guard.stats();
  expect({ context, held: stats.keys.filter((k) => k.inFlight > 0 || k.queued > 0).map((k) => k.key) }).toEqual({ context, held: [] });
  expect(clock.pendingTimers(true)).toBe(0);
  store.clear();
}

describe('scheduler and store against the server-side model', () => {
  it('keeps every invariant on random runs', async () => {
    const seeds = Number(process.env.MODEL_SEEDS ?? 25);
    for (let seed = 1; seed <= seeds; seed++) await runModel(seed, 300);
  });
});
