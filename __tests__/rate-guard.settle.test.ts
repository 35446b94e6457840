import axios, { AxiosError, AxiosHeaders, type InternalAxiosRequestConfig } from 'axios';
import MockAdapter from 'axios-mock-adapter';
import { DeadlineExceededError, QueueFullError } from '../src/errors';
import { MemoryStore } from '../src/memory-store';
import { rateGuard } from '../src/rate-guard';
import { schedulerFor } from '../src/scheduler';
import type { RateLimitStore } from '../src/store';
import { FakeClock } from './helpers/fake-clock';
import { mockApi, track } from './helpers/mock-api';

describe('cancel', () => {
  it('settles a queued request at once with axios’s cancel error, never sends it, and frees its place', async () => {
    const { api, clock, sent, guard } = mockApi({ limits: { client: { requests: 1, perMs: 1000 } }, maxQueue: 2 });
    void api.get('/first');
    const controller = new AbortController();
    const cancelled = track(api.get('/cancelled', { signal: controller.signal }));
    const kept = track(api.get('/kept'));
    await clock.advance(10);
    controller.abort();
    await clock.advance(0);
    expect(cancelled.settled).toBe(true);
    expect(axios.isCancel(cancelled.error)).toBe(true);
    expect((await guard.stats()).keys[0].queued).toBe(1);
    // Its place is free: another request fits in the queue of 2.
    const another = track(api.get('/another'));
    await clock.runAll();
    await Promise.all([kept.promise, another.promise]);
    expect(sent.map((s) => s.url)).toEqual(['/first', '/kept', '/another']);
  });

  it('works with the legacy CancelToken while a key is paused', async () => {
    const { api, mock, clock, sent } = mockApi();
    mock.reset();
    mock.onGet('/hit').replyOnce(429, '', { 'Retry-After': '5' });
    mock.onAny().reply((config) => {
      sent.push({ t: clock.now(), url: config.url ?? '' });
      return [200, 'ok'];
    });
    void api.get('/hit');
    await clock.advance(0);
    const source = axios.CancelToken.source();
    const call = track(api.get('/paused', { cancelToken: source.token }));
    await clock.advance(100);
    source.cancel('user gave up');
    await clock.advance(0);
    expect(axios.isCancel(call.error)).toBe(true);
    expect((call.error as Error).message).toBe('user gave up');
    await clock.runAll();
    expect(sent.map((s) => s.url)).toEqual(['/hit']);
  });

  it('cancels a throttled request during its pause instead of replaying it', async () => {
    const { api, mock, clock } = mockApi();
    mock.reset();
    let calls = 0;
    mock.onAny().reply(() => (++calls === 1 ? [429, '', { 'Retry-After': '5' }] : [200, 'ok']));
    const controller = new AbortController();
    const call = track(api.get('/x', { signal: controller.signal }));
    await clock.advance(1000);
    controller.abort();
    await clock.advance(0);
    expect(axios.isCancel(call.error)).toBe(true);
    await clock.runAll();
    expect(calls).toBe(1);
    expect(clock.pendingTimers(true)).toBe(0);
  });
});

describe('every request settles', () => {
  it('rejects with QueueFullError at once when maxQueue requests already wait on the key', async () => {
    const { api, clock } = mockApi({ limits: { client: { requests: 1, perMs: 1000 } }, maxQueue: 2 });
    const calls = Array.from({ length: 5 }, (_, i) => track(api.get(`/q/${i}`)));
    await clock.advance(0);
    const full = calls.filter((c) => c.error instanceof QueueFullError);
    expect(full).toHaveLength(2);
    expect(full[0].error).toMatchObject({ code: 'ERR_RATE_GUARD_QUEUE_FULL', key: 'app', maxQueue: 2, attempts: 0 });
    await clock.runAll();
    await Promise.all(calls.map((c) => c.promise));
    expect(calls.filter((c) => c.value?.status === 200)).toHaveLength(3);
  });

  it('fails with DeadlineExceededError when the deadline passes in the queue, or at once if a pause outlasts it', async () => {
    const { api, mock, clock } = mockApi({ limits: { client: { requests: 1, perMs: 10_000 } }, deadlineMs: 3000 });
    void api.get('/first');
    const queued = track(api.get('/queued'));
    await clock.advance(0);
    // The window frees at 10 s, after the deadline: no point in waiting.
    expect(queued.error).toBeInstanceOf(DeadlineExceededError);

    mock.reset();
    mock.onAny().reply(429, '', { 'Retry-After': '2' });
    const replayed = track(api.get('/late', { rateGuard: { deadlineMs: 60_000 } }));
    await clock.runAll();
    await replayed.promise;
    expect(replayed.error).toMatchObject({ code: 'ERR_RATE_GUARD_DEADLINE' });
    expect((replayed.error as DeadlineExceededError).waitedMs).toBeLessThanOrEqual(60_000);
  });

  it('fails a concurrency wait when its deadline passes (one deadline timer, unref’d)', async () => {
    const clock = new FakeClock();
    const store = new MemoryStore({ clock });
    const api = axios.create();
    const mock = new MockAdapter(api);
    let finish: () => void = () => undefined;
    mock.onGet('/slow').reply(() => new Promise((resolve) => (finish = () => resolve([200, 'ok']))));
    mock.onAny().reply(200);
    rateGuard(api, { clientId: 'd', store, limits: { client: { concurrent: 1 } } });
    const slow = track(api.get('/slow'));
    const waiting = track(api.get('/w', { rateGuard: { deadlineMs: 500 } }));
    await clock.advance(499);
    expect(waiting.settled).toBe(false);
    await clock.advance(1);
    expect(waiting.error).toBeInstanceOf(DeadlineExceededError);
    finish();
    await slow.promise;
    expect(clock.pendingTimers(true)).toBe(0);
  });

  it('leaves no referenced timer once the work is done', async () => {
    const { api, mock, clock } = mockApi({ limits: { client: { requests: 3, perMs: 1000 }, token: { requests: 2, perMs: 500 } } });
    mock.reset();
    let n = 0;
    mock.onAny().reply(() => (++n % 7 === 0 ? [429, '', { 'Retry-After': '1' }] : [200, 'ok']));
    const calls = Array.from({ length: 40 }, (_, i) => track(api.get(`/x/${i}`, { headers: { Authorization: `Bearer ${i % 4}` } })));
    await clock.runAll();
    await Promise.all(calls.map((c) => c.promise));
    expect(calls.every((c) => c.value?.status === 200)).toBe(true);
    expect(clock.pendingTimers(true)).toBe(0);
  });

  it('frees the slot and rejects with the store error when an asynchronous store fails on a 429', async () => {
    const clock = new FakeClock();
    const memory = new MemoryStore({ clock });
    const broken = Object.assign(Object.create(memory) as MemoryStore, {
      throttle: () => Promise.reject(new Error('store unreachable')),
    });
    const api = axios.create();
    const mock = new MockAdapter(api);
    mock.onGet('/x').replyOnce(429, '', { 'Retry-After': '1' });
    mock.onAny().reply(200);
    const guard = rateGuard(api, { clientId: 'broken', store: broken, limits: { client: { concurrent: 1 } } });
    await expect(api.get('/x')).rejects.toThrow('store unreachable');
    expect((await guard.stats()).keys[0].inFlight).toBe(0);
    await expect(api.get('/y')).resolves.toMatchObject({ status: 200 });
  });

  it('swallows exceptions thrown by hooks', async () => {
    const { api, mock, clock } = mockApi({
      onPause: () => {
        throw new Error('bad hook');
      },
    });
    mock.reset();
    mock.onGet('/x').replyOnce(429, '', { 'Retry-After': '1' });
    mock.onAny().reply(200);
    const call = track(api.get('/x'));
    await clock.runAll();
    await call.promise;
    expect(call.value?.status).toBe(200);
  });
});

describe('drop-in', () => {
  it('lets user response interceptors see one outcome per call, not one per attempt', async () => {
    const { api, mock, clock } = mockApi();
    mock.reset();
    let n = 0;
    mock.onAny().reply(() => (++n <= 2 ? [429, '', { 'Retry-After': '1' }] : [200, { fine: true }]));
    const seen: Array<number | string> = [];
    api.interceptors.response.use(
      (response) => {
        seen.push(response.status);
        return response;
      },
      (error: { response?: { status: number } }) => {
        seen.push(`error ${error.response?.status}`);
        return Promise.reject(error);
      },
    );
    const call = track(api.get('/x'));
    await clock.runAll();
    await call.promise;
    expect(seen).toEqual([200]);
    expect(call.value?.data).toEqual({ fine: true });
  });

  it('replays with the same method, URL, params, AxiosHeaders and body', async () => {
    const { api, mock, clock } = mockApi();
    mock.reset();
    const attempts: Array<{ method?: string; url?: string; params: unknown; headers: unknown; data: unknown }> = [];
    mock.onAny().reply((config) => {
      attempts.push({
        method: config.method,
        url: config.url,
        params: config.params,
        headers: config.headers instanceof AxiosHeaders ? config.headers.toJSON() : 'not AxiosHeaders',
        data: config.data,
      });
      return attempts.length === 1 ? [429, '', { 'Retry-After': '1' }] : [200, 'ok'];
    });
    await Promise.all([
      api.patch('/items/7', { name: 'ß€' }, { params: { q: 1 }, headers: { 'X-Trace': 'abc' } }),
      clock.runAll(),
    ]);
    expect(attempts).toHaveLength(2);
    expect(attempts[1]).toEqual(attempts[0]);
    expect(attempts[0].headers).toMatchObject({ 'X-Trace': 'abc' });
  });

  it('sends opted-out requests untouched, even while the key is paused', async () => {
    const { api, mock, clock, sent } = mockApi();
    mock.reset();
    mock.onGet('/hit').replyOnce(429, '', { 'Retry-After': '10' });
    mock.onAny().reply((config) => {
      sent.push({ t: clock.now(), url: config.url ?? '' });
      return [200, 'ok'];
    });
    void api.get('/hit');
    await clock.advance(0);
    await api.get('/health', { rateGuard: { skip: true } });
    expect(sent.map((s) => s.url)).toEqual(['/health']);
  });

  it('gates each request through the adapter it carries, when the adapter changes between requests', async () => {
    const clock = new FakeClock();
    const api = axios.create({ baseURL: 'http://api.test' });
    rateGuard(api, { clientId: 'adapters', store: new MemoryStore({ clock }), limits: { client: { requests: 1, perMs: 1000 } } });
    const calls: string[] = [];
    const answering = (name: string) => async (config: InternalAxiosRequestConfig) => {
      calls.push(name);
      return { data: name, status: 200, statusText: 'OK', headers: {}, config };
    };
    api.defaults.adapter = answering('first');
    expect((await api.get('/a')).data).toBe('first');
    api.defaults.adapter = answering('second');
    const second = api.get('/b');
    await clock.advance(500);
    expect(calls).toEqual(['first']); // the new adapter's request still waits for the client's window
    await clock.advance(1000);
    expect((await second).data).toBe('second');
    expect(calls).toEqual(['first', 'second']);
  });

  it('detach() removes what it attached', async () => {
    const { api, clock, sent, guard } = mockApi({ limits: { client: { requests: 1, perMs: 1000 } } });
    guard.detach();
    await Promise.all([api.get('/a'), api.get('/b'), api.get('/c')]);
    expect(sent).toHaveLength(3);
    expect(clock.pendingTimers(true)).toBe(0);
    // Attaching again is allowed after detach, and a second guard on a guarded instance is refused.
    const again = rateGuard(api, { clientId: 'again' });
    expect(() => rateGuard(api)).toThrow(/already has a guard/);
    again.detach();
  });

  it('works on the default axios export', async () => {
    const clock = new FakeClock();
    const mock = new MockAdapter(axios);
    const times: number[] = [];
    mock.onAny().reply(() => {
      times.push(clock.now());
      return [200, 'ok'];
    });
    const guard = rateGuard(axios, { clientId: 'default-export', store: new MemoryStore({ clock }), limits: { client: { requests: 1, perMs: 100 } }, windowMarginMs: 0 });
    try {
      await Promise.all([axios.get('/a'), axios.get('/b'), clock.runAll()]);
      expect(times).toEqual([0, 100]);
    } finally {
      guard.detach();
      mock.restore();
    }
  });

  it('does not wrap twice when a failed request’s config is sent again (auth-refresh pattern)', async () => {
    // With one slot, a doubly wrapped adapter would wait forever on the slot its outer layer holds.
    // A hand-written adapter: axios-mock-adapter strips config.adapter, which would hide the case.
    const clock = new FakeClock();
    const api = axios.create();
    let n = 0;
    api.defaults.adapter = async (config) => {
      const response = { data: '', status: ++n === 1 ? 401 : 200, statusText: '', headers: {}, config };
      if (response.status === 401) throw new AxiosError('expired', 'ERR_BAD_REQUEST', config, null, response);
      return response;
    };
    const guard = rateGuard(api, { clientId: 'refresh', store: new MemoryStore({ clock }), limits: { client: { concurrent: 1 } } });
    api.interceptors.response.use(undefined, (error: { config: object; response?: { status: number } }) =>
      error.response?.status === 401 ? api.request(error.config) : Promise.reject(error),
    );
    const call = track(api.get('/me'));
    await clock.advance(10);
    expect(call.settled).toBe(true);
    expect(call.value?.status).toBe(200);
    expect(await guard.stats()).toMatchObject({ calls: 2, attempts: 2, replays: 0 });
  });

  it('validates options with messages that say what was expected', () => {
    expect(() => rateGuard(axios.create(), { limits: { client: { requests: 0 } } })).toThrow(
      'Expected `limits.client.requests` to be an integer from 1 and up, got 0',
    );
    expect(() => rateGuard(axios.create(), { maxRetries: -1 })).toThrow('Expected `maxRetries`');
    expect(() => rateGuard(axios.create(), { onLongRetryAfter: 'sometimes' as 'wait' })).toThrow('onLongRetryAfter');
    expect(() => rateGuard({} as never)).toThrow('expected an axios instance');
  });
});

describe('memory', () => {
  it('evicts idle keys so thousands of short-lived tokens do not grow memory', async () => {
    const clock = new FakeClock();
    const store = new MemoryStore({ clock, idleTtlMs: 60_000, sweepIntervalMs: 10_000 });
    const { api } = mockApi({ limits: { token: { requests: 5, perMs: 1000 } } }, { clock, store });
    for (let i = 0; i < 1000; i++) await api.get('/x', { headers: { Authorization: `Bearer short-lived-${i}` } });
    expect(store.size).toBe(1001);
    await clock.advance(70_000);
    expect(store.size).toBe(0);
    expect(clock.pendingTimers(true)).toBe(0);
  });
});

/** A store whose every acquire takes 50 ms of fake time, as a networked one does. */
function slowStore(clock: FakeClock, memory: MemoryStore): RateLimitStore {
  return {
    clock,
    acquire: (keys) => new Promise((resolve) => clock.setTimer(() => resolve(memory.acquire(keys)), 50)),
    release: (keys, outcome, lease, written) => memory.release(keys, outcome, lease, written),
    throttle: (key, report) => memory.throttle(key, report),
    observe: (key, observation) => memory.observe(key, observation),
    snapshot: (prefix) => memory.snapshot(prefix),
  };
}

describe('cancelled before the grant arrives', () => {
  it('sends nothing when the caller aborts during an asynchronous acquire (a Redis round trip), and frees the slot', async () => {
    const clock = new FakeClock();
    const memory = new MemoryStore({ clock });
    const slow = slowStore(clock, memory);
    const { api, sent } = mockApi({ store: slow, limits: { client: { concurrent: 1 } } }, { clock, store: memory });
    const controller = new AbortController();
    const call = track(api.get('/aborted', { signal: controller.signal }));
    await clock.advance(10);
    controller.abort();
    await clock.advance(100);
    await call.promise;
    expect(axios.isCancel(call.error)).toBe(true);
    expect(sent).toEqual([]);
    const next = track(api.get('/next'));
    await clock.advance(100);
    await next.promise;
    expect(next.value?.status).toBe(200);
  });

  it('settles at once a request aborted during the acquire that then has to wait (its signal no longer fires)', async () => {
    const clock = new FakeClock();
    const memory = new MemoryStore({ clock });
    const slow = slowStore(clock, memory);
    const { api, sent } = mockApi({ store: slow, limits: { client: { requests: 1, perMs: 1000 } } }, { clock, store: memory });
    const first = track(api.get('/first'));
    await clock.advance(100);
    await first.promise;
    const controller = new AbortController();
    const call = track(api.get('/aborted', { signal: controller.signal }));
    await clock.advance(10);
    controller.abort(); // during the 50 ms acquire, which will refuse: the key is full for a second
    await clock.advance(60);
    expect(call.settled).toBe(true);
    expect(axios.isCancel(call.error)).toBe(true);
    await clock.advance(2000);
    expect(sent.map((s) => s.url)).toEqual(['/first']);
  });
});

describe('memory follows what waits', () => {
  it('drops requests that gave up during a pause from the queues, not at the end of the pause', async () => {
    const { api, mock, clock, store } = mockApi({ deadlineMs: 60_000 });
    mock.reset();
    mock.onGet('/hit').replyOnce(429, {}, { 'Retry-After': '8' });
    mock.onAny().reply(200, 'ok');
    const hit = track(api.get('/hit'));
    await clock.advance(0);
    const calls = Array.from({ length: 2000 }, (_, i) => {
      const controller = new AbortController();
      const call = track(api.get(`/gave-up/${i}`, { signal: controller.signal }));
      return { call, controller };
    });
    const patient = track(api.get('/patient'));
    await clock.advance(30);
    for (const { controller } of calls) controller.abort();
    await clock.advance(0);
    expect(calls.every(({ call }) => call.settled)).toBe(true);
    // White-box: the heaps behind the key's queue (one per priority class) and the deadlines hold the two waiters and little else.
    const scheduler = schedulerFor(store) as unknown as {
      queues: Map<string, { size: number }>;
      deadlines: { length: number };
    };
    const heaps = [...scheduler.queues.values()].map((q) => q.size);
    expect(Math.max(...heaps)).toBeLessThanOrEqual(2 + 32);
    expect(scheduler.deadlines.length).toBeLessThanOrEqual(2 + 32);
    await clock.advance(9000);
    await Promise.all([hit.promise, patient.promise]);
    expect([hit.value?.status, patient.value?.status]).toEqual([200, 200]);
  });
});
