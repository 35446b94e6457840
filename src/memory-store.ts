import { aimdOnSuccess, aimdOnThrottle, initialAimd, StartCounter, type AimdState } from './adaptive.js';
import { countStart, estimateAfterThrottle, estimateLimits, firstEstimate, stepUp, uncountStart, type RateEstimate } from './rate-learner.js';
import { addJitter, exponentialBackoff } from './backoff.js';
import { systemClock, type Clock, type TimerHandle } from './clock.js';
import { DEFAULT_WINDOW_MS, effectiveLimits, limitsSignature, nextLearnedLimit, strictestLimits, summarize, type EffectiveLimits } from './limits.js';
import type { LimitLevel } from './parse-429.js';
import { SlidingWindowLog } from './sliding-window.js';
import type {
  AcquireResult,
  KeySnapshot,
  KeySpec,
  LearnedLimits,
  Lease,
  LimitSpec,
  ObserveOutcome,
  QuotaObservation,
  RateLimitStore,
  ReleaseOutcome,
  ThrottleOutcome,
  ThrottleReport,
} from './store.js';
import { isKeyOfClient } from './store.js';

export interface MemoryStoreOptions {
  /** @default systemClock */
  clock?: Clock;
  /** A key with nothing in flight, no pause and no activity for this long is dropped. @default 300_000 (5 min) */
  idleTtlMs?: number;
  /** How often idle keys are looked for, in ms. @default 60_000 */
  sweepIntervalMs?: number;
}

/** What the server's remaining/reset headers left us: a budget until the reset. */
interface QuotaBudget {
  remaining: number;
  until: number;
  /** Ms between starts while spreading a low remainder; 0 = no spreading. */
  spacingMs: number;
  nextAt: number;
}

/** A key's share of a grant: its record, its window logs as they were at the grant, its entry number(s). */
type HeldEntries = number | number[] | undefined;

/** Slots per key in a grant's `more`, for the keys after the first two: record, logs, entry numbers. */
const HELD_SLOTS = 3;

/**
 * A grant, which is its own lease: acquire's answer and what release takes back, one object per request.
 * Per key, in the order of the keys, it keeps its record, its window logs as they were at the grant, and
 * the number of the entry the grant recorded in each (one number for the usual one log, an array for
 * several, undefined for none). The logs are kept, not looked up again: a log that a change of limits
 * replaced numbers its own entries. The app and token keys, nearly every request's, sit in fields; a
 * bucket key goes in a flat array: the usual grant is one allocation.
 */
class MemoryGrant {
  readonly ok = true as const;
  private record0: KeyRecord | undefined = undefined;
  private logs0: readonly SlidingWindowLog[] = NO_LOGS;
  private entries0: HeldEntries = undefined;
  private record1: KeyRecord | undefined = undefined;
  private logs1: readonly SlidingWindowLog[] = NO_LOGS;
  private entries1: HeldEntries = undefined;
  private more: Array<KeyRecord | readonly SlidingWindowLog[] | HeldEntries> | undefined = undefined;

  constructor(
    /** When the grant was made: the start of each of its entries. */
    readonly grantedAt: number,
    readonly keys: number,
  ) {}

  get lease(): MemoryGrant {
    return this;
  }

  /** What a log of acquire's answer shows: not the records and logs held. */
  toJSON(): { ok: true; grantedAt: number } {
    return { ok: true, grantedAt: this.grantedAt };
  }

  record(i: number): KeyRecord {
    return (i === 0 ? this.record0 : i === 1 ? this.record1 : this.more![(i - 2) * HELD_SLOTS]) as KeyRecord;
  }

  logs(i: number): readonly SlidingWindowLog[] {
    return i === 0 ? this.logs0 : i === 1 ? this.logs1 : (this.more![(i - 2) * HELD_SLOTS + 1] as readonly SlidingWindowLog[]);
  }

  /** The entry number in each log (`logs(i)`), or the only one's. */
  entries(i: number): HeldEntries {
    return i === 0 ? this.entries0 : i === 1 ? this.entries1 : (this.more![(i - 2) * HELD_SLOTS + 2] as HeldEntries);
  }

  /** Holds key `i`: its record, and a start at `grantedAt` recorded in each of its window logs. */
  hold(i: number, record: KeyRecord): void {
    const { logs } = record;
    const entries = logs.length === 1 ? logs[0].record(this.grantedAt) : logs.length === 0 ? undefined : logs.map((log) => log.record(this.grantedAt));
    if (i === 0) {
      this.record0 = record;
      this.logs0 = logs;
      this.entries0 = entries;
    } else if (i === 1) {
      this.record1 = record;
      this.logs1 = logs;
      this.entries1 = entries;
    } else {
      const more = (this.more ??= new Array<KeyRecord | readonly SlidingWindowLog[] | HeldEntries>((this.keys - 2) * HELD_SLOTS));
      const at = (i - 2) * HELD_SLOTS;
      more[at] = record;
      more[at + 1] = logs;
      more[at + 2] = entries;
    }
  }
}

const NO_LOGS: readonly SlidingWindowLog[] = Object.freeze([]);

/**
 * Stamps a released entry: at its start if it never went out; by its answer and the link's round trips if
 * the server processed it; at the answer itself otherwise. A 429 is answered without the work a request
 * gets (often within a ms), and a failure has no answer: neither tells how long the way back takes, and
 * letting them set the fastest round trip would make every real answer look late.
 */
function settle(log: SlidingWindowLog, seq: number, start: number, outcome: ReleaseOutcome, now: number, writtenAfterMs: number | undefined): void {
  if (outcome === 'unused') log.unused(seq);
  else log.settle(seq, start, now, outcome === 'ok' ? writtenAfterMs : undefined);
}

/**
 * Default safety margin of a window: 0.5% of it, at most 25 ms (see the windowMarginMs option). Small,
 * because entries are already stamped by the latest their requests may have arrived (see SlidingWindowLog).
 */
export function defaultMargin(windowMs: number): number {
  return Math.min(25, Math.ceil(windowMs * 0.005));
}

/**
 * The margin of a key's windows: its own, else none for a rate the learner settled on as a bucket's (its
 * limits keep a request of the bucket in hand, bucketLimits, which absorbs more jitter than this margin
 * would: 1/rate against 0.5% of k/rate), else defaultMargin's.
 */
function marginOf(record: KeyRecord, marginMs: number | undefined, windowMs: number): number {
  if (marginMs !== undefined) return marginMs;
  const estimate = record.estimate;
  return estimate && !estimate.window && !estimate.probing ? 0 : defaultMargin(windowMs);
}

/** The limits of `named` that have a value. */
function definedLimits(named: LearnedLimits): LearnedLimits {
  const limits: LearnedLimits = {};
  if (named.requests !== undefined) limits.requests = named.requests;
  if (named.concurrent !== undefined) limits.concurrent = named.concurrent;
  return limits;
}

/** Fraction of the quota under which what remains is spread over the time to the reset. */
const LOW_REMAINING_FRACTION = 0.1;
/** The same, when the server gave no quota to compare with. */
const LOW_REMAINING_DEFAULT = 5;

class KeyRecord {
  /** One log per rate in force (two when the configured and learned windows differ). */
  logs: SlidingWindowLog[] = [];
  /** The limits and margin the logs were last sized for: unchanged, they need no look. */
  logsFor: EffectiveLimits | undefined;
  logsMargin: number | undefined;
  inFlight = 0;
  pausedUntil = 0;
  pausedAt = Number.NEGATIVE_INFINITY;
  /** After a pause, admit one request and wait for its answer before the rest. */
  probing = false;
  strikes = 0;
  throttled = 0;
  learned: LearnedLimits = {};
  /** The strictest of the limits the guards that used this key lately configured (see configure). */
  configured: LimitSpec = {};
  /** Each distinct configured spec, by limitsSignature, with when a guard last used it. */
  private readonly sources = new Map<string, { limits: LimitSpec; seenAt: number }>();
  /** The spec of the last configure, and when its source was last refreshed: the usual call looks no further. */
  private lastLimits: LimitSpec | undefined;
  private lastSeenAt = Number.NEGATIVE_INFINITY;
  budget: QuotaBudget | undefined;
  /**
   * When the server's current quota window ends at the latest: the reset it gave with the first request of
   * the window (remaining = quota − 1). Reset headers in whole seconds are rounded up; this bound is not.
   */
  windowEndsBy: number | undefined;
  /** AIMD state, for keys with nothing configured and no concurrency named by the server. */
  aimd: AimdState | undefined;
  /** The learned rate is our estimate (see rate-learner.ts), not the server's word: it may still move. */
  estimate: RateEstimate | undefined;
  /** The server named the concurrency: AIMD stays off for it. */
  namedConcurrency = false;
  /** On an app key: limits the server named for one of its tokens, which hold for all of them. */
  tokenNamed: LearnedLimits | undefined;
  /** When this token key last took limits named for another token (see adoptShared). */
  sharedAt = Number.NEGATIVE_INFINITY;
  /** Starts in the last second, to seed a log created mid-run and for AIMD's decrease. */
  readonly starts = new StartCounter(DEFAULT_WINDOW_MS);
  lastStartAt = Number.NEGATIVE_INFINITY;
  lastUsed: number;
  private effectiveCache: EffectiveLimits | undefined;

  constructor(readonly level: LimitLevel, now: number) {
    this.lastUsed = now;
  }

  get effective(): EffectiveLimits {
    return (this.effectiveCache ??= effectiveLimits(this.configured, this.learned));
  }

  /**
   * Guards that share a key may configure it differently (two deploys, two teams): the key keeps the
   * strictest of the specs used in the last `holdMs`, so that neither guard's limit is exceeded by the two
   * together. A spec unused for that long stops binding. Sources are refreshed at most every tenth of
   * `holdMs`, so the usual call only compares one reference.
   */
  configure(spec: KeySpec, now: number, holdMs: number): void {
    if (spec.adaptive && !this.aimd && !this.namedConcurrency) this.aimd = initialAimd(now);
    const refreshEvery = holdMs / 10;
    if (spec.limits === this.lastLimits && now - this.lastSeenAt < refreshEvery) return;
    const signature = limitsSignature(spec.limits);
    const seen = this.sources.get(signature);
    this.lastLimits = spec.limits;
    if (seen && now - seen.seenAt < refreshEvery) {
      this.lastSeenAt = seen.seenAt;
      return;
    }
    this.lastSeenAt = now;
    this.sources.set(signature, { limits: spec.limits, seenAt: now });
    for (const [other, source] of this.sources) {
      if (now - source.seenAt >= holdMs) this.sources.delete(other);
    }
    this.configured = strictestLimits(Array.from(this.sources.values(), (source) => source.limits));
    this.effectiveCache = undefined;
  }

  setLearned(learned: LearnedLimits): void {
    this.learned = learned;
    this.effectiveCache = undefined;
  }

  /** Concurrency in force: configured or named by the server, else the AIMD window, else none. */
  concurrency(): number | undefined {
    const limit = this.effective.concurrent ?? (this.aimd ? Math.floor(this.aimd.window) : undefined);
    return this.probing ? 1 : limit;
  }
}

/** The default store: state in this process, shared by every guard that uses it. */
export class MemoryStore implements RateLimitStore {
  readonly clock: Clock;
  private readonly records = new Map<string, KeyRecord>();
  /** Reused by acquire and admit (synchronous, never re-entered) to hold the records of one decision. */
  private readonly scratch: KeyRecord[] = [];
  /** Reused by heldBack: the records of `keys` that exist, looked up once (undefined for the others). */
  private readonly found: Array<KeyRecord | undefined> = [];
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
    // Pauses first: a paused key is the longest wait, so report it rather than a short rate wait. A refusal
    // for a pause, or for the probe after one, touches nothing, so that a store that keeps them nearer the
    // caller (RedisStore's local copy) can give the same answer without asking.
    const held = this.heldBack(keys, undefined, now);
    if (held) return held;
    const records = this.scratch;
    // Filled in place (no truncation to 0 and regrowth per call); heldBack has looked the records up.
    for (let i = 0; i < keys.length; i++) records[i] = this.record(keys[i], now, this.found[i]);
    if (records.length > keys.length) records.length = keys.length;
    const shared = keys[0].level === 'client' ? records[0].tokenNamed : undefined;
    if (shared) for (let i = 1; i < keys.length; i++) if (keys[i].level === 'token') this.adoptShared(records[i], shared, now);
    for (let i = 0; i < keys.length; i++) {
      const record = records[i];
      const concurrent = record.concurrency();
      if (concurrent !== undefined && record.inFlight >= concurrent) {
        return { ok: false, key: keys[i].id, reason: 'concurrency' };
      }
      const budgetWait = this.budgetWait(record, now);
      if (budgetWait > 0) {
        // A spent quota is a wait the server imposed, like a pause (maxRetryAfterMs applies); spreading
        // what is left of it is our own pacing.
        const reason = record.budget!.remaining <= 0 ? 'paused' : 'rate';
        return { ok: false, key: keys[i].id, reason, retryInMs: budgetWait };
      }
      const logs = this.logs(record, keys[i].marginMs, now);
      // While the server counts what is left of its quota, that count is the gate: our sliding log would
      // space each window like the one before, where a fixed window resets all of it at once. A configured
      // rate always holds.
      if (record.budget && record.configured.requests === undefined) continue;
      for (const log of logs) {
        const wait = log.waitMs(now);
        if (wait !== 0) return { ok: false, key: keys[i].id, reason: 'rate', retryInMs: wait };
      }
    }
    return this.grant(records, now);
  }

  /**
   * Counts a request that another authority granted (RedisStore: a grant from Redis) as if this store had:
   * its start enters the windows and it holds its slots, without any check. Should that authority go away,
   * this store then knows the window and the requests in flight it takes over. Release it as usual.
   */
  admit(keys: readonly KeySpec[]): Lease {
    const now = this.clock.now();
    const records = this.scratch;
    for (let i = 0; i < keys.length; i++) {
      const record = this.record(keys[i], now);
      this.logs(record, keys[i].marginMs, now);
      records[i] = record;
    }
    if (records.length > keys.length) records.length = keys.length;
    return this.grant(records, now);
  }

  /** Takes a start and a slot on each of `records` (acquire has checked them, or admit does not). */
  private grant(records: readonly KeyRecord[], now: number): MemoryGrant {
    const grant = new MemoryGrant(now, records.length);
    for (let i = 0; i < records.length; i++) {
      const record = records[i];
      record.inFlight++;
      record.lastUsed = now;
      record.lastStartAt = now;
      record.starts.add(now);
      if (record.estimate) countStart(record.estimate, now);
      if (record.budget) {
        record.budget.remaining--;
        record.budget.nextAt = now + record.budget.spacingMs;
      }
      grant.hold(i, record);
    }
    return grant;
  }

  /**
   * The first of `keys` held back by what this store knows, as acquire would hold it: paused, or sending
   * its one probe after a pause with the probe still out (then look again after `probeRetryMs`, or at its
   * answer). Undefined when none is. Leaves the records it found in `found`, for acquire.
   */
  heldBack(keys: readonly KeySpec[], probeRetryMs?: number, now = this.clock.now()): AcquireResult | undefined {
    const found = this.found;
    if (found.length > keys.length) found.length = keys.length;
    // Pauses first: the first paused key, whatever the keys before it are doing; else the first probing one.
    let probing = -1;
    for (let i = 0; i < keys.length; i++) {
      const record = (found[i] = this.records.get(keys[i].id));
      if (record === undefined) continue;
      if (record.pausedUntil > now) return { ok: false, key: keys[i].id, reason: 'paused', retryInMs: record.pausedUntil - now };
      if (probing < 0 && record.probing && record.inFlight > 0) probing = i;
    }
    return probing < 0 ? undefined : { ok: false, key: keys[probing].id, reason: 'concurrency', retryInMs: probeRetryMs };
  }

  /**
   * When the request of `lease` arrived at the latest, per key whose window still holds it: its stamp once
   * answered, now while it is in flight (RedisStore hands these to Redis when it is back). An entry that
   * left its window counts in no window any more.
   */
  arrivalsOf(keys: readonly KeySpec[], lease: Lease): Array<{ id: string; at: number }> {
    const now = this.clock.now();
    const grant = lease as MemoryGrant;
    const out: Array<{ id: string; at: number }> = [];
    for (let i = 0; i < grant.keys; i++) {
      const entries = grant.entries(i);
      const entry = entries === undefined ? undefined : grant.logs(i)[0].entry(Array.isArray(entries) ? entries[0] : entries);
      if (entry) out.push({ id: keys[i].id, at: entry.stamp === Infinity ? Math.max(entry.start, now) : entry.stamp });
    }
    return out;
  }

  written(_keys: readonly KeySpec[], lease: Lease, writtenAfterMs: number): boolean {
    const grant = lease as MemoryGrant;
    const at = grant.grantedAt + writtenAfterMs;
    for (let i = 0; i < grant.keys; i++) {
      const logs = grant.logs(i);
      const entries = grant.entries(i);
      if (Array.isArray(entries)) entries.forEach((seq, j) => logs[j].written(seq, at));
      else if (entries !== undefined) logs[0].written(entries, at);
    }
    return true;
  }

  /** Gives back the slots of `lease` on the records it holds (`keys` are those it was granted for). */
  release(_keys: readonly KeySpec[], outcome: ReleaseOutcome, lease: Lease, writtenAfterMs?: number): void {
    const now = this.clock.now();
    const grant = lease as MemoryGrant;
    const start = grant.grantedAt;
    for (let i = 0; i < grant.keys; i++) {
      const record = grant.record(i);
      const logs = grant.logs(i);
      // One entry per log; the usual single log settles without a closure.
      const entries = grant.entries(i);
      if (Array.isArray(entries)) entries.forEach((seq, j) => settle(logs[j], seq, start, outcome, now, writtenAfterMs));
      else if (entries !== undefined) settle(logs[0], entries, start, outcome, now, writtenAfterMs);
      if (outcome === 'ok') {
        // Only an answer to a request sent after the pause began says the server is willing again: one that
        // was already on the wire says nothing of it, and must not end the probe nor reset the backoff.
        if (start > record.pausedAt) {
          record.strikes = 0;
          record.probing = false;
        }
        this.grow(record, now, now - start);
      } else if (outcome === 'unused') {
        // A request that never went out was not accepted: the starts that judge the server forget it.
        record.starts.remove(start, now);
        if (record.estimate) uncountStart(record.estimate, start);
      }
      if (record.inFlight > 0) record.inFlight--;
      record.lastUsed = now;
    }
  }

  throttle(spec: KeySpec, report: ThrottleReport): ThrottleOutcome {
    const now = this.clock.now();
    const record = this.record(spec, now);
    record.throttled++;
    const stale = report.sentAt <= record.pausedAt;
    if (!stale) record.strikes++;
    const strikes = Math.max(1, record.strikes);

    const delay = report.delayMs ?? exponentialBackoff(strikes, report.backoff);
    const until = now + addJitter(delay, report.jitter, () => report.random);
    if (until > record.pausedUntil) record.pausedUntil = until;

    let learned: LearnedLimits | undefined;
    if (!stale) {
      learned = report.named ? this.adoptNamed(record, report.named, report.sentAt) : this.shrinkAdaptive(record, report.kind, now);
      if (learned) record.setLearned(learned);
      const app = report.named && report.tokensOf && spec.level === 'token' ? this.records.get(report.tokensOf.id) : undefined;
      if (app) app.tokenNamed = { ...app.tokenNamed, ...definedLimits(report.named!) };
    }

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

  observe(spec: KeySpec, observation: QuotaObservation): ObserveOutcome {
    const now = this.clock.now();
    const record = this.record(spec, now);
    const outcome: ObserveOutcome = {};
    const { policy } = observation;
    if (policy && (policy.requests !== record.learned.requests || policy.perMs !== record.learned.perMs)) {
      // An advertised policy is authoritative: it replaces whatever AIMD guessed.
      record.estimate = undefined;
      record.setLearned({ ...record.learned, requests: policy.requests, perMs: policy.perMs });
      outcome.learned = record.learned;
    }
    const { remaining, resetMs } = observation;
    if (remaining !== undefined && resetMs !== undefined) {
      // Requests sent after this one may not be in the server's count yet: take them off what is left.
      const sentSince = Math.max(0, record.inFlight - (observation.counted === false ? 0 : 1));
      const left = Math.max(0, remaining - sentSince);
      const quota = policy?.requests ?? observation.limit;
      const low = quota === undefined ? LOW_REMAINING_DEFAULT : Math.max(1, Math.ceil(quota * LOW_REMAINING_FRACTION));
      const spacingMs = left > 0 && left <= low ? resetMs / left : 0;
      const otherQuota = observation.otherQuota === true;
      if (!otherQuota && quota !== undefined && remaining === quota - 1) record.windowEndsBy = now + resetMs;
      // Spent: held until the reset, or until the window that our first request opened ends, if sooner (a
      // quota of another kind, tokens, ends at its own reset).
      const endsBy = otherQuota ? undefined : record.windowEndsBy;
      const heldMs = left === 0 && endsBy !== undefined && endsBy > now && endsBy - now < resetMs ? endsBy - now : resetMs;
      record.budget = { remaining: left, until: now + (left === 0 ? heldMs : resetMs), spacingMs, nextAt: now };
      if (left === 0) outcome.heldMs = heldMs;
      else if (spacingMs > 0) outcome.spacingMs = spacingMs;
    }
    return outcome;
  }

  snapshot(prefix: string): KeySnapshot[] {
    const now = this.clock.now();
    const out: KeySnapshot[] = [];
    for (const [key, record] of this.records) {
      if (!key.startsWith(prefix)) continue;
      const effective = summarize(record.effective);
      if (effective.concurrent === undefined && record.aimd) effective.concurrent = Math.floor(record.aimd.window);
      out.push({
        key,
        level: record.level,
        inFlight: record.inFlight,
        pausedForMs: Math.max(0, record.pausedUntil - now),
        usedInWindow: record.logs[0]?.used(now) ?? 0,
        throttled: record.throttled,
        strikes: record.strikes,
        configured: { ...record.configured },
        learned: { ...record.learned },
        effective,
      });
    }
    return out;
  }

  resume(clientId: string): number {
    const now = this.clock.now();
    let resumed = 0;
    for (const [key, record] of this.records) {
      if (!isKeyOfClient(key, clientId)) continue;
      if (record.pausedUntil > now || record.budget) resumed++;
      record.pausedUntil = 0;
      record.probing = false;
      record.budget = undefined;
    }
    return resumed;
  }

  /** Drops every key and stops the sweep timer. */
  clear(): void {
    this.records.clear();
    if (this.sweepTimer !== undefined) this.clock.clearTimer(this.sweepTimer);
    this.sweepTimer = undefined;
  }

  /** The key's record, created if new, configured with `spec`. `known`: the record if already looked up. */
  private record(spec: KeySpec, now: number, known?: KeyRecord): KeyRecord {
    let record = known ?? this.records.get(spec.id);
    if (!record) {
      record = new KeyRecord(spec.level, now);
      this.records.set(spec.id, record);
      this.armSweep();
    }
    record.configure(spec, now, this.idleTtlMs);
    return record;
  }

  /** The key's window logs, created or resized to the rates in force. */
  private logs(record: KeyRecord, marginMs: number | undefined, now: number): SlidingWindowLog[] {
    const effective = record.effective;
    if (record.logsFor === effective && record.logsMargin === marginMs) return record.logs;
    record.logsFor = effective;
    record.logsMargin = marginMs;
    const { rates } = effective;
    const windowOf = (perMs: number) => perMs + marginOf(record, marginMs, perMs);
    if (rates.length !== record.logs.length) {
      record.logs = rates.map((rate, i) => {
        if (record.logs[i]) return record.logs[i];
        // A limit learned mid-run: what was sent in the last second still counts against it, as if all of
        // it had started with the latest start.
        const log = new SlidingWindowLog(rate.requests, windowOf(rate.perMs));
        if (record.lastStartAt > now - log.windowMs) log.seed(record.starts.count(now), record.lastStartAt);
        return log;
      });
    }
    rates.forEach((rate, i) => {
      const log = record.logs[i];
      log.resize(rate.requests);
      log.windowMs = windowOf(rate.perMs);
    });
    return record.logs;
  }

  /** Ms to wait because the advertised quota is spent or being spread; 0 when free to go. */
  private budgetWait(record: KeyRecord, now: number): number {
    const budget = record.budget;
    if (!budget) return 0;
    if (now >= budget.until) {
      record.budget = undefined;
      return 0;
    }
    if (budget.remaining <= 0) return budget.until - now;
    return budget.nextAt > now ? budget.nextAt - now : 0;
  }

  /** A limit named for another token of the app holds for this one too, unless it was told its own. */
  private adoptShared(record: KeyRecord, shared: LearnedLimits, now: number): void {
    let learned: LearnedLimits | undefined;
    if (shared.requests !== undefined && (record.learned.requests === undefined || record.estimate)) {
      learned = { ...record.learned, requests: shared.requests, perMs: undefined };
      record.estimate = undefined;
    }
    if (shared.concurrent !== undefined && record.learned.concurrent === undefined) {
      learned = { ...(learned ?? record.learned), concurrent: shared.concurrent };
      record.aimd = undefined;
      record.namedConcurrency = true;
    }
    if (learned) {
      record.setLearned(learned);
      record.sharedAt = now;
    }
  }

  /** A named limit (Clover's X-RateLimit-{type}) is adopted, and ends the guessing for its kind. */
  private adoptNamed(record: KeyRecord, named: LearnedLimits, sentAt: number): LearnedLimits {
    // A request sent before this key took another token's named limit was not kept to it: its 429 says
    // nothing of a quota shared with others, so the named value is taken as it is. One sent at that very
    // moment was granted by the acquire that took it (a send time is its grant time), so it was kept to it.
    const current = sentAt < record.sharedAt ? {} : summarize(record.effective);
    const learned = { ...record.learned };
    if (named.requests !== undefined) {
      // A named count shares the configured window (or a second), not our paced one.
      learned.requests = nextLearnedLimit(record.estimate ? undefined : current.requests, named.requests);
      if (record.estimate) learned.perMs = undefined;
      record.estimate = undefined;
    }
    if (named.concurrent !== undefined) {
      learned.concurrent = nextLearnedLimit(current.concurrent, named.concurrent);
      record.aimd = undefined;
      record.namedConcurrency = true;
    }
    return learned;
  }

  /**
   * A throttle that named no value on a key with nothing configured: AIMD's decrease for the concurrency,
   * the rate learner (rate-learner.ts) for the rate, unless the server named or advertised one.
   */
  private shrinkAdaptive(record: KeyRecord, kind: ThrottleReport['kind'], now: number): LearnedLimits | undefined {
    if (!record.aimd && !record.estimate) return undefined;
    const learned = { ...record.learned };
    if (kind !== 'rate' && record.aimd && record.learned.concurrent === undefined) {
      aimdOnThrottle(record.aimd, record.inFlight);
    }
    if (kind !== 'concurrency' && record.configured.requests === undefined && (learned.requests === undefined || record.estimate)) {
      const accepted = Math.max(0, record.starts.count(now) - record.inFlight);
      if (record.estimate) estimateAfterThrottle(record.estimate, accepted, record.inFlight, now, record.pausedUntil);
      else if (accepted > 0) record.estimate = firstEstimate(accepted, record.pausedUntil);
      if (record.estimate) Object.assign(learned, estimateLimits(record.estimate));
    }
    return learned;
  }

  /** AIMD's increase and the rate learner's step up, on a success answered `roundTripMs` after its grant. */
  private grow(record: KeyRecord, now: number, roundTripMs: number): void {
    if (record.aimd && record.learned.concurrent === undefined) {
      aimdOnSuccess(record.aimd, record.inFlight, roundTripMs, record.starts.count(now), now);
    }
    if (record.estimate && stepUp(record.estimate, now)) record.setLearned({ ...record.learned, ...estimateLimits(record.estimate) });
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
        record.logs.every((log) => log.isIdle(now));
      if (idle) this.records.delete(key);
    }
    if (this.records.size > 0) this.armSweep();
  }
}
