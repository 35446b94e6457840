/**
 * Where a key's state lives in Redis. For a key id `app|t:9f2c…` (the token part already hashed by the
 * guard, so no raw token ever reaches a key name) and prefix `rg:`:
 *
 * - `rg:{app}|t:9f2c…:h`  hash: pause, strikes, learned limits, configured limits (for snapshots)
 * - `rg:{app}|t:9f2c…:w1`, `:w2`  sorted sets, the sliding-window logs (one per rate in force):
 *                         member = lease id, score = estimated arrival (+inf while in flight)
 * - `rg:{app}|t:9f2c…:f`  sorted set, in-flight leases: member = lease id, score = lease expiry
 * - `rg:{app}:i`          sorted set, the index of the app's keys: member = key id, score = its expiry
 *
 * The part of the id before the first `|` (the client_id) is a hash tag, so every key one request touches
 * (its client key and its token key) lives in the same Redis Cluster slot.
 */
export interface KeyNames {
  readonly hash: string;
  readonly logs: readonly [string, string];
  readonly leases: string;
  readonly index: string;
}

export class KeyLayout {
  private readonly cache = new Map<string, KeyNames>();

  constructor(readonly prefix: string) {}

  names(id: string): KeyNames {
    let names = this.cache.get(id);
    if (!names) {
      const base = this.base(id);
      names = { hash: `${base}:h`, leases: `${base}:f`, logs: [`${base}:w1`, `${base}:w2`], index: this.indexOf(id) };
      if (this.cache.size >= 10_000) this.cache.clear(); // short-lived tokens must not grow it forever
      this.cache.set(id, names);
    }
    return names;
  }

  /** The index that lists the keys whose id starts with `prefix`, when one index holds them all. */
  indexOf(prefix: string): string {
    return `${this.prefix}{${KeyLayout.tag(prefix)}}:i`;
  }

  /** The hash tag of an id: its client_id part. Keys with the same tag can go in one script. */
  static tag(id: string): string {
    const bar = id.indexOf('|');
    return bar === -1 ? id : id.slice(0, bar);
  }

  /** The KEYS group of a key, in the order every script reads it (see scripts.ts). */
  group(id: string): string[] {
    const names = this.names(id);
    return [names.hash, names.leases, names.logs[0], names.logs[1], names.index];
  }

  private base(id: string): string {
    const bar = id.indexOf('|');
    return bar === -1 ? `${this.prefix}{${id}}` : `${this.prefix}{${id.slice(0, bar)}}${id.slice(bar)}`;
  }
}
