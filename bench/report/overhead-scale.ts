/** The overhead and scale tables (bench/overhead.ts, bench/scale.ts), for the terminal and latest.md. */
import type { OverheadResult } from '../overhead';
import type { ScaleResult } from '../scale';
import { bytes, micros, seconds, table } from './format';

export function overheadTable(o: OverheadResult): string {
  return table(
    ['', 'µs per request (median)', 'fastest round', 'slowest round'],
    [
      ['bare axios', micros(o.bareUs), micros(Math.min(...o.bareRounds)), micros(Math.max(...o.bareRounds))],
      ['axios + axios-rate-guard', micros(o.guardedUs), micros(Math.min(...o.guardedRounds)), micros(Math.max(...o.guardedRounds))],
      ['added by the guard', micros(o.guardedUs - o.bareUs), '', ''],
      ['ratio guarded / bare', `**${o.ratio.toFixed(3)}×**`, '', ''],
    ],
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
  return `${queued}\n\n${tokens}`;
}
