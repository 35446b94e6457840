import { MemoryStore } from '../src/memory-store';
import { FakeClock } from './helpers/fake-clock';
import { describeStoreContract } from './helpers/store-contract';

describeStoreContract('MemoryStore', async () => {
  const clock = new FakeClock();
  return { store: new MemoryStore({ clock }), advance: (ms) => clock.advance(ms) };
});

describe('MemoryStore', () => {
  it.each([
    ["puts no default margin on a rate the learner settled on as a bucket's: its limits keep a request in hand", undefined, 0],
    ['keeps a margin the key was given on such a rate', 5, 5],
  ])('%s', async (_what, marginMs, expectedMargin) => {
    const clock = new FakeClock();
    const store = new MemoryStore({ clock });
    const key = { id: 'k', level: 'client' as const, limits: {}, marginMs, adaptive: true };
    const report = { backoff: { baseMs: 1000, maxMs: 60_000 }, jitter: { ratio: 0, maxMs: 0 }, random: 0, sentAt: Infinity, delayMs: 1000, kind: 'rate' as const };
    const grant = () => {
      const result = store.acquire([key]);
      if (!result.ok) throw new Error(`refused: ${JSON.stringify(result)}`);
      return result.lease;
    };
    // 6 accepted at once, then refused; the probe run as fast as its pacing lets it for 2.1 s, then refused:
    // far more accepted than the flash again, so the learner settles on a bucket.
    for (let i = 0; i < 6; i++) store.release([key], 'ok', grant());
    let refused = grant();
    store.throttle(key, report);
    store.release([key], 'throttled', refused);
    await clock.advance(1000);
    while (clock.now() < 3100) {
      const result = store.acquire([key]);
      if (result.ok) store.release([key], 'ok', result.lease);
      else await clock.advance(Math.max(1, result.retryInMs ?? 1));
    }
    refused = grant();
    const learned = store.throttle(key, report).learned!;
    store.release([key], 'throttled', refused);
    expect(learned.requests).toBe(4); // bursts of the flash less 2 (bucketLimits)
    await clock.advance(1000);
    for (let i = 0; i < learned.requests!; i++) store.release([key], 'ok', grant());
    const held = store.acquire([key]);
    expect(held).toMatchObject({ ok: false, reason: 'rate' });
    expect(held.ok ? undefined : held.retryInMs).toBeCloseTo(learned.perMs! + expectedMargin, 6);
  });

  it("counts a request granted by the acquire that took another token's named limit as kept to it", async () => {
    const clock = new FakeClock();
    const store = new MemoryStore({ clock });
    const app = { id: 'app', level: 'client' as const, limits: {}, marginMs: 0, adaptive: false };
    const tokenA = { id: 'app|t:a', level: 'token' as const, limits: {}, marginMs: 0, adaptive: false };
    const tokenB = { ...tokenA, id: 'app|t:b' };
    const named = (sentAt: number) => ({
      sentAt,
      delayMs: 1,
      named: { requests: 16 },
      tokensOf: app,
      backoff: { baseMs: 1000, maxMs: 60_000 },
      jitter: { ratio: 0, maxMs: 0 },
      random: 0,
    });
    const a = store.acquire([app, tokenA]);
    if (!a.ok) throw new Error('refused');
    store.throttle(tokenA, named(0));
    store.release([app, tokenA], 'throttled', a.lease);
    await clock.advance(10);
    // Token B takes the 16 named for token A in this acquire, and is granted in it: its grant time is its send time.
    const b = store.acquire([app, tokenB]);
    if (!b.ok) throw new Error('refused');
    expect(b.grantedAt).toBe(clock.now());
    await clock.advance(5);
    // Kept to 16 and throttled all the same: something else shares the quota, so one below.
    expect(store.throttle(tokenB, named(b.grantedAt!)).learned?.requests).toBe(15);
    // A 429 of a request sent before B took the shared limit says nothing of it: the named value as it is.
    const c = store.acquire([app, { ...tokenA, id: 'app|t:c' }]);
    if (!c.ok) throw new Error('refused');
    expect(store.throttle({ ...tokenA, id: 'app|t:c' }, named(c.grantedAt! - 0.001)).learned?.requests).toBe(16);
    store.release([app, tokenB], 'throttled', b.lease);
    store.release([app, { ...tokenA, id: 'app|t:c' }], 'throttled', c.lease);
  });

  it('never shortens a pause, and does not escalate for requests sent before it began', () => {
    const clock = new FakeClock();
    const store = new MemoryStore({ clock });
    const key = { id: 'k', level: 'client' as const, limits: {}, marginMs: 0 };
    const report = { backoff: { baseMs: 1000, maxMs: 60_000 }, jitter: { ratio: 0, maxMs: 0 }, random: 0 };
    expect(store.throttle(key, { ...report, sentAt: 0, delayMs: 5000 }).pausedMs).toBe(5000);
    const stale = store.throttle(key, { ...report, sentAt: -1, delayMs: 1000, named: { concurrent: 3 } });
    expect(stale).toMatchObject({ stale: true, pausedMs: 5000, strikes: 1, learned: undefined });
  });

  it('steps one below a named limit it was already keeping to (the quota is shared)', () => {
    const clock = new FakeClock();
    const store = new MemoryStore({ clock });
    const key = { id: 'k', level: 'token' as const, limits: { requests: 16, perMs: 1000 }, marginMs: 0 };
    const report = { backoff: { baseMs: 1000, maxMs: 60_000 }, jitter: { ratio: 0, maxMs: 0 }, random: 0 };
    expect(store.throttle(key, { ...report, sentAt: 1, named: { requests: 16 } }).learned).toEqual({ requests: 15 });
    expect(store.throttle(key, { ...report, sentAt: 1, named: { requests: 10 } }).learned).toEqual({ requests: 10 });
  });

  it('measures the link by answers the server processed: a 429 answered at once does not make 2 s answers look late', async () => {
    const clock = new FakeClock();
    const store = new MemoryStore({ clock });
    const key = { id: 'k', level: 'client' as const, limits: { requests: 1, perMs: 1000 }, marginMs: 0 };
    const grant = () => {
      const result = store.acquire([key]);
      if (!result.ok) throw new Error(`refused: ${JSON.stringify(result)}`);
      return result.lease;
    };
    // A 2 s endpoint, written at once: the first answer has no floor, the second sets the fastest (2 s).
    let lease = grant();
    await clock.advance(2000);
    store.release([key], 'ok', lease, 0);
    await clock.advance(1000);
    lease = grant();
    await clock.advance(2000);
    store.release([key], 'ok', lease, 0);
    // A 429 answered within 1 ms.
    await clock.advance(1000);
    lease = grant();
    await clock.advance(1);
    store.release([key], 'throttled', lease, 0);
    // The next one, written at once and on schedule, counts as arrived at its write: the one after it may
    // start a window later, not a window after its 2 s answer.
    await clock.advance(1000);
    lease = grant();
    store.written([key], lease, 0);
    await clock.advance(1000);
    expect(store.acquire([key]).ok).toBe(true);
  });
});
