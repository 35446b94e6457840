/**
 * Waits longer than a timer can hold (2³¹−1 ms, about 24.8 days): a setTimeout of more fires after 1 ms,
 * and a guard that re-arms it on every wake spins. Every timer must stay within the bound, and a long
 * wait must cost a handful of wake-ups, not thousands.
 */
import { MAX_TIMER_MS } from '../src/clock';
import { mockApi, track } from './helpers/mock-api';

const DAY_MS = 24 * 3600 * 1000;

describe('waits longer than a timer can hold', () => {
  it('a 30-day pause with onLongRetryAfter "wait" arms timers within the bound and does not spin', async () => {
    const { api, mock, clock, store } = mockApi({ onLongRetryAfter: 'wait' });
    const delays: number[] = [];
    const setTimer = clock.setTimer.bind(clock);
    clock.setTimer = (fn, ms, options) => {
      delays.push(ms);
      return setTimer(fn, ms, options);
    };
    let acquires = 0;
    const acquire = store.acquire.bind(store);
    store.acquire = (keys) => {
      acquires++;
      return acquire(keys);
    };
    mock.reset();
    mock.onGet('/first').replyOnce(429, {}, { 'Retry-After': String(30 * 24 * 3600) });
    mock.onAny().reply(200, 'ok');

    const first = track(api.get('/first'));
    await clock.advance(0);
    const second = track(api.get('/second'));
    await clock.advance(2000);
    expect(first.settled || second.settled).toBe(false);
    expect(acquires).toBeLessThan(10);
    expect(Math.max(...delays)).toBeLessThanOrEqual(MAX_TIMER_MS);

    // It still ends: after 30 days (and jitter) both calls go through.
    await clock.advance(31 * DAY_MS);
    await Promise.all([first.promise, second.promise]);
    expect([first.value?.status, second.value?.status]).toEqual([200, 200]);
    expect(acquires).toBeLessThan(20);
    expect(Math.max(...delays)).toBeLessThanOrEqual(MAX_TIMER_MS);
  });
});
