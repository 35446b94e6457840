import { MemoryStore } from '../src/memory-store';
import { FakeClock } from './helpers/fake-clock';
import { describeStoreContract } from './helpers/store-contract';

describeStoreContract('MemoryStore', async () => {
  const clock = new FakeClock();
  return { store: new MemoryStore({ clock }), advance: (ms) => clock.advance(ms) };
});

describe('MemoryStore', () => {
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
