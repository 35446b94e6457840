/**
 * The guarantee as the server counts it, when something delays requests between the moment the guard
 * releases them and their arrival: never more than N arrivals of a key in any window of W, never more than
 * M in flight, no 429, each request accepted once. Real HTTP on 127.0.0.1, through a delay proxy.
 */
import { burst, hangBoundMs, idealMs, report, SERVER, useRig, violations } from './helpers';

const COUNT = 48;
const TOKENS = 3;

describe('arrivals through a slow link', () => {
  jest.setTimeout(40_000);

  describe('cold connections arrive late (connect delay 150 ms)', () => {
    const CONNECT_DELAY_MS = 150;
    const rig = useRig({ proxy: { connectDelayMs: CONNECT_DELAY_MS } });

    it(`a burst of ${COUNT} across ${TOKENS} tokens stays inside every limit`, async () => {
      const { api, emulator, proxy } = rig();
      const { failures, elapsedMs } = await burst(api, { count: COUNT, tokens: TOKENS });
      const stats = emulator.stats();
      const ideal = idealMs(COUNT, TOKENS, SERVER.latencyMs) + CONNECT_DELAY_MS;
      report('cold connections +150 ms', stats, COUNT, elapsedMs, ideal, `${proxy?.connections} connections`);

      expect(failures).toEqual([]);
      expect(violations(stats, COUNT)).toEqual([]);
      expect(elapsedMs).toBeLessThan(hangBoundMs(ideal));
    });
  });

  describe('every request delayed both ways (150 ms up, 150 ms down)', () => {
    const ONE_WAY_MS = 150;
    const rig = useRig({ proxy: { upstreamDelayMs: ONE_WAY_MS, downstreamDelayMs: ONE_WAY_MS } });

    it(`a burst of ${COUNT} across ${TOKENS} tokens stays inside every limit`, async () => {
      const { api, emulator, proxy } = rig();
      const { failures, elapsedMs } = await burst(api, { count: COUNT, tokens: TOKENS });
      const stats = emulator.stats();
      const ideal = idealMs(COUNT, TOKENS, SERVER.latencyMs + 2 * ONE_WAY_MS);
      report('round trip +300 ms', stats, COUNT, elapsedMs, ideal, `${proxy?.connections} connections`);

      expect(failures).toEqual([]);
      expect(violations(stats, COUNT)).toEqual([]);
      expect(elapsedMs).toBeLessThan(hangBoundMs(ideal));
    });
  });
});
