/**
 * End to end, real time, real HTTP on 127.0.0.1: a batch of 200 low-priority requests saturates a key,
 * and a few interactive high-priority ones arrive while it drains. Judged from the server's arrivals.
 */
import { guardedClient } from './helpers';
import { startScriptedServer, type ScriptedServer, sleep } from './fixtures/scripted-server';

jest.setTimeout(60_000);

const SLOT_MS = 40; // the key admits 1 request per 40 ms

let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});


describe('priorities against a saturated key', () => {
  it('interactive (high) requests are served within about one slot while 200 batch (low) ones wait', async () => {
    // The server enforces the same limit the guard keeps to: 1 per 40 ms, else a 429 (there should be none).
    let last = -Infinity;
    let refused = 0;
    server = await startScriptedServer((arrival) => {
      const ok = arrival.at - last >= SLOT_MS - 2; // timers may fire a little early against performance.now()
      if (!ok) {
        refused++;
        return { status: 429, headers: { 'retry-after': '1' } };
      }
      last = arrival.at;
      return { status: 200 };
    });
    const { api: batch } = guardedClient(server.url, { clientId: 'prio-e2e', limits: { client: { requests: 1, perMs: SLOT_MS } }, priority: 'low' });
    const batchCalls = Array.from({ length: 200 }, (_, i) => batch.get(`/batch/${i}`));
    const asked: number[] = [];
    const interactive: Array<Promise<unknown>> = [];
    for (let i = 0; i < 5; i++) {
      await sleep(300);
      asked.push(performance.now());
      interactive.push(batch.get(`/click/${i}`, { rateGuard: { priority: 'high' } }));
    }
    await Promise.all([...interactive, ...batchCalls]);
    expect(refused).toBe(0);
    const arrivals = server.arrivals;
    expect(arrivals.filter((a) => a.path.startsWith('/batch/'))).toHaveLength(200);
    const waits = asked.map((at, i) => Math.round((server!.of(`/click/${i}`)[0]?.at ?? NaN) - at));
    console.log(`interactive waits (ms, slot ${SLOT_MS} ms): ${waits.join(', ')}`);
    for (let i = 0; i < 5; i++) {
      const click = server.of(`/click/${i}`);
      expect(click).toHaveLength(1);
      const waited = click[0].at - asked[i];
      // At most one slot (40 ms) plus the event loop's and loopback's delays; in FIFO order each click would
      // wait for every batch request queued before it (7 s and more).
      expect(waited).toBeLessThanOrEqual(SLOT_MS + 40);
      // Order on the server: at most the one batch request already granted went in between.
      const between = arrivals.filter((a) => a.path.startsWith('/batch/') && a.at > asked[i] && a.at < click[0].at);
      expect(between.length).toBeLessThanOrEqual(1);
    }
  });
});
