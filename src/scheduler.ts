import { timerDelay, type TimerHandle } from './clock.js';
import { PriorityQueue } from './priority-queue.js';
import { MAX_PRIORITY, MIN_PRIORITY, priorityLabel, strideOf } from './priority.js';
import { processRegistry } from './process-registry.js';
import { isKeyOfClient, type AcquireResult, type KeySpec, type Lease, type RateLimitStore, type ReleaseOutcome } from './store.js';

/** Why a wait ended without a slot. The caller turns it into a typed error. */
export type WaitFailure =
  | { kind: 'queue-full'; key: string; maxQueue: number }
  | { kind: 'deadline'; key: string }
  | { kind: 'pause-too-long'; key: string; retryInMs: number }
  | { kind: 'canceled'; reason: unknown }
  | { kind: 'store-error'; error: unknown };

export interface WaitOptions {
  /** Replays (requests already throttled once) go ahead of requests that never went out. */
  replay: boolean;
  /** Arrival order of the call; older first within the same class. */
  seq: number;
  /** Priority class, an integer in [-5, 5] (see priority.ts); 0 (normal) when absent. */
  priority?: number;
  /** Store-clock ms after which the wait fails; Infinity for none. */
  deadlineAt: number;
  /** A pause longer than this fails the wait at once; Infinity to wait it out. */
  maxPauseMs: number;
  /** At most this many requests wait on any one key. */
  maxQueue: number;
  /** Subscribes to the request's cancellation, returning an unsubscribe. Called only when it must wait. */
  onCancel?: (cancel: (reason: unknown) => void) => (() => void) | undefined;
  /** Builds the error that a failed wait rejects with. */
  fail: (failure: WaitFailure) => Error;
}

type Blocked = { key: string; reason?: 'paused' | 'rate' | 'concurrency'; retryInMs?: number };

class Waiter {
  state: 'queued' | 'done' = 'queued';
  /** The key whose queue holds this waiter. */
  queuedOn: string | undefined;
  unsubscribe: (() => void) | undefined;

  constructor(
    readonly keys: readonly KeySpec[],
    readonly options: WaitOptions,
    readonly resolve: (lease: Lease) => void,
    readonly reject: (error: Error) => void,
  ) {}
}

const replayThenSeq = (a: Waiter, b: Waiter): boolean =>
  a.options.replay !== b.options.replay ? a.options.replay : a.options.seq < b.options.seq;

/** The waiters of one priority class on one key, and the class's pass (stride scheduling, priority.ts). */
class ClassQueue {
  readonly heap = new PriorityQueue<Waiter>(replayThenSeq);
  /** Waiters of this class still queued here. */
  live = 0;
  pass = 0;
  readonly stride: number;

  constructor(readonly cls: number) {
    this.stride = strideOf(cls);
  }
}

/**
 * Waiters blocked by one key, and the single timer that wakes them. One heap per priority class present
 * (replays first, then arrival order); the class to serve next is the waiting one with the smallest pass.
 * Classes are at most 11, so picking one is a short scan; each heap operation is O(log n).
 */
class KeyQueue {
  /** By class, highest first; most queues hold one (normal). */
  readonly classes: ClassQueue[] = [];
  /** The pass of the class served last: a class that starts waiting starts from it. */
  virtualTime = 0;
  /** Waiters still queued here (the heaps also hold stale entries, dropped lazily). */
  live = 0;
  timer: TimerHandle | undefined;
  timerAt = 0;
  draining = false;
  redrain = false;

  push(waiter: Waiter): void {
    const cls = waiter.options.priority ?? 0;
    const classes = this.classes;
    let i = 0;
    while (i < classes.length && classes[i].cls > cls) i++;
    let queue = classes[i];
    if (queue === undefined || queue.cls !== cls) {
      queue = new ClassQueue(cls);
      classes.splice(i, 0, queue);
    }
    // A class's pass is when its head is due: one stride after the present for a class that starts waiting
    // (no credit for the time it was idle), so a lone high request still goes before the low ones waiting.
    if (queue.live === 0 && queue.pass < this.virtualTime + queue.stride) queue.pass = this.virtualTime + queue.stride;
    queue.heap.push(waiter);
    queue.live++;
    this.live++;
  }

  /** The class whose head goes next: the smallest pass among those with waiters; ties to the higher class. */
  next(): ClassQueue | undefined {
    let best: ClassQueue | undefined;
    for (const queue of this.classes) {
      if (queue.live > 0 && (best === undefined || queue.pass < best.pass)) best = queue;
    }
    return best;
  }

  /** The head of `queue` was sent: the present moves to its pass, and the class's next head is one stride later. */
  served(queue: ClassQueue): void {
    this.virtualTime = queue.pass;
    queue.pass += queue.stride;
  }

  /** The waiter left this queue (sent, moved, gave up); its heap entry goes stale. */
  remove(waiter: Waiter): void {
    this.live--;
    const cls = waiter.options.priority ?? 0;
    for (const queue of this.classes) if (queue.cls === cls) queue.live--;
  }

  /** Entries in the heaps, stale ones included. */
  get size(): number {
    let size = 0;
    for (const queue of this.classes) size += queue.heap.length;
    return size;
  }

  prune(keep: (waiter: Waiter) => boolean): void {
    for (const queue of this.classes) queue.heap.prune(keep);
  }

  clear(): void {
    for (const queue of this.classes) queue.heap.clear();
  }
}

/** Stale heap entries tolerated beyond twice the live ones before a heap is pruned. */
const STALE_SLACK = 32;

/** A grant: the store's lease, to hand back on release. Wrapped so that it can never look like a promise. */
export interface Granted {
  readonly lease: Lease;
  /** When the store made the grant, if it says (AcquireResult's grantedAt). */
  readonly grantedAt?: number;
}

export const isPromise = <T>(value: T | Promise<T>): value is Promise<T> =>
  typeof (value as { then?: unknown } | null)?.then === 'function';

/**
 * The pause/queue scheduler. A request that cannot start waits in the queue of the key that refused it;
 * each key has one timer, armed for the moment that key can admit its head (window slot or end of pause),
 * and releases wake the queues of the released keys. Nothing here is per waiting request: no timer, no
 * polling. One scheduler serves every guard of a store, so that a release by one axios instance wakes a
 * request of another instance waiting on the same client_id.
 */
export class Scheduler {
  private readonly queues = new Map<string, KeyQueue>();
  /** Requests waiting per key, in all and per priority class (index class - MIN_PRIORITY): for maxQueue and stats. */
  private readonly waiting = new Map<string, { total: number; byClass: number[] }>();
  private readonly deadlines = new PriorityQueue<Waiter>((a, b) => a.options.deadlineAt < b.options.deadlineAt);
  /** Waiters in `deadlines` that are still queued (the heap also holds settled ones, dropped lazily). */
  private deadlinesLive = 0;
  private deadlineTimer: TimerHandle | undefined;
  private deadlineTimerAt = Infinity;

  constructor(private readonly store: RateLimitStore) {}

  /** Requests waiting on `key`. */
  queued(key: string): number {
    return this.waiting.get(key)?.total ?? 0;
  }

  /** Requests waiting on `key` per priority (`high`, `normal`, `low` or the class number); classes with none left out. */
  queuedByPriority(key: string): Record<string, number> {
    const counts = this.waiting.get(key)?.byClass;
    const byPriority: Record<string, number> = {};
    if (!counts) return byPriority;
    for (let i = counts.length - 1; i >= 0; i--) if (counts[i] > 0) byPriority[priorityLabel(i + MIN_PRIORITY)] = counts[i];
    return byPriority;
  }

  private countWaiting(keys: readonly KeySpec[], cls: number, delta: 1 | -1): void {
    for (const key of keys) {
      let counts = this.waiting.get(key.id);
      if (!counts) this.waiting.set(key.id, (counts = { total: 0, byClass: new Array<number>(MAX_PRIORITY - MIN_PRIORITY + 1).fill(0) }));
      counts.total += delta;
      counts.byClass[cls - MIN_PRIORITY] += delta;
      if (counts.total <= 0) this.waiting.delete(key.id);
    }
  }

  /**
   * Takes a slot on every key. Returns the lease when granted at once (the hot path allocates no promise),
   * else a promise of it that rejects with `options.fail(…)` if the wait fails.
   */
  acquire(keys: readonly KeySpec[], options: WaitOptions): Granted | Promise<Granted> {
    // Joining an existing queue keeps order: a newcomer never overtakes requests already waiting on its keys.
    if (this.queues.size > 0) {
      for (const key of keys) {
        if (this.queues.get(key.id)?.live) return this.wait(keys, options, { key: key.id });
      }
    }
    let result: AcquireResult | Promise<AcquireResult>;
    try {
      result = this.store.acquire(keys);
    } catch (error) {
      return Promise.reject(options.fail({ kind: 'store-error', error }));
    }
    // A granted AcquireResult is itself a Granted ({ lease }): no copy on the hot path.
    if (!isPromise(result)) return result.ok ? result : this.wait(keys, options, result);
    return result.then(
      (settled) => (settled.ok ? settled : this.wait(keys, options, settled)),
      (error: unknown) => Promise.reject(options.fail({ kind: 'store-error', error })),
    );
  }

  /**
   * The request of `lease` was handed to the operating system: a store that keeps it may now count the
   * request as arrived before its answer (slow endpoints), so waiters on its keys look again.
   */
  written(keys: readonly KeySpec[], lease: Lease, writtenAfterMs: number): void {
    let kept = false;
    try {
      kept = this.store.written?.(keys, lease, writtenAfterMs) ?? false;
    } catch {
      // a store that cannot take it waits for the answer instead
    }
    // Only a store that kept it can admit anyone sooner: no wake (a Redis round trip) for nothing.
    if (kept) this.wake(keys);
  }

  /** Gives the slots back and wakes whoever waits on those keys. */
  release(keys: readonly KeySpec[], outcome: ReleaseOutcome, lease: Lease, writtenAfterMs?: number): void | Promise<void> {
    let result: void | Promise<void>;
    try {
      result = this.store.release(keys, outcome, lease, writtenAfterMs);
    } catch {
      result = undefined;
    }
    if (isPromise(result)) {
      const wake = () => this.wake(keys);
      return result.then(wake, wake);
    }
    this.wake(keys);
  }

  private wake(keys: readonly KeySpec[]): void {
    if (this.queues.size === 0) return; // nobody waits anywhere: the usual case
    for (const key of keys) if (this.queues.has(key.id)) this.drain(key.id);
  }

  /** The keys of `clientId` were resumed: their waiters look again at once. */
  resumed(clientId: string): void {
    for (const key of [...this.queues.keys()]) if (isKeyOfClient(key, clientId)) this.drain(key);
  }

  /** A key was just paused: re-examine its queue so that waiters that will not wait that long fail now. */
  paused(key: string): void {
    if (this.queues.has(key)) this.drain(key);
  }

  private wait(keys: readonly KeySpec[], options: WaitOptions, blocked: Blocked): Promise<Granted> {
    return new Promise<Granted>((resolve, reject) => {
      for (const key of keys) {
        if (this.queued(key.id) >= options.maxQueue) {
          reject(options.fail({ kind: 'queue-full', key: key.id, maxQueue: options.maxQueue }));
          return;
        }
      }
      const waiter = new Waiter(keys, options, (lease) => resolve({ lease }), reject);
      this.countWaiting(keys, options.priority ?? 0, 1);
      if (options.deadlineAt !== Infinity) {
        this.deadlines.push(waiter);
        this.deadlinesLive++;
        this.armDeadline();
      }
      waiter.unsubscribe = options.onCancel?.((reason) => this.settle(waiter, options.fail({ kind: 'canceled', reason })));
      this.place(waiter, blocked);
    });
  }

  /** Puts a waiter in the queue of the key that blocked it, or fails it if that wait is not acceptable. */
  private place(waiter: Waiter, blocked: Blocked): void {
    if (waiter.state !== 'queued') return;
    const { retryInMs } = blocked;
    if (blocked.reason === 'paused' && retryInMs !== undefined && retryInMs > waiter.options.maxPauseMs) {
      this.settle(waiter, waiter.options.fail({ kind: 'pause-too-long', key: blocked.key, retryInMs }));
      return;
    }
    if (retryInMs !== undefined && this.store.clock.now() + retryInMs > waiter.options.deadlineAt) {
      this.settle(waiter, waiter.options.fail({ kind: 'deadline', key: blocked.key }));
      return;
    }
    let queue = this.queues.get(blocked.key);
    if (!queue) {
      queue = new KeyQueue();
      this.queues.set(blocked.key, queue);
    }
    queue.push(waiter);
    waiter.queuedOn = blocked.key;
    if (retryInMs !== undefined) this.arm(blocked.key, queue, retryInMs);
  }

  /** Takes the waiter out of its queue's live count (its heap entry goes stale). */
  private unqueue(waiter: Waiter): void {
    const key = waiter.queuedOn;
    if (key === undefined) return;
    waiter.queuedOn = undefined;
    const queue = this.queues.get(key);
    if (!queue) return;
    queue.remove(waiter);
    if (queue.live === 0 && !queue.draining) this.dispose(key, queue);
    // Waiters that gave up (cancelled, deadline) hold their request until popped: drop them once they
    // outnumber the live ones, so memory follows what actually waits, not what waited during a pause.
    else if (queue.size > 2 * queue.live + STALE_SLACK) queue.prune((w) => w.queuedOn === key);
  }

  private settle(waiter: Waiter, outcome: { lease: Lease } | Error): void {
    if (waiter.state !== 'queued') return;
    waiter.state = 'done';
    if (waiter.options.deadlineAt !== Infinity && --this.deadlinesLive * 2 + STALE_SLACK < this.deadlines.length) {
      this.deadlines.prune((w) => w.state === 'queued');
    }
    this.countWaiting(waiter.keys, waiter.options.priority ?? 0, -1);
    this.unqueue(waiter);
    waiter.unsubscribe?.();
    if (outcome instanceof Error) waiter.reject(outcome);
    else waiter.resolve(outcome.lease);
  }

  private dispose(key: string, queue: KeyQueue): void {
    if (queue.timer !== undefined) this.store.clock.clearTimer(queue.timer);
    queue.timer = undefined;
    queue.clear();
    if (this.queues.get(key) === queue) this.queues.delete(key);
  }

  /** One timer per key: keeps the earliest wake-up asked for. */
  private arm(key: string, queue: KeyQueue, ms: number): void {
    const clock = this.store.clock;
    const at = clock.now() + ms;
    if (queue.timer !== undefined) {
      if (queue.timerAt <= at) return;
      clock.clearTimer(queue.timer);
    }
    queue.timerAt = at;
    // Referenced on purpose: a request is waiting on it, and Node must not exit before it settles.
    queue.timer = clock.setTimer(() => {
      queue.timer = undefined;
      this.drain(key);
    }, timerDelay(ms));
  }

  /** Admits waiters of `key` in order until one is blocked by `key` itself. */
  private drain(key: string): void {
    const queue = this.queues.get(key);
    if (!queue) return;
    if (queue.draining) {
      queue.redrain = true;
      return;
    }
    queue.draining = true;
    this.drainLoop(key, queue);
  }

  private drainLoop(key: string, queue: KeyQueue): void {
    for (;;) {
      const cls = queue.next();
      if (!cls) break;
      const head = cls.heap.peek();
      if (!head) break;
      if (head.state !== 'queued' || head.queuedOn !== key) {
        cls.heap.pop();
        continue;
      }
      let result: AcquireResult | Promise<AcquireResult>;
      try {
        result = this.store.acquire(head.keys);
      } catch (error) {
        this.settle(head, head.options.fail({ kind: 'store-error', error }));
        continue;
      }
      if (isPromise(result)) {
        result.then(
          (settled) => {
            if (this.admit(key, queue, cls, head, settled)) this.drainLoop(key, queue);
            else this.finishDrain(key, queue);
          },
          (error: unknown) => {
            this.settle(head, head.options.fail({ kind: 'store-error', error }));
            this.drainLoop(key, queue);
          },
        );
        return;
      }
      if (!this.admit(key, queue, cls, head, result)) break;
    }
    this.finishDrain(key, queue);
  }

  private finishDrain(key: string, queue: KeyQueue): void {
    if (queue.redrain) {
      queue.redrain = false;
      this.drainLoop(key, queue);
      return;
    }
    queue.draining = false;
    if (queue.live === 0) this.dispose(key, queue);
  }

  /** Acts on the store's answer for the head of `key`'s queue. Returns false when the queue must wait. */
  private admit(key: string, queue: KeyQueue, cls: ClassQueue, head: Waiter, result: AcquireResult): boolean {
    if (head.state !== 'queued') {
      // Cancelled while an asynchronous store was deciding: give back what it was granted.
      if (result.ok) void this.release(head.keys, 'unused', result.lease);
      return true;
    }
    if (result.ok) {
      queue.served(cls);
      this.settle(head, { lease: result.lease });
      return true;
    }
    if (result.key !== key) {
      this.unqueue(head);
      this.place(head, result);
      return true;
    }
    const { retryInMs } = result;
    if (result.reason === 'paused' && retryInMs !== undefined && retryInMs > head.options.maxPauseMs) {
      this.settle(head, head.options.fail({ kind: 'pause-too-long', key, retryInMs }));
      return true;
    }
    if (retryInMs !== undefined && this.store.clock.now() + retryInMs > head.options.deadlineAt) {
      this.settle(head, head.options.fail({ kind: 'deadline', key }));
      return true;
    }
    if (retryInMs !== undefined) this.arm(key, queue, retryInMs);
    return false;
  }

  private armDeadline(): void {
    let top = this.deadlines.peek();
    while (top && top.state !== 'queued') {
      this.deadlines.pop();
      top = this.deadlines.peek();
    }
    const clock = this.store.clock;
    if (!top) {
      if (this.deadlineTimer !== undefined) clock.clearTimer(this.deadlineTimer);
      this.deadlineTimer = undefined;
      this.deadlineTimerAt = Infinity;
      return;
    }
    const at = top.options.deadlineAt;
    if (this.deadlineTimer !== undefined) {
      if (this.deadlineTimerAt <= at) return;
      clock.clearTimer(this.deadlineTimer);
    }
    this.deadlineTimerAt = at;
    // Unref'd: a waiter with a deadline is also waiting on a key timer or an in-flight request.
    this.deadlineTimer = clock.setTimer(
      () => {
        this.deadlineTimer = undefined;
        this.deadlineTimerAt = Infinity;
        const now = clock.now();
        for (let top = this.deadlines.peek(); top && top.options.deadlineAt <= now; top = this.deadlines.peek()) {
          this.deadlines.pop();
          const key = top.queuedOn ?? top.keys[0]?.id ?? '';
          this.settle(top, top.options.fail({ kind: 'deadline', key }));
        }
        this.armDeadline();
      },
      timerDelay(at - clock.now()),
      { unref: true },
    );
  }
}

/** In the process registry, so that the CommonJS and ES module builds share a store's scheduler too. */
const schedulers = processRegistry().schedulers as WeakMap<RateLimitStore, Scheduler>;

/** The scheduler shared by every guard that uses `store` (possibly the other build's Scheduler). */
export function schedulerFor(store: RateLimitStore): Scheduler {
  let scheduler = schedulers.get(store);
  if (!scheduler) {
    scheduler = new Scheduler(store);
    schedulers.set(store, scheduler);
  }
  return scheduler;
}
