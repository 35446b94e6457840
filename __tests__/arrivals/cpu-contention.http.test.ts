/**
 * The guarantee as the server counts it while a CPU-bound neighbour competes for every core: the client,
 * the proxy and the server all run late at times, and the server's counts must still stay inside the limits.
 */
import { burst, hangBoundMs, idealMs, report, SERVER, useRig, violations } from './helpers';

const COUNT = 48;
const TOKENS = 3;

describe('arrivals while the CPU is contended', () => {
  jest.setTimeout(40_000);

  describe('two CPU burners, straight to the server', () => {
    const rig = useRig({ burners: 2 });

    it(`a burst of ${COUNT} across ${TOKENS} tokens stays inside every limit`, async () => {
      const { api, emulator } = rig();
      const { failures, elapsedMs } = await burst(api, { count: COUNT, tokens: TOKENS });
      const stats = emulator.stats();
      const ideal = idealMs(COUNT, TOKENS, SERVER.latencyMs);
      report('2 CPU burners', stats, COUNT, elapsedMs, ideal);

      expect(failures).toEqual([]);
      expect(violations(stats, COUNT)).toEqual([]);
      expect(elapsedMs).toBeLessThan(hangBoundMs(ideal));
    });
  });

  describe('two CPU burners and cold connections arriving late (connect delay 150 ms)', () => {
    const CONNECT_DELAY_MS = 150;
    const rig = useRig({ burners: 2, proxy: { connectDelayMs: CONNECT_DELAY_MS } });

    it(`a burst of ${COUNT} across ${TOKENS} tokens stays inside every limit`, async () => {
      const { api, emulator, proxy } = rig();
      const { failures, elapsedMs } = await burst(api, { count: COUNT, tokens: TOKENS });
      const stats = emulator.stats();
      const ideal = idealMs(COUNT, TOKENS, SERVER.latencyMs) + CONNECT_DELAY_MS;
      report('2 CPU burners + cold connections +150 ms', stats, COUNT, elapsedMs, ideal, `${proxy?.connections} connections`);

      expect(failures).toEqual([]);
      expect(violations(stats, COUNT)).toEqual([]);
      expect(elapsedMs).toBeLessThan(hangBoundMs(ideal));
    });
  });
});
