/** The system clock, counting the timers alive: to check that the store arms one timer, not one per request. */
import { systemClock, type Clock, type TimerHandle } from '../../../src/clock';

export function timerCountingClock(): Clock & { readonly liveTimers: number } {
  const live = new Set<TimerHandle>();
  return {
    now: () => systemClock.now(),
    wallNow: () => systemClock.wallNow(),
    random: () => systemClock.random(),
    setTimer(fn, ms, options) {
      const handle: TimerHandle = systemClock.setTimer(
        () => {
          live.delete(handle);
          fn();
        },
        ms,
        options,
      );
      live.add(handle);
      return handle;
    },
    clearTimer(handle) {
      live.delete(handle);
      systemClock.clearTimer(handle);
    },
    get liveTimers() {
      return live.size;
    },
  };
}
