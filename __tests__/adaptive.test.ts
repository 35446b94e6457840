/**
 * AIMD's increase (src/adaptive.ts): past slow start the window grows only while it is what holds the key
 * back (Little's law: throughput × round trip in flight), so a key held back by its rate never grows into
 * the server's concurrency limit. Mirrored in Lua (aimd_success), held equal by the store differential test.
 */
import { aimdOnSuccess, aimdOnThrottle, initialAimd, type AimdState } from '../src/adaptive';

/** A key's history: the time and the starts so far, carried from one run to the next. */
interface History {
  now: number;
  starts: number[];
}

/**
 * Drives `rounds` round trips of `rtt` ms in which `perRound(round)` requests wait and the window lets out
 * as many as it allows; each answer is replaced by a waiting request at once. Returns the window after each.
 */
function run(state: AimdState, rounds: number, rtt: number, perRound: (round: number) => number, history: History = { now: 0, starts: [] }): number[] {
  const windows: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const waiting = perRound(round);
    const sent = Math.min(Math.floor(state.window), waiting);
    for (let i = 0; i < sent; i++) history.starts.push(history.now);
    history.now += rtt;
    const now = history.now;
    const inLastSecond = history.starts.filter((t) => t > now - 1000).length;
    for (let i = 0; i < sent; i++) aimdOnSuccess(state, Math.min(Math.floor(state.window), waiting), rtt, inLastSecond, now);
    windows.push(Math.floor(state.window));
  }
  return windows;
}

describe('AIMD', () => {
  it('doubles per round trip to the threshold, then grows by about one per round trip while the window is what limits', () => {
    const state = initialAimd(0);
    // Always more waiting than the window lets out: concurrency is the bottleneck.
    // Past 2 each success adds 1/window: a little under one per round trip.
    expect(run(state, 8, 100, () => Infinity)).toEqual([2, 2, 3, 4, 4, 5, 6, 6]);
  });

  it('stops growing once the key is held back by its rate (16 per second, 25 ms answers)', () => {
    const state = initialAimd(0);
    // A window server of 16 per second: 16 may go at the start of each second, then nothing until the next.
    // In its first burst the key is concurrency-bound (the rate is not known yet); after it, it is not.
    const perSecond = 1000 / 25;
    const burst = (round: number) => (round % perSecond < 4 ? 8 : 0);
    const history: History = { now: 0, starts: [] };
    const first = run(state, perSecond, 25, burst, history);
    const later = run(state, perSecond * 5, 25, burst, history);
    expect(Math.max(...later)).toBe(first[first.length - 1]);
  });

  it('grows again when the rate stops binding (once a second of saturation shows it, as starts are counted per second)', () => {
    const state = initialAimd(0);
    const history: History = { now: 0, starts: [] };
    run(state, 200, 25, (round) => (round % 40 < 4 ? 8 : 0), history);
    const held = Math.floor(state.window);
    const windows = run(state, 40, 25, () => Infinity, history);
    expect(windows[windows.length - 1]).toBeGreaterThan(held);
  });

  it('halves on a throttle, to no less than one', () => {
    const state: AimdState = { ...initialAimd(0), window: 9, threshold: 4 };
    aimdOnThrottle(state, 9);
    expect(state).toMatchObject({ window: 4, threshold: 4 });
    aimdOnThrottle(state, 1);
    expect(state).toMatchObject({ window: 1, threshold: 1 });
  });
});
