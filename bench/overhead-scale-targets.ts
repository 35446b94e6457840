import { TARGETS } from './config';
import type { OverheadResult } from './overhead';
import type { ScaleResult } from './scale';
import type { TargetCheck } from './targets';
import { bytes } from './report/format';

/** axios-rate-guard's promises on cost: per-request overhead, timers and memory at scale. */
export function checkOverheadScaleTargets(overhead: OverheadResult, scale: ScaleResult): TargetCheck[] {
  const { queued, tokens } = scale;
  return [
    {
      target: `overhead at most ${TARGETS.overheadRatio}× bare axios per request`,
      pass: overhead.ratio <= TARGETS.overheadRatio,
      detail: `${overhead.ratio.toFixed(3)}× (${overhead.guardedUs.toFixed(1)} µs vs ${overhead.bareUs.toFixed(1)} µs)`,
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
  ];
}
