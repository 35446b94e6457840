/**
 * The guarantee as the server counts it across bursts against one guard: a burst that starts while the
 * previous one is still inside the window, and one that starts after the window (and the idle connections)
 * are gone, so that its first requests go out on cold connections that arrive late.
 */
import { performance } from 'node:perf_hooks';
import { burst, hangBoundMs, idealMs, report, SERVER, useRig, violations } from './helpers';

const PER_BURST = 20;
const TOKENS = 3;
const CONNECT_DELAY_MS = 150;
/** Idle keep-alive sockets are dropped after this long, so the burst after the long gap opens new ones. */
const IDLE_SOCKET_MS = 1_000;
/** Gap before each burst after the first: shorter than a window, then longer than a window and the idle timeout. */
const GAPS_MS = [300, 1_500];

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('arrivals over repeated bursts against one guard', () => {
  jest.setTimeout(40_000);
  const rig = useRig({ proxy: { connectDelayMs: CONNECT_DELAY_MS }, agent: { timeout: IDLE_SOCKET_MS } });

  it(`3 bursts of ${PER_BURST} (gaps ${GAPS_MS.join(' ms, ')} ms) stay inside every limit`, async () => {
    const { api, emulator, proxy } = rig();
    const started = performance.now();
    const failures: string[] = [];
    const connectionsAfter: number[] = [];
    let ideal = 0;
    for (let b = 0; b <= GAPS_MS.length; b++) {
      if (b > 0) {
        await sleep(GAPS_MS[b - 1]);
        ideal += GAPS_MS[b - 1];
      }
      const result = await burst(api, { from: b * PER_BURST, count: PER_BURST, tokens: TOKENS });
      failures.push(...result.failures);
      connectionsAfter.push(proxy?.connections ?? 0);
      ideal += idealMs(PER_BURST, TOKENS, SERVER.latencyMs) + CONNECT_DELAY_MS;
    }
    const elapsedMs = performance.now() - started;
    const total = PER_BURST * (GAPS_MS.length + 1);
    const stats = emulator.stats();
    report('3 bursts, gaps 300/1500 ms, cold +150 ms', stats, total, elapsedMs, ideal, `connections after each burst ${connectionsAfter.join('/')}`);

    expect(failures).toEqual([]);
    expect(violations(stats, total)).toEqual([]);
    expect(elapsedMs).toBeLessThan(hangBoundMs(ideal));
  });
});
