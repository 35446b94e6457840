import axios from 'axios';
import MockAdapter from 'axios-mock-adapter';
import { QueueFullError, DeadlineExceededError } from '../src/errors';
import { MemoryStore } from '../src/memory-store';
import { priorityClass } from '../src/priority';
import { rateGuard } from '../src/rate-guard';
import { FakeClock } from './helpers/fake-clock';
import { mockApi, track } from './helpers/mock-api';

const SLOT = { client: { requests: 1, perMs: 100 } }; // one slot every 100 ms

describe('priorities', () => {
  it('a high request behind 2,000 queued low ones is sent in the next slot', async () => {
    const { api, clock, sent } = mockApi({ limits: SLOT, windowMarginMs: 0, maxQueue: 5000 });
    const low = Array.from({ length: 2000 }, (_, i) => track(api.get(`/low/${i}`, { rateGuard: { priority: 'low' } })));
    await clock.advance(0);
    expect(sent).toHaveLength(1); // the key is saturated
    await clock.advance(250); // 2 more slots go to the batch
    const askedAt = clock.now();
    const high = track(api.get('/click', { rateGuard: { priority: 'high' } }));
    await clock.advance(100);
    const click = sent.find((s) => s.url === '/click');
    expect(click).toBeDefined();
    // The next slot opens at 300 ms: 50 ms after the click, within one slot (100 ms).
    expect(click!.t - askedAt).toBeLessThanOrEqual(100);
    await high.promise;
    expect(high.value?.status).toBe(200);
    await clock.runAll();
    await Promise.all(low.map((c) => c.promise));
    expect(low.every((c) => c.value?.status === 200)).toBe(true);
  });

  it('orders high, then normal, then low within a key; arrival order within a class', async () => {
    const { api, clock, sent } = mockApi({ limits: SLOT, windowMarginMs: 0 });
    void api.get('/first');
    const calls = [
      api.get('/low1', { rateGuard: { priority: 'low' } }),
      api.get('/normal1'),
      api.get('/high1', { rateGuard: { priority: 'high' } }),
      api.get('/low2', { rateGuard: { priority: -1 } }),
      api.get('/high2', { rateGuard: { priority: 1 } }),
      api.get('/normal2', { rateGuard: { priority: 'normal' } }),
    ];
    await clock.runAll();
    await Promise.all(calls);
    expect(sent.map((s) => s.url)).toEqual(['/first', '/high1', '/high2', '/normal1', '/normal2', '/low1', '/low2']);
  });

  it('nothing starves: under a flood of high requests, low ones still get one slot in 17', async () => {
    const { api, clock, sent } = mockApi({ limits: SLOT, windowMarginMs: 0, maxQueue: 5000 });
    const low = Array.from({ length: 10 }, (_, i) => track(api.get(`/low/${i}`, { rateGuard: { priority: 'low' } })));
    // High requests keep coming faster than the key can serve them.
    const highs: Array<ReturnType<typeof track>> = [];
    for (let t = 0; t < 200; t++) {
      highs.push(track(api.get(`/high/${t}a`, { rateGuard: { priority: 'high' } })));
      highs.push(track(api.get(`/high/${t}b`, { rateGuard: { priority: 'high' } })));
      await clock.advance(100);
    }
    const lowSent = sent.filter((s) => s.url.startsWith('/low/')).length;
    // 200 slots: high : low = 16 : 1 while both wait, so about 200 / 17 ≈ 11 low ones (all 10 here).
    expect(lowSent).toBeGreaterThanOrEqual(10);
    const highSent = sent.filter((s) => s.url.startsWith('/high/')).length;
    expect(highSent).toBeGreaterThanOrEqual(185);
    await clock.runAll();
    await Promise.all([...low, ...highs].map((c) => c.promise));
  });

  it('normal requests get 4 slots for each low one while both wait', async () => {
    const { api, clock, sent } = mockApi({ limits: SLOT, windowMarginMs: 0 });
    void api.get('/first');
    const calls = [
      ...Array.from({ length: 50 }, (_, i) => api.get(`/low/${i}`, { rateGuard: { priority: 'low' } })),
      ...Array.from({ length: 50 }, (_, i) => api.get(`/normal/${i}`)),
    ];
    await clock.advance(2000); // 20 slots
    const served = sent.slice(1, 21);
    expect(served.filter((s) => s.url.startsWith('/low/'))).toHaveLength(4);
    await clock.runAll();
    await Promise.all(calls);
  });

  it('a guard can be the batch lane: its default priority, overridden per request', async () => {
    const clock = new FakeClock();
    const store = new MemoryStore({ clock });
    const batch = mockApi({ limits: SLOT, windowMarginMs: 0, priority: 'low' }, { clock, store });
    const interactive = mockApi({ limits: SLOT, windowMarginMs: 0 }, { clock, store });
    const order: string[] = [];
    batch.mock.reset();
    interactive.mock.reset();
    batch.mock.onAny().reply((c) => (order.push(`batch${c.url}`), [200, {}]));
    interactive.mock.onAny().reply((c) => (order.push(`ui${c.url}`), [200, {}]));
    const calls = [
      ...Array.from({ length: 5 }, (_, i) => batch.api.get(`/${i}`)),
      batch.api.get('/urgent', { rateGuard: { priority: 'high' } }),
      interactive.api.get('/click'),
    ];
    await clock.runAll();
    await Promise.all(calls);
    expect(order).toEqual(['batch/0', 'batch/urgent', 'ui/click', 'batch/1', 'batch/2', 'batch/3', 'batch/4']);
  });

  it('replays go ahead of their own class, not of a higher one', async () => {
    const { api, mock, clock, sent } = mockApi({ limits: SLOT, windowMarginMs: 0 });
    mock.reset();
    let throttled = false;
    mock.onAny().reply((config) => {
      sent.push({ t: clock.now(), url: config.url ?? '' });
      if (config.url === '/low-throttled' && !throttled) {
        throttled = true;
        return [429, {}, { 'retry-after-ms': '50' }];
      }
      return [200, {}];
    });
    const first = api.get('/low-throttled', { rateGuard: { priority: 'low' } });
    await clock.advance(0);
    const others = [
      api.get('/low-other', { rateGuard: { priority: 'low' } }),
      api.get('/high', { rateGuard: { priority: 'high' } }),
    ];
    await clock.runAll();
    await Promise.all([first, ...others]);
    expect(sent.map((s) => s.url)).toEqual(['/low-throttled', '/high', '/low-throttled', '/low-other']);
  });

  it('stats show queued requests per priority per key; maxQueue and deadlines still apply per request', async () => {
    const { api, clock, guard } = mockApi({ limits: SLOT, windowMarginMs: 0, maxQueue: 4 });
    const calls = [
      track(api.get('/a')),
      track(api.get('/b', { rateGuard: { priority: 'low' } })),
      track(api.get('/c', { rateGuard: { priority: 'low', deadlineMs: 150 } })),
      track(api.get('/d', { rateGuard: { priority: 'high' } })),
      track(api.get('/e', { rateGuard: { priority: 3 } })),
      track(api.get('/f', { rateGuard: { priority: 'high' } })),
    ];
    await clock.advance(0);
    const key = (await guard.stats()).keys.find((k) => k.key === 'app');
    expect(key?.queued).toBe(4);
    expect(key?.queuedByPriority).toEqual({ '3': 1, high: 1, low: 2 });
    expect(calls[5].error).toBeInstanceOf(QueueFullError);
    await clock.advance(150);
    // /c's deadline: the higher classes took the slots before it.
    expect(calls[2].error).toBeInstanceOf(DeadlineExceededError);
    await clock.runAll();
    await Promise.all(calls.map((c) => c.promise));
    expect((await guard.stats()).keys.find((k) => k.key === 'app')?.queuedByPriority).toEqual({});
  });

  it('validates the option and keeps per-request numbers in range', () => {
    expect(() => rateGuard(axios.create(), { priority: 'urgent' as never })).toThrow(
      "Expected `priority` to be 'high', 'normal', 'low' or a number, got \"urgent\"",
    );
    expect(priorityClass(99)).toBe(5);
    expect(priorityClass(-99)).toBe(-5);
    expect(priorityClass(0.6)).toBe(1);
    expect(priorityClass(Number.NaN)).toBe(0);
  });

  it('a plain request without priority takes no new path: mock adapter sees the same order as before', async () => {
    const api = axios.create();
    const mock = new MockAdapter(api);
    mock.onAny().reply(200, {});
    const clock = new FakeClock();
    rateGuard(api, { store: new MemoryStore({ clock }), limits: { client: { requests: 2, perMs: 1000 } } });
    await expect(api.get('/x')).resolves.toMatchObject({ status: 200 });
  });
});
