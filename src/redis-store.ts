/**
 * `axios-rate-guard/redis`: limits, pauses and learned values shared through Redis by every process (and
 * machine) that uses the same client_id. Nothing of it loads unless imported from this subpath, and it
 * imports neither Redis package: the caller hands in a client.
 */
import type { Clock } from './clock.js';
import { effectiveLimits, summarize } from './limits.js';
import { MemoryStore } from './memory-store.js';
import type {
  AcquireResult,
  KeySnapshot,
  KeySpec,
  Lease,
  ObserveOutcome,
  QuotaObservation,
  RateLimitStore,
  ReleaseOutcome,
  ThrottleOutcome,
  ThrottleReport,
} from './store.js';
import { isKeyOfClient } from './store.js';
import type { LimitLevel } from './parse-429.js';
import { Availability } from './redis/availability.js';
import { CallTimeouts, RedisTimeoutError } from './redis/call-timeout.js';
import { commandSender, type SendCommand } from './redis/client.js';
import { decodeLearned, decodeNumber, decodeOptional, encodeNumber, encodeSpec, replyArray } from './redis/codec.js';
import { RedisUnavailableError } from './redis/errors.js';
import { KeyLayout } from './redis/keys.js';
import { LeaseRenewer } from './redis/lease-renewer.js';
import { normalizeRedisStoreOptions, type RedisStoreOptions, type ResolvedRedisStoreOptions } from './redis/options.js';
import { ScriptRunner, type Script } from './redis/script-runner.js';
import { ACQUIRE, OBSERVE, RELEASE, RENEW, REPLAY, RESUME, SNAPSHOT, SNAPSHOT_FIELDS, THROTTLE } from './redis/scripts.js';
import { ServerTimeOffset } from './redis/server-time.js';

export { RedisUnavailableError, isRedisUnavailableError } from './redis/errors.js';
export { RedisTimeoutError } from './redis/call-timeout.js';
export { REDIS_STORE_DEFAULTS } from './redis/options.js';
export type { RedisStoreOptions, RedisFallbackEvent, RedisRecoverEvent } from './redis/options.js';
export type { RedisClientLike, IORedisLike, NodeRedisLike } from './redis/client.js';

/** A grant from Redis: its lease id and its start on the server's clock (to stamp it on release). */
interface SharedLease {
  readonly shared: true;
  readonly id: string;
  readonly start: number;
  /** The same grant counted in the fallback store, so that it knows the window and the slots if Redis fails. */
  readonly shadow?: Lease;
}

/** A grant from the in-memory fallback: it goes back to the fallback store, whatever Redis does meanwhile. */
interface LocalLease {
  readonly shared: false;
  readonly lease: Lease;
}

type StoreLease = SharedLease | LocalLease;

/** Renewal of one lease: the keys it holds a slot on. */
type HeldKeys = readonly string[];

/** Most (lease, key) pairs renewed by one script call; more go in further calls of the same round trip. */
const RENEW_BATCH = 1000;
/** Most grants of the fallback store kept for Redis (a long outage keeps the latest). */
const MAX_OUTAGE_GRANTS = 10_000;

/**
 * A RateLimitStore in Redis. Every decision (acquire, release, throttle, observe) is one Lua script run
 * with EVALSHA: atomic across processes, one round trip, on the Redis server's clock. If Redis is down or
 * slow, the store limits locally with an in-memory store (or, with `failClosed`, rejects requests) and
 * goes back to Redis when it answers again.
 */
export class RedisStore implements RateLimitStore {
  readonly clock: Clock;
  private readonly options: ResolvedRedisStoreOptions;
  private readonly send: SendCommand;
  private readonly scripts: ScriptRunner;
  private readonly layout: KeyLayout;
  private readonly timeouts: CallTimeouts;
  private readonly serverTime: ServerTimeOffset;
  private readonly renewer: LeaseRenewer<HeldKeys>;
  private readonly availability: Availability;
  private readonly local: MemoryStore;
  /** Makes this store's lease ids unique among every process on the server. */
  private readonly tag = Math.random().toString(36).slice(2, 10) + Date.now().toString(36);
  private leaseSeq = 0;
  private closed = false;
  /** Grants of the fallback store since Redis went away, handed to Redis when it is back (see replayOutage). */
  private readonly outageGrants: Array<{ keys: readonly KeySpec[]; lease: Lease }> = [];

  constructor(options: RedisStoreOptions) {
    this.options = normalizeRedisStoreOptions(options);
    const { clock } = this.options;
    this.clock = clock;
    this.send = commandSender(this.options.client);
    this.scripts = new ScriptRunner(this.send);
    this.layout = new KeyLayout(this.options.prefix);
    this.timeouts = new CallTimeouts(clock, this.options.callTimeoutMs);
    this.serverTime = new ServerTimeOffset(() => clock.wallNow() - clock.now());
    this.renewer = new LeaseRenewer(clock, this.options.leaseTtlMs / 3, (leases) => this.renew(leases));
    // The probe writes, as every script does: a Redis out of memory (maxmemory, noeviction) still answers
    // PING, and a PING probe would flip between fallback and recovery every probe interval.
    const probeKey = `${this.options.prefix}{probe}`;
    // Back only once Redis knows what the fallback let start meanwhile (or its windows would start empty).
    const probe = () => this.timeouts.track(this.send(['SET', probeKey, '1', 'PX', '1000'])).then(() => this.replayOutage());
    this.availability = new Availability(clock, this.options.probeIntervalMs, probe, {
      onFallback: this.options.onFallback,
      onRecover: this.options.onRecover,
    });
    this.local = new MemoryStore({ clock, idleTtlMs: this.options.idleTtlMs });
  }

  /** True while limits are shared through Redis; false while this process limits alone. */
  get shared(): boolean {
    return this.availability.up;
  }

  /** The in-memory store used while Redis is down; its leases are released to it whatever Redis does meanwhile. */
  get fallbackStore(): MemoryStore {
    return this.local;
  }

  /** Leases this process holds in Redis (renewed together by one timer). */
  get heldLeases(): number {
    return this.renewer.size;
  }

  acquire(keys: readonly KeySpec[]): AcquireResult | Promise<AcquireResult> {
    if (this.closed) return Promise.reject(new Error('RedisStore: acquire() after close()'));
    if (!this.availability.up) return this.acquireLocally(keys, undefined);
    // A pause this process knows of holds even where Redis does not (a 429 seen while it was down, a Redis
    // restarted empty), and so does the probe after it while it is out.
    const known = this.local.heldBack(keys, this.options.pollIntervalMs);
    if (known) return known;
    const id = `${this.tag}.${(++this.leaseSeq).toString(36)}`;
    const args = [
      this.options.timeArg(),
      id,
      String(this.options.leaseTtlMs),
      String(this.options.pollIntervalMs),
      String(this.options.idleTtlMs),
      String(keys.length),
    ];
    const redisKeys: string[] = [];
    for (const spec of keys) {
      redisKeys.push(...this.layout.group(spec.id));
      args.push(...encodeSpec(spec));
    }
    const sentAt = this.clock.now();
    const generation = this.availability.generation;
    const pending = this.scripts.run(ACQUIRE, redisKeys, args);
    return this.timeouts.track(pending).then(
      (reply): AcquireResult => {
        const fields = replyArray(reply);
        const start = this.sample(fields[0], sentAt);
        if (Number(fields[1]) === 1) {
          if (!this.closed) this.renewer.add(id, keys.map((k) => k.id));
          const lease: SharedLease = { shared: true, id, start, shadow: this.local.admit(keys) };
          return { ok: true, lease };
        }
        const refused = keys[Number(fields[2]) - 1];
        return {
          ok: false,
          key: refused.id,
          reason: String(fields[3]) as 'paused' | 'rate' | 'concurrency',
          retryInMs: decodeNumber(fields[4]),
        };
      },
      (error: unknown) => {
        // A grant that arrives after we gave up on it is handed straight back, so it holds nothing.
        if (error instanceof RedisTimeoutError) {
          pending
            .then((late) => {
              const fields = replyArray(late);
              if (Number(fields[1]) !== 1) return;
              const lease: SharedLease = { shared: true, id, start: decodeNumber(fields[0]) };
              return this.releaseShared(keys, 'unused', lease);
            })
            .catch(() => undefined);
        }
        return this.acquireLocally(keys, error, generation);
      },
    );
  }

  /** Only leases of the fallback store keep it: Redis is not told (it would cost a round trip per request). */
  written(keys: readonly KeySpec[], lease: Lease, writtenAfterMs: number): boolean {
    const held = lease as StoreLease;
    if (held.shared) {
      if (held.shadow) this.local.written(keys, held.shadow, writtenAfterMs);
      return false;
    }
    return this.local.written(keys, held.lease, writtenAfterMs);
  }

  release(keys: readonly KeySpec[], outcome: ReleaseOutcome, lease: Lease, writtenAfterMs?: number): void | Promise<void> {
    const held = lease as StoreLease;
    if (!held.shared) return this.local.release(keys, outcome, held.lease, writtenAfterMs);
    if (held.shadow) this.local.release(keys, outcome, held.shadow, writtenAfterMs);
    this.renewer.delete(held.id);
    const released = this.releaseShared(keys, outcome, held, writtenAfterMs);
    // With Redis down, do not make waiters of this process wait for the call to fail: the lease expires.
    if (!this.availability.up) return;
    return released;
  }

  throttle(spec: KeySpec, report: ThrottleReport): ThrottleOutcome | Promise<ThrottleOutcome> {
    if (this.closed || !this.availability.up) return this.local.throttle(spec, report);
    const { named } = report;
    const args = [
      this.options.timeArg(),
      ...encodeSpec(spec),
      encodeNumber(this.serverTime.toServer(report.sentAt)),
      encodeNumber(report.delayMs),
      named ? '1' : '0',
      encodeNumber(named?.requests),
      encodeNumber(named?.concurrent),
      report.kind ?? '',
      encodeNumber(report.backoff.baseMs),
      encodeNumber(report.backoff.maxMs),
      encodeNumber(report.jitter.ratio),
      encodeNumber(report.jitter.maxMs),
      encodeNumber(report.random),
      String(this.options.idleTtlMs),
      String(this.options.leaseTtlMs),
      report.tokensOf?.id ?? '',
    ];
    const keys = report.tokensOf ? [...this.layout.group(spec.id), ...this.layout.group(report.tokensOf.id)] : this.layout.group(spec.id);
    return this.call(THROTTLE, keys, args).then(
      (fields): ThrottleOutcome => {
        const outcome: ThrottleOutcome = {
          strikes: Number(fields[1]),
          stale: Number(fields[2]) === 1,
          pausedMs: decodeNumber(fields[3]),
          source: report.delayMs === undefined ? 'backoff' : 'server',
          learned: Number(fields[4]) === 1 ? decodeLearned(fields[5], fields[6], fields[7]) : undefined,
        };
        // The fallback store learns the pause too, so that an outage of Redis does not forget it.
        this.local.throttle(spec, { ...report, delayMs: outcome.pausedMs, jitter: { ratio: 0, maxMs: 0 } });
        return outcome;
      },
      // The 429 is not lost: it pauses this process at least.
      () => this.local.throttle(spec, report),
    );
  }

  observe(spec: KeySpec, observation: QuotaObservation): ObserveOutcome | Promise<ObserveOutcome> {
    if (this.closed || !this.availability.up) return this.local.observe(spec, observation);
    const { policy } = observation;
    const args = [
      this.options.timeArg(),
      ...encodeSpec(spec),
      encodeNumber(policy?.requests),
      encodeNumber(policy?.perMs),
      encodeNumber(observation.limit),
      encodeNumber(observation.remaining),
      encodeNumber(observation.resetMs),
      String(this.options.idleTtlMs),
      String(this.options.leaseTtlMs),
      observation.counted === false ? '0' : '1',
      observation.otherQuota === true ? '1' : '0',
    ];
    return this.call(OBSERVE, this.layout.group(spec.id), args).then(
      (fields): ObserveOutcome => {
        const outcome: ObserveOutcome = {};
        if (Number(fields[1]) === 1) outcome.learned = decodeLearned(fields[2], fields[3], fields[4]);
        const heldMs = decodeOptional(fields[5]);
        const spacingMs = decodeOptional(fields[6]);
        if (heldMs !== undefined) outcome.heldMs = heldMs;
        if (spacingMs !== undefined) outcome.spacingMs = spacingMs;
        return outcome;
      },
      () => this.local.observe(spec, observation),
    );
  }

  /**
   * State of the keys whose id starts with `prefix`, read from the index of the prefix's client_id (the part
   * before the first `|`): the prefix must begin with a whole client_id, as the guard's `stats()` does.
   */
  snapshot(prefix: string): KeySnapshot[] | Promise<KeySnapshot[]> {
    if (this.closed || !this.availability.up) return this.local.snapshot(prefix);
    const generation = this.availability.generation;
    return this.readSnapshot(prefix).then(
      (shared) => withLocalPauses(shared, this.local.snapshot(prefix)),
      (error: unknown) => {
        this.availability.failed(error, generation);
        return this.local.snapshot(prefix);
      },
    );
  }

  /** Ends the pauses and quota holds of `clientId`'s keys, in Redis and in the fallback store. */
  async resume(clientId: string): Promise<number> {
    const local = this.local.resume(clientId);
    if (this.closed) return local;
    const ids = (await this.indexedIds(clientId)).filter((id) => isKeyOfClient(id, clientId));
    if (ids.length === 0) return local;
    const reply = await this.call(RESUME, ids.flatMap((id) => this.layout.group(id)), [this.options.timeArg(), ...ids]);
    return Math.max(local, Number(reply[1]));
  }

  /**
   * Stops the store's timers (lease renewal, Redis probe, call timeouts). Leases still held expire in Redis
   * within `leaseTtlMs`. The Redis client is the caller's: it is left open.
   */
  close(): void {
    this.closed = true;
    this.renewer.close();
    this.availability.close();
    this.timeouts.close();
    this.local.clear();
  }

  private acquireLocally(keys: readonly KeySpec[], error: unknown, generation?: number): AcquireResult | Promise<AcquireResult> {
    if (error !== undefined) this.availability.failed(error, generation);
    if (this.options.failClosed) return Promise.reject(new RedisUnavailableError(error ?? new Error('Redis did not answer the last call')));
    const result = this.local.acquire(keys);
    if (!result.ok) return result;
    const lease: LocalLease = { shared: false, lease: result.lease };
    if (this.outageGrants.length >= MAX_OUTAGE_GRANTS) this.outageGrants.shift();
    this.outageGrants.push({ keys, lease: result.lease });
    return { ok: true, lease };
  }

  /** Writes the starts of the fallback's grants into Redis's windows, key by key; then forgets them. */
  private async replayOutage(): Promise<void> {
    if (this.outageGrants.length === 0) return;
    const byKey = new Map<string, string[]>();
    let n = 0;
    for (const { keys, lease } of this.outageGrants) {
      for (const { id, at } of this.local.arrivalsOf(keys, lease)) {
        let pairs = byKey.get(id);
        if (!pairs) byKey.set(id, (pairs = []));
        pairs.push(`fb.${this.tag}.${(++n).toString(36)}`, encodeNumber(this.serverTime.toServer(at)));
      }
    }
    const ttl = String(this.options.idleTtlMs);
    for (const [id, pairs] of byKey) {
      await this.timeouts.track(this.scripts.run(REPLAY, this.layout.group(id), [this.options.timeArg(), ttl, ...pairs]));
    }
    this.outageGrants.length = 0;
  }

  private releaseShared(keys: readonly KeySpec[], outcome: ReleaseOutcome, lease: SharedLease, writtenAfterMs?: number): Promise<void> {
    const args = [
      this.options.timeArg(),
      lease.id,
      outcome,
      encodeNumber(lease.start),
      String(this.options.idleTtlMs),
      String(this.options.leaseTtlMs),
      String(keys.length),
      encodeNumber(writtenAfterMs),
    ];
    const redisKeys: string[] = [];
    for (const spec of keys) {
      redisKeys.push(...this.layout.group(spec.id));
      args.push(spec.id);
    }
    return this.call(RELEASE, redisKeys, args).then(
      () => undefined,
      () => undefined, // the lease expires in Redis on its own
    );
  }

  /** The ids listed in the index of `prefix` that start with it (expired ones included until a script drops them). */
  private async indexedIds(prefix: string): Promise<string[]> {
    const listed = await this.timeouts.track(this.send(['ZRANGE', this.layout.indexOf(prefix), '0', '-1']));
    return (Array.isArray(listed) ? listed : []).map(String).filter((id) => id.startsWith(prefix));
  }

  private async readSnapshot(prefix: string): Promise<KeySnapshot[]> {
    const ids = await this.indexedIds(prefix);
    if (ids.length === 0) return [];
    const keys = ids.flatMap((id) => this.layout.group(id));
    const fields = await this.call(SNAPSHOT, keys, [this.options.timeArg(), ...ids]);
    const out: KeySnapshot[] = [];
    for (let at = 1; at + SNAPSHOT_FIELDS <= fields.length; at += SNAPSHOT_FIELDS) {
      const row = fields.slice(at, at + SNAPSHOT_FIELDS);
      const configured = decodeLearned(row[7], row[8], row[9]);
      const learned = decodeLearned(row[10], row[11], row[12]);
      const aimdWindow = decodeOptional(row[13]);
      const effective = summarize(effectiveLimits(configured, learned));
      if (effective.concurrent === undefined && aimdWindow !== undefined) effective.concurrent = Math.floor(aimdWindow);
      out.push({
        key: String(row[0]),
        level: String(row[1]) as LimitLevel,
        inFlight: Number(row[2]),
        pausedForMs: decodeNumber(row[3]),
        usedInWindow: Number(row[4]),
        throttled: Number(row[5]),
        strikes: Number(row[6]),
        configured,
        learned,
        effective,
      });
    }
    return out;
  }

  /**
   * Renews every lease held, in one round trip: one script call per client_id (its keys share a hash tag,
   * so each call stays in one Cluster slot), at most RENEW_BATCH keys each, all sent at once.
   */
  private renew(leases: ReadonlyArray<[string, HeldKeys]>): Promise<unknown> {
    const batches = new Map<string, { keys: string[]; args: string[] }>();
    const calls: Promise<unknown>[] = [];
    const send = (batch: { keys: string[]; args: string[] }) =>
      calls.push(this.call(RENEW, batch.keys, [this.options.timeArg(), String(this.options.leaseTtlMs), ...batch.args]));
    for (const [id, held] of leases) {
      for (const keyId of held) {
        const tag = KeyLayout.tag(keyId);
        let batch = batches.get(tag);
        if (!batch) batches.set(tag, (batch = { keys: [], args: [] }));
        batch.keys.push(...this.layout.group(keyId));
        batch.args.push(id, keyId);
        if (batch.args.length >= 2 * RENEW_BATCH) {
          send(batch);
          batches.delete(tag);
        }
      }
    }
    for (const batch of batches.values()) send(batch);
    return Promise.all(calls);
  }

  /** Runs a script with the call timeout; a failure switches to local limiting (and rejects). */
  private call(script: Script, keys: readonly string[], args: readonly string[]): Promise<unknown[]> {
    const sentAt = this.clock.now();
    const generation = this.availability.generation;
    return this.timeouts.track(this.scripts.run(script, keys, args)).then(
      (reply) => {
        const fields = replyArray(reply);
        this.sample(fields[0], sentAt);
        return fields;
      },
      (error: unknown) => {
        this.availability.failed(error, generation);
        throw error;
      },
    );
  }

  /** Learns the server's clock from a reply sent at local `sentAt`; returns the server's time. */
  private sample(serverNow: unknown, sentAt: number): number {
    const now = decodeNumber(serverNow);
    this.serverTime.sample(now, sentAt, this.clock.now());
    return now;
  }
}

/** Redis's snapshots, with the pauses this process enforces beyond them (kept across a Redis restarted empty). */
function withLocalPauses(shared: KeySnapshot[], local: KeySnapshot[]): KeySnapshot[] {
  for (const mine of local) {
    if (mine.pausedForMs <= 0) continue;
    const theirs = shared.find((snapshot) => snapshot.key === mine.key);
    if (!theirs) shared.push(mine);
    else if (theirs.pausedForMs < mine.pausedForMs) theirs.pausedForMs = mine.pausedForMs;
  }
  return shared;
}
