import { TARGETS } from './config';
import type { OverheadResult } from './overhead';
import type { SaturatedResult, ScaleResult } from './scale';
import type { TargetCheck } from './targets';
import { bytes } from './report/format';

/** CPU per request with the most keys saturated at once, over that with the fewest: at most this ("flat"). */
export const SATURATED_CPU_GROWTH = 1.5;

/** Keys saturated at once: at most one live timer per key, and CPU per request that does not grow with them. */
function saturatedChecks(rows: readonly SaturatedResult[]): TargetCheck[] {
  if (rows.length === 0) return [];
  const fewest = rows[0];
  const most = rows[rows.length - 1];
  const growth = most.cpuUsPerRequest / fewest.cpuUsPerRequest;
  const timers = rows.map((r) => `${r.timers.peakWaiting} for ${r.keys.toLocaleString('en')} keys`).join(', ');
  return [
    {
      target: 'keys saturated at once: at most one live timer per key',
      pass: rows.every((r) => r.timers.peakWaiting <= r.keys && r.failures === 0),
      detail: `most live at once: ${timers}; failures: ${rows.reduce((sum, r) => sum + r.failures, 0)}`,
    },
    {
      target: `keys saturated at once: CPU per request at ${most.keys.toLocaleString('en')} keys at most ${SATURATED_CPU_GROWTH}× that at ${fewest.keys}`,
      pass: growth <= SATURATED_CPU_GROWTH,
      detail: `${growth.toFixed(2)}× (${rows.map((r) => `${r.keys.toLocaleString('en')}: ${r.cpuUsPerRequest.toFixed(1)} µs`).join(', ')})`,
    },
  ];
}

/** axios-rate-guard's promises on cost: per-request overhead, timers and memory at scale. */
export function checkOverheadScaleTargets(overhead: OverheadResult, scale: ScaleResult): TargetCheck[] {
  const { queued, tokens } = scale;
  return [
    {
      target: `overhead at most ${TARGETS.overheadRatio}× bare axios per request (limits on both levels)`,
      pass: overhead.ratio <= TARGETS.overheadRatio,
      detail:
        `${overhead.ratio.toFixed(3)}× wall (${overhead.guardedUs.toFixed(1)} µs vs ${overhead.bareUs.toFixed(1)} µs); in the same run ` +
        overhead.rows.slice(1, -1).map((row) => `${row.name} ${row.wallRatio.toFixed(3)}×`).join(', '),
    },
    {
      target: 'one timer per paused or waiting key, not per request',
      pass: queued.timers.peakWaiting <= 1 && tokens.timers.peakWaiting <= 1,
      detail:
        `${queued.requests.toLocaleString('en')} requests waiting on 1 key: at most ${queued.timers.peakWaiting} live ` +
        `(${queued.timers.setWaiting} setTimer calls in all); ${tokens.tokens.toLocaleString('en')} tokens, none waiting: ` +
        `at most ${tokens.timers.peakWaiting} live; housekeeping sweep: ${Math.max(queued.timers.peakHousekeeping, tokens.timers.peakHousekeeping)}`,
    },
    {
      target: 'memory of 100,000 idle tokens back near baseline after eviction',
      pass: tokens.keysAfterEviction === 0 && tokens.afterEvictionBytes <= TARGETS.evictedHeapShare * tokens.heldBytes,
      detail:
        `${bytes(tokens.heldBytes)} held by ${tokens.keysHeld.toLocaleString('en')} keys, ${bytes(tokens.afterEvictionBytes)} ` +
        `above baseline after eviction (limit ${TARGETS.evictedHeapShare * 100} % of held), ${tokens.keysAfterEviction} keys left`,
    },
    ...saturatedChecks(scale.saturated),
  ];
}
