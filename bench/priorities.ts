/**
 * tsx bench/priorities.ts: how long a high-priority request waits behind a saturated key's backlog.
 *
 * A node:http server on 127.0.0.1; the guard keeps one key to 1 request per SLOT_MS. 2,000 low-priority
 * requests are queued at once, then HIGH high-priority requests are sent one every GAP_MS while the batch
 * drains. Each high request's wait is measured from the call to its arrival at the server (the server's
 * clock is this process's performance.now()), and compared with the wait the same request would have had
 * in arrival order (requests queued ahead of it × SLOT_MS). Prints a Markdown table.
 */
import { setMaxListeners } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import axios from 'axios';
import { MemoryStore, rateGuard } from '../src/index';

const SLOT_MS = 20;
const LOW = 2000;
const HIGH = 20;
const GAP_MS = 150;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const arrivals = new Map<string, number>();
  const server = http.createServer((req, res) => {
    arrivals.set(req.url ?? '', performance.now());
    res.end('ok');
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  const api = axios.create({ baseURL: `http://127.0.0.1:${port}` });
  const guard = rateGuard(api, { clientId: 'bench-priorities', store: new MemoryStore(), limits: { client: { requests: 1, perMs: SLOT_MS } }, maxQueue: LOW + HIGH + 10, priority: 'low' });
  const abort = new AbortController();
  setMaxListeners(LOW + 1, abort.signal); // one listener per queued request, removed as each settles
  const batch = Array.from({ length: LOW }, (_, i) => api.get(`/low/${i}`, { signal: abort.signal }).catch(() => undefined));
  await sleep(100);
  const waits: number[] = [];
  const fifo: number[] = [];
  for (let i = 0; i < HIGH; i++) {
    await sleep(GAP_MS);
    const stats = await guard.stats();
    const ahead = stats.keys.find((k) => k.key === 'bench-priorities')?.queued ?? 0;
    const asked = performance.now();
    await api.get(`/high/${i}`, { rateGuard: { priority: 'high' } });
    waits.push((arrivals.get(`/high/${i}`) ?? NaN) - asked);
    fifo.push(ahead * SLOT_MS);
  }
  abort.abort();
  await Promise.all(batch);
  server.closeAllConnections();
  server.close();
  guard.detach();

  const sorted = [...waits].sort((a, b) => a - b);
  const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  const lines = [
    `Priorities: ${LOW} low-priority requests queued on a key of 1 per ${SLOT_MS} ms; ${HIGH} high-priority requests, one every ${GAP_MS} ms`,
    '',
    '| | median | p90 | max |',
    '| --- | --- | --- | --- |',
    `| high-priority wait (call to server arrival) | ${ms(pct(0.5))} | ${ms(pct(0.9))} | ${ms(sorted[sorted.length - 1])} |`,
    `| in slots of ${SLOT_MS} ms | ${(pct(0.5) / SLOT_MS).toFixed(2)} | ${(pct(0.9) / SLOT_MS).toFixed(2)} | ${(sorted[sorted.length - 1] / SLOT_MS).toFixed(2)} |`,
    `| in arrival order it would have been (queued ahead × slot) | ${ms(fifo[Math.floor(fifo.length / 2)])} | | ${ms(Math.max(...fifo))} |`,
    '',
    `${os.cpus()[0]?.model ?? 'cpu'}, ${os.cpus().length} cores, Node ${process.version}, ${new Date().toISOString()}`,
  ];
  console.log(lines.join('\n'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
