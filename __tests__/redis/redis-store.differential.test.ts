/**
 * RedisStore mirrors MemoryStore: the same random runs of acquire / release / throttle / observe / time
 * steps go to both, on one fake clock (the scripts are given its time instead of the server's), and every
 * answer and every snapshot must match.
 *
 * Releases go oldest first, so that window stamps stay in start order: there the memory store's ring of the
 * last N starts and the Redis store's true sliding log decide the same. (Out of order, the sliding log may
 * admit sooner than the ring, never more than N in a window; see redis-store.test.ts.)
 */
import { MemoryStore } from '../../src/memory-store';
import { RedisStore } from '../../src/redis-store';
import type { AcquireResult, KeySnapshot, KeySpec, Lease, RateLimitStore, ReleaseOutcome, ThrottleReport } from '../../src/store';
import { FakeClock } from '../helpers/fake-clock';
import { rng } from '../helpers/rng';
import { connect, type TestClient } from './helpers/clients';
import { RedisServer } from './helpers/redis-server';

const POLL_MS = 7;

let server: RedisServer;
let redis: TestClient;
beforeAll(async () => {
  server = await RedisServer.start();
  redis = await connect('ioredis', server.port);
});
afterAll(async () => {
  await redis.close();
  await server.stop();
});

interface Scenario {
  name: string;
  client: Omit<KeySpec, 'id'>;
  token: Omit<KeySpec, 'id'>;
  /** Throttles never name a limit, nor say it is about concurrency: the rate learner's runs. */
  unnamedOnly?: boolean;
  /** Other guards' specs of the same app key, picked at random beside `client` (the strictest must win). */
  otherClients?: Array<Omit<KeySpec, 'id'>>;
  /** Endpoint buckets (routes): a third key after [app, token], or a second after [app] alone. */
  bucket?: Omit<KeySpec, 'id'>;
}

const SCENARIOS: Scenario[] = [
  {
    name: 'configured rate and concurrency on both levels',
    client: { level: 'client', limits: { requests: 4, perMs: 1000, concurrent: 3 }, marginMs: 10 },
    token: { level: 'token', limits: { requests: 2, perMs: 500, concurrent: 2 }, marginMs: 5 },
  },
  {
    name: 'nothing configured: AIMD and learned limits',
    client: { level: 'client', limits: {}, marginMs: 0, adaptive: true },
    token: { level: 'token', limits: {}, marginMs: 0, adaptive: true },
  },
  {
    name: 'nothing configured, nothing named: the rate learner',
    client: { level: 'client', limits: {}, marginMs: 0, adaptive: true },
    token: { level: 'token', limits: {}, marginMs: 0, adaptive: true },
    unnamedOnly: true,
  },
  {
    // Default margins: none on the rate the learner settled on as a bucket's, defaultMargin's on the others.
    name: 'nothing configured, nothing named, default margins: the rate learner',
    client: { level: 'client', limits: {}, adaptive: true },
    token: { level: 'token', limits: {}, adaptive: true },
    unnamedOnly: true,
  },
  {
    name: 'a rate on the app only',
    client: { level: 'client', limits: { requests: 6, perMs: 800 }, marginMs: 8 },
    token: { level: 'token', limits: {}, marginMs: 0 },
  },
  {
    name: 'guards that configure one app key differently, some of them left unused',
    client: { level: 'client', limits: { requests: 4, perMs: 1000, concurrent: 3 }, marginMs: 10 },
    token: { level: 'token', limits: { requests: 3, perMs: 500 }, marginMs: 5 },
    otherClients: [
      { level: 'client', limits: { requests: 9, perMs: 300 }, marginMs: 10 },
      { level: 'client', limits: { requests: 30, perMs: 5000, concurrent: 5 }, marginMs: 10 },
      { level: 'client', limits: { concurrent: 2 }, marginMs: 10 },
    ],
  },
  {
    name: 'endpoint buckets after the app and token keys (token limits named and shared, buckets paused apart)',
    client: { level: 'client', limits: { requests: 6, perMs: 1000, concurrent: 4 }, marginMs: 10 },
    token: { level: 'token', limits: {}, marginMs: 0, adaptive: true },
    bucket: { level: 'bucket', limits: { requests: 2, perMs: 500, concurrent: 2 }, marginMs: 5, adaptive: false },
  },
];

/** Short, so that a configuration left unused stops binding within a run. */
const IDLE_TTL_MS = 6000;

const normalize = (snapshots: KeySnapshot[]) => [...snapshots].sort((a, b) => (a.key < b.key ? -1 : 1));

function expectClose(actual: number | undefined, expected: number | undefined, what: string): void {
  if (expected === undefined || actual === undefined) {
    expect({ what, value: actual }).toEqual({ what, value: expected });
    return;
  }
  if (Math.abs(actual - expected) > 1e-6) expect({ what, value: actual }).toEqual({ what, value: expected });
}

function expectSameLearned(actual: object | undefined, expected: object | undefined, what: string): void {
  const round = (o: object | undefined) =>
    o && Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined).map(([k, v]) => [k, Math.round((v as number) * 1e9) / 1e9]));
  expect({ what, learned: round(actual) }).toEqual({ what, learned: round(expected) });
}

async function runScenario(scenario: Scenario, seed: number, steps: number): Promise<void> {
  const random = rng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const clock = new FakeClock();
  const memory = new MemoryStore({ clock, idleTtlMs: IDLE_TTL_MS, sweepIntervalMs: 1e9 });
  const prefix = `diff-${seed}-${Math.random().toString(36).slice(2, 8)}:`;
  const shared = new RedisStore({
    client: redis.client,
    prefix,
    clock,
    serverTimeMs: () => clock.now(),
    leaseTtlMs: 1e9,
    pollIntervalMs: POLL_MS,
    callTimeoutMs: 60_000,
    idleTtlMs: IDLE_TTL_MS,
  });
  const app = `app${seed}`;
  const client: KeySpec = { id: app, ...scenario.client };
  const clients: KeySpec[] = [client, ...(scenario.otherClients ?? []).map((other) => ({ id: app, ...other }))];
  // Most requests come from the first guard; the others come and go.
  const someClient = () => (random() < 0.6 ? client : pick(clients));
  const tokens: KeySpec[] = [1, 2].map((i) => ({ id: `${app}|t:${i}`, ...scenario.token }));
  // A bucket of the app, and a learned one per token (as request-keys.ts names them).
  const buckets: KeySpec[] = scenario.bucket
    ? [{ id: `${app}|b:search`, ...scenario.bucket }, ...tokens.map((t) => ({ id: `${t.id}|b:~abc`, ...scenario.bucket!, limits: {} }))]
    : [];
  const keysOfRequest = (): KeySpec[] => {
    const base = random() < 0.2 ? [someClient()] : [someClient(), pick(tokens)];
    if (buckets.length === 0 || random() < 0.4) return base;
    const bucket = base.length === 1 ? buckets[0] : random() < 0.5 ? buckets[0] : buckets[1 + tokens.indexOf(base[1])];
    return [...base, bucket];
  };
  const inFlight: Array<{ keys: KeySpec[]; memory: Lease; redis: Lease; grantedAt: number }> = [];
  const log: string[] = [];

  const both = async <T>(fn: (store: RateLimitStore) => T | Promise<T>): Promise<[T, T]> => [await fn(memory), await fn(shared)];

  try {
    for (let step = 0; step < steps; step++) {
      const roll = random();
      if (roll < 0.4) {
        const keys = keysOfRequest();
        const [m, r] = await both((s) => s.acquire(keys));
        log.push(`${clock.now()} acquire ${keys.map((k) => k.id).join('+')} -> ${JSON.stringify(m)}${r.ok === m.ok ? '' : ` but Redis ${JSON.stringify(r)}`}`);
        expect(r.ok).toBe(m.ok);
        if (m.ok && r.ok && inFlight.length === 0 && random() < 0.3) {
          // A grant that came after its caller gave up, given back at once without being sent (stamped at its
          // start, which keeps stamps in order only while nothing older is still out).
          log.push(`${clock.now()} release unused`);
          await memory.release(keys, 'unused', m.lease);
          await shared.release(keys, 'unused', r.lease);
        } else if (m.ok && r.ok) inFlight.push({ keys, memory: m.lease, redis: r.lease, grantedAt: clock.now() });
        if (!m.ok && !r.ok) {
          const refused = (x: AcquireResult) => (x.ok ? undefined : { key: x.key, reason: x.reason });
          expect(refused(r)).toEqual(refused(m));
          // The memory store waits for a local release; a shared store must poll instead.
          expectClose(r.retryInMs, m.retryInMs ?? POLL_MS, 'retryInMs');
        }
      } else if (roll < 0.65) {
        const held = inFlight.shift();
        if (!held) continue;
        const outcome = pick<ReleaseOutcome>(['ok', 'ok', 'failed', 'throttled']);
        // Half the answers come with the time the request was written (Node's http adapter).
        const writtenAfterMs = random() < 0.5 ? undefined : Math.round(random() * (clock.now() - held.grantedAt));
        log.push(`${clock.now()} release ${outcome} written after ${writtenAfterMs}`);
        await memory.release(held.keys, outcome, held.memory, writtenAfterMs);
        await shared.release(held.keys, outcome, held.redis, writtenAfterMs);
      } else if (roll < 0.65 + (scenario.unnamedOnly ? 0.03 : 0.1)) {
        const key = pick([someClient(), ...tokens, ...buckets]);
        const report: ThrottleReport = {
          // The learner's runs: mostly throttles of requests sent just now, which teach it (not stale).
          sentAt:
            scenario.unnamedOnly && random() < 0.8
              ? clock.now()
              : inFlight.length > 0 && random() < 0.7
                ? pick(inFlight).grantedAt
                : clock.now() - random() * 2000,
          delayMs: random() < 0.5 ? undefined : Math.round(200 + random() * 1500),
          named:
            scenario.unnamedOnly || random() < 0.6
              ? undefined
              : random() < 0.5
                ? { requests: 1 + Math.floor(random() * 6) }
                : { concurrent: 1 + Math.floor(random() * 4) },
          kind: pick(scenario.unnamedOnly ? ([undefined, 'rate'] as const) : ([undefined, 'rate', 'concurrency'] as const)),
          // The guard names the app key when a token's limit is named (shared by every token of the app).
          tokensOf: key.level === 'token' ? client : undefined,
          backoff: { baseMs: 300, maxMs: 5000 },
          jitter: { ratio: 0.2, maxMs: 1000 },
          random: random(),
        };
        const [m, r] = await both((s) => s.throttle(key, report));
        log.push(`${clock.now()} throttle ${key.id} ${JSON.stringify(report)} -> ${JSON.stringify(m)}`);
        expect({ strikes: r.strikes, stale: r.stale, source: r.source }).toEqual({ strikes: m.strikes, stale: m.stale, source: m.source });
        expectClose(r.pausedMs, m.pausedMs, 'pausedMs');
        expectSameLearned(r.learned, m.learned, 'throttle learned');
      } else if (roll < 0.82 && !scenario.unnamedOnly) {
        const key = pick([someClient(), ...tokens, ...buckets]);
        const observation = {
          sentAt: clock.now(),
          policy: random() < 0.3 ? { requests: 2 + Math.floor(random() * 8), perMs: pick([500, 1000, 2000]) } : undefined,
          limit: random() < 0.5 ? 10 : undefined,
          // 9 of a limit of 10: the first request of the server's window (its reset bounds the next holds).
          remaining: random() < 0.7 ? (random() < 0.3 ? 9 : Math.floor(random() * 6)) : undefined,
          resetMs: Math.round(100 + random() * 900),
          // A bucket the answer just put its route in: the observed request holds no slot on it.
          counted: key.level === 'bucket' && random() < 0.5 ? false : undefined,
          // A spent quota of another kind (tokens): its reset holds, not the request window's end.
          otherQuota: random() < 0.2 ? true : undefined,
        };
        const [m, r] = await both((s) => s.observe(key, observation));
        log.push(`${clock.now()} observe ${key.id} ${JSON.stringify(observation)} -> ${JSON.stringify(m)}`);
        expectSameLearned(r.learned, m.learned, 'observe learned');
        expectClose(r.heldMs, m.heldMs, 'heldMs');
        expectClose(r.spacingMs, m.spacingMs, 'spacingMs');
      } else {
        const ms = scenario.unnamedOnly ? Math.round(random() * (random() < 0.1 ? 1500 : 60)) : random() < 0.15 ? Math.round(random() * 2500) : Math.round(random() * 300);
        await clock.advance(ms);
        log.push(`advance ${ms}`);
      }

      const [m, r] = await both((s) => s.snapshot(app));
      const mine = normalize(r);
      const theirs = normalize(m);
      expect(mine.map((s) => s.key)).toEqual(theirs.map((s) => s.key));
      mine.forEach((snap, i) => {
        const expected = theirs[i];
        const { usedInWindow, pausedForMs, learned, ...rest } = snap;
        const { usedInWindow: expectedUsed, pausedForMs: expectedPause, learned: expectedLearned, ...expectedRest } = expected;
        expect(rest).toEqual(expectedRest);
        expectClose(pausedForMs, expectedPause, `pausedForMs ${snap.key}`);
        expectSameLearned(learned, expectedLearned, `snapshot learned ${snap.key}`);
        // The ring of the memory store forgets starts beyond a limit that shrank; the sliding log counts them.
        expect(usedInWindow).toBeGreaterThanOrEqual(expectedUsed);
        if (usedInWindow !== expectedUsed) expect(snap.learned).not.toEqual({});
      });
    }
  } catch (error) {
    // The last steps of the run and what Redis holds, to reproduce a mismatch by hand.
    const dump: string[] = [];
    for (const key of (await redis.command(['KEYS', `${prefix}*`])) as string[]) {
      const type = await redis.command(['TYPE', key]);
      dump.push(`${key} ${JSON.stringify(type === 'hash' ? await redis.command(['HGETALL', key]) : await redis.command(['ZRANGE', key, '0', '-1', 'WITHSCORES']))}`);
    }
    console.log(`seed ${seed}, ${scenario.name}:\n${log.slice(-Number(process.env.DIFF_LOG_STEPS ?? 30)).join('\n')}\nin Redis:\n${dump.join('\n')}`);
    throw error;
  } finally {
    shared.close();
    memory.clear();
  }
}

describe('RedisStore answers as MemoryStore does', () => {
  for (const scenario of SCENARIOS) {
    it(`on random runs: ${scenario.name}`, async () => {
      for (let seed = 1; seed <= Number(process.env.DIFF_SEEDS ?? 4); seed++) await runScenario(scenario, seed * 7919 + scenario.name.length, 250);
    });
  }
});
