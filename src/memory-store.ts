import { addJitter, exponentialBackoff } from './backoff.js';
import { systemClock, type Clock, type TimerHandle } from './clock.js';
import { effectiveLimits, nextLearnedLimit } from './limits.js';
import type { LimitLevel } from './parse-429.js';
import { SlidingWindowLog, type WindowEntry } from './sliding-window.js';
import type {
  AcquireResult,
  KeySnapshot,
  KeySpec,
  LearnedLimits,
  Lease,
  LimitSpec,
  RateLimitStore,
  ReleaseOutcome,
  ThrottleOutcome,
  ThrottleReport,
} from './store.js';

export interface MemoryStoreOptions {
  /** @default systemClock */
  clock?: Clock;
  /** A key with nothing in flight, no pause and no activity for this long is dropped. @default 300_000 (5 min) */
  idleTtlMs?: number;
  /** How often idle keys are looked for, in ms. @default 60_000 */
  sweepIntervalMs?: number;
}

class KeyRecord {
  window: SlidingWindowLog | undefined;
  inFlight = 0;
  pausedUntil = 0;
  pausedAt = Number.NEGATIVE_INFINITY;
  /** After a pause, admit one request and wait for its answer before the rest. */
  probing = false;
  strikes = 0;
  throttled = 0;
  learned: LearnedLimits = {};
  configured: LimitSpec = {};
  /** Cache of effectiveLimits(configured, learned); undefined when either changed. */
  private effectiveCache: LimitSpec | undefined;
  lastUsed: number;

  constructor(readonly level: LimitLevel, now: number) {
    this.lastUsed = now;
  }

  get effective(): LimitSpec {
    return (this.effectiveCache ??= effectiveLimits(this.configured, this.learned));
  }

  configure(limits: LimitSpec): void {
    if (limits === this.configured) return;
    this.configured = limits;
    this.effectiveCache = undefined;
  }

  setLearned(learned: LearnedLimits): void {
    this.learned = learned;
    this.effectiveCache = undefined;
  }
}

/** The window entries a grant recorded, one per key (undefined for keys without a rate limit). */
type MemoryLease = ReadonlyArray<WindowEntry | undefined>;

/** The default store: state in this process, shared by every guard that uses it. */
export class MemoryStore implements RateLimitStore {
  readonly clock: Clock;
  private readonly records = new Map<string, KeyRecord>();
  private readonly idleTtlMs: number;
  private readonly sweepIntervalMs: number;
  private sweepTimer: TimerHandle | undefined;

  constructor(options: MemoryStoreOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.idleTtlMs = options.idleTtlMs ?? 300_000;
    this.sweepIntervalMs = options.sweepIntervalMs ?? 60_000;
  }

  /** Keys held right now (for tests and benchmarks of eviction). */
  get size(): number {
    return this.records.size;
  }

  acquire(keys: readonly KeySpec[]): AcquireResult {
    const now = this.clock.now();
    const records: KeyRecord[] = [];
    // Pauses first: a paused key is the longest wait, so report it rather than a short rate wait.
    for (const spec of keys) {
      const record = this.record(spec, now);
      records.push(record);
      if (record.pausedUntil > now) {
        return { ok: false, key: spec.id, reason: 'paused', retryInMs: record.pausedUntil - now };
      }
    }
    for (let i = 0; i < keys.length; i++) {
      const record = records[i];
      const limits = record.effective;
      const concurrent = record.probing ? 1 : limits.concurrent;
      if (concurrent !== undefined && record.inFlight >= concurrent) {
        return { ok: false, key: keys[i].id, reason: 'concurrency' };
      }
      const window = this.window(record, limits, keys[i].marginMs);
      const wait = window ? window.waitMs(now) : 0;
      if (wait !== 0) return { ok: false, key: keys[i].id, reason: 'rate', retryInMs: wait };
    }
    const lease: Array<WindowEntry | undefined> = [];
    for (const record of records) {
      lease.push(record.window?.record(now));
      record.inFlight++;
      record.lastUsed = now;
    }
    return { ok: true, lease };
  }

  release(keys: readonly KeySpec[], outcome: ReleaseOutcome, lease: Lease): void {
    const now = this.clock.now();
    const entries = lease as MemoryLease | undefined;
    for (let i = 0; i < keys.length; i++) {
      const record = this.records.get(keys[i].id);
      if (!record) continue;
      const entry = entries?.[i];
      if (entry) {
        if (outcome === 'unused') entry.stamp = entry.start;
        else if (record.window) record.window.settle(entry, now);
        else entry.stamp = now;
      }
      if (record.inFlight > 0) record.inFlight--;
      record.lastUsed = now;
      if (outcome === 'ok') {
        record.strikes = 0;
        record.probing = false;
      }
    }
  }

  throttle(spec: KeySpec, report: ThrottleReport): ThrottleOutcome {
    const now = this.clock.now();
    const record = this.record(spec, now);
    record.throttled++;
    const stale = report.sentAt <= record.pausedAt;
    if (!stale) record.strikes++;
    const strikes = Math.max(1, record.strikes);

    let learned: LearnedLimits | undefined;
    if (!stale && report.named) {
      const current = record.effective;
      learned = { ...record.learned };
      if (report.named.requests !== undefined) learned.requests = nextLearnedLimit(current.requests, report.named.requests);
      if (report.named.concurrent !== undefined) {
        learned.concurrent = nextLearnedLimit(current.concurrent, report.named.concurrent);
      }
      record.setLearned(learned);
    }

    const delay = report.delayMs ?? exponentialBackoff(strikes, report.backoff);
    const until = now + addJitter(delay, report.jitter, () => report.random);
    if (until > record.pausedUntil) record.pausedUntil = until;
    if (!stale) record.pausedAt = now;
    record.probing = true;
    return {
      strikes,
      stale,
      pausedMs: record.pausedUntil - now,
      source: report.delayMs === undefined ? 'backoff' : 'server',
      learned,
    };
  }

  snapshot(prefix: string): KeySnapshot[] {
    const now = this.clock.now();
    const out: KeySnapshot[] = [];
    for (const [key, record] of this.records) {
      if (!key.startsWith(prefix)) continue;
      out.push({
        key,
        level: record.level,
        inFlight: record.inFlight,
        pausedForMs: Math.max(0, record.pausedUntil - now),
        usedInWindow: record.window?.used(now) ?? 0,
        throttled: record.throttled,
        strikes: record.strikes,
        configured: { ...record.configured },
        learned: { ...record.learned },
        effective: { ...record.effective },
      });
    }
    return out;
  }

  /** Drops every key and stops the sweep timer. */
  clear(): void {
    this.records.clear();
    if (this.sweepTimer !== undefined) this.clock.clearTimer(this.sweepTimer);
    this.sweepTimer = undefined;
  }

  private record(spec: KeySpec, now: number): KeyRecord {
    let record = this.records.get(spec.id);
    if (!record) {
      record = new KeyRecord(spec.level, now);
      this.records.set(spec.id, record);
      this.armSweep();
    }
    record.configure(spec.limits);
    return record;
  }

  /** The key's window log, created or resized to the limit in force. */
  private window(record: KeyRecord, limits: LimitSpec, marginMs: number): SlidingWindowLog | undefined {
    if (limits.requests === undefined) return undefined;
    const windowMs = (limits.perMs ?? 1000) + marginMs;
    if (!record.window) record.window = new SlidingWindowLog(limits.requests, windowMs);
    else {
      record.window.resize(limits.requests);
      record.window.windowMs = windowMs;
    }
    return record.window;
  }

  private armSweep(): void {
    if (this.sweepTimer !== undefined) return;
    this.sweepTimer = this.clock.setTimer(() => this.sweep(), this.sweepIntervalMs, { unref: true });
  }

  private sweep(): void {
    this.sweepTimer = undefined;
    const now = this.clock.now();
    for (const [key, record] of this.records) {
      const idle =
        record.inFlight === 0 &&
        record.pausedUntil <= now &&
        record.lastUsed + this.idleTtlMs <= now &&
        (record.window?.isIdle(now) ?? true);
      if (idle) this.records.delete(key);
    }
    if (this.records.size > 0) this.armSweep();
  }
}
