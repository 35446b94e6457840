import axios, { type AxiosInstance } from 'axios';
import MockAdapter from 'axios-mock-adapter';
import { MemoryStore } from '../../src/memory-store';
import { rateGuard, type RateGuard } from '../../src/rate-guard';
import type { RateGuardOptions } from '../../src/options';
import { FakeClock } from './fake-clock';

export interface MockSetup {
  api: AxiosInstance;
  mock: MockAdapter;
  clock: FakeClock;
  store: MemoryStore;
  guard: RateGuard;
  /** Times (fake ms) at which the mock server received each request, with its URL and token. */
  sent: Array<{ t: number; url: string; auth?: string; data?: unknown }>;
}

/** An axios instance with axios-mock-adapter below a guard, all on fake time. */
export function mockApi(options: RateGuardOptions = {}, shared?: { clock: FakeClock; store: MemoryStore }): MockSetup {
  const clock = shared?.clock ?? new FakeClock();
  const store = shared?.store ?? new MemoryStore({ clock });
  const api = axios.create({ baseURL: 'https://api.example.test' });
  const mock = new MockAdapter(api);
  const sent: MockSetup['sent'] = [];
  mock.onAny().reply((config) => {
    sent.push({ t: clock.now(), url: config.url ?? '', auth: config.headers?.Authorization as string | undefined, data: config.data });
    return [200, { ok: true }];
  });
  const guard = rateGuard(api, { clientId: 'app', jitter: { ratio: 0 }, store, ...options });
  return { api, mock, clock, store, guard, sent };
}

/** Records how each promise settled without leaving unhandled rejections. */
export function track<T>(promise: Promise<T>): { settled: boolean; value?: T; error?: unknown; promise: Promise<void> } {
  const state: { settled: boolean; value?: T; error?: unknown; promise: Promise<void> } = { settled: false, promise: Promise.resolve() };
  state.promise = promise.then(
    (value) => {
      state.settled = true;
      state.value = value;
    },
    (error: unknown) => {
      state.settled = true;
      state.error = error;
    },
  );
  return state;
}
