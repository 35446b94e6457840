/** The overhead and scale tables (bench/overhead.ts, bench/scale.ts), for the terminal and latest.md. */
import type { OverheadResult } from '../overhead';
import type { SaturatedResult, ScaleResult } from '../scale';
import { bytes, micros, seconds, table } from './format';

export function overheadTable(o: OverheadResult): string {
  const bare = o.rows[0];
  return table(
    ['', 'configured', 'wall µs per request (median)', 'added', 'wall × bare', 'CPU µs per request (median)', 'CPU × bare', 'wall: fastest–slowest round'],
    o.rows.map((row) => [
      row.name,
      row.setup,
      micros(row.wallUs),
      row === bare ? '' : micros(row.wallUs - bare.wallUs),
      row === bare ? '' : row.id === 'rate-guard' ? `**${row.wallRatio.toFixed(3)}×**` : `${row.wallRatio.toFixed(3)}×`,
      micros(row.cpuUs),
      row === bare ? '' : `${row.cpuRatio.toFixed(3)}×`,
      `${micros(Math.min(...row.wallRounds))}–${micros(Math.max(...row.wallRounds))}`,
    ]),
  );
}

export function scaleTables(s: ScaleResult): string {
  const q = s.queued;
  const t = s.tokens;
  const queued = table(
    [`${q.requests.toLocaleString('en')} requests queued on one paused key`, 'value'],
    [
      ['queued at once (guard stats)', q.queuedSeen.toLocaleString('en')],
      ['failed', String(q.failures)],
      ['wall time (1 s pause + drain at 1000 per 100 ms)', seconds(q.wallMs)],
      ['CPU per request: guarded / bare axios', `${micros(q.cpuUsPerRequest)} / ${micros(q.bareCpuUsPerRequest)}`],
      ['heap per waiting request: guarded / bare axios pending in its adapter', `${bytes(q.bytesPerQueued)} / ${bytes(q.bareBytesPerPending)}`],
      ['heap above baseline after all settled', bytes(q.residualBytes)],
      ['live timers while all waited: for requests / housekeeping', `${q.whileQueued.waiting} / ${q.whileQueued.housekeeping}`],
      ['most live timers at once: for requests / housekeeping', `${q.timers.peakWaiting} / ${q.timers.peakHousekeeping}`],
      ['setTimer calls: for requests / housekeeping (fired, cleared)', `${q.timers.setWaiting} / ${q.timers.setHousekeeping} (${q.timers.fired}, ${q.timers.cleared})`],
    ],
  );
  const tokens = table(
    [`${t.tokens.toLocaleString('en')} distinct tokens, one request each`, 'value'],
    [
      ['wall time / CPU per request', `${seconds(t.wallMs)} / ${micros(t.cpuUsPerRequest)}`],
      ['keys held after the run', t.keysHeld.toLocaleString('en')],
      ['heap above baseline with the keys held (per key)', `${bytes(t.heldBytes)} (${bytes(t.bytesPerIdleKey)})`],
      ['keys after the clock passed idleTtlMs and the sweep ran', t.keysAfterEviction.toLocaleString('en')],
      ['heap above baseline after eviction', bytes(t.afterEvictionBytes)],
      ['most live timers at once: for requests / housekeeping', `${t.timers.peakWaiting} / ${t.timers.peakHousekeeping}`],
      ['setTimer calls: for requests / housekeeping', `${t.timers.setWaiting} / ${t.timers.setHousekeeping}`],
    ],
  );
  return `${queued}\n\n${tokens}\n\n${saturatedTable(s.saturated)}`;
}

/** Keys saturated at once: CPU per request and live timers as the keys grow. */
export function saturatedTable(rows: readonly SaturatedResult[]): string {
  return table(
    ['keys saturated at once', 'requests (runs × keys × per key)', 'token window', 'waiting right after firing', 'CPU per request', 'most live timers at once', 'setTimer calls (fired, cleared)', 'wall per run', 'failed'],
    rows.map((r) => [
      r.keys.toLocaleString('en'),
      `${r.requests.toLocaleString('en')} (${r.runs} × ${r.keys.toLocaleString('en')} × ${r.requestsPerKey})`,
      `2 per ${r.windowMs} ms, 2 in flight`,
      `${r.queuedSeen.toLocaleString('en')} on ${r.keysWaiting.toLocaleString('en')} keys`,
      micros(r.cpuUsPerRequest),
      r.timers.peakWaiting.toLocaleString('en'),
      `${r.timers.setWaiting.toLocaleString('en')} (${r.timers.fired.toLocaleString('en')}, ${r.timers.cleared.toLocaleString('en')})`,
      seconds(r.wallMsPerRun),
      String(r.failures),
    ]),
  );
}
