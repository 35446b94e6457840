/**
 * The contract every RateLimitStore meets, run against each store (memory now; others reuse it).
 * `make()` returns a fresh store on a clock the test can move: `advance(ms)` moves that clock.
 */
import { pacedLimits, PROBE_FACTOR } from '../../src/rate-learner';
import type { KeySpec, RateLimitStore } from '../../src/store';

export interface StoreUnderTest {
  store: RateLimitStore;
  advance(ms: number): Promise<void>;
  close?(): Promise<void>;
}

const BACKOFF = { baseMs: 1000, maxMs: 60_000 };
const NO_JITTER = { ratio: 0, maxMs: 0 };

export function describeStoreContract(name: string, make: () => Promise<StoreUnderTest>): void {
  describe(`${name} meets the store contract`, () => {
    let subject: StoreUnderTest;
    let prefix = 0;
    const key = (limits: KeySpec['limits'], level: KeySpec['level'] = 'client'): KeySpec => ({
      id: `contract-${++prefix}-${Math.random().toString(36).slice(2, 8)}`,
      level,
      limits,
      marginMs: 0,
    });

    beforeEach(async () => {
      subject = await make();
    });
    afterEach(async () => {
      await subject.close?.();
    });

    it('resumes the paused and held keys of one app and its tokens, not of another app', async () => {
      const { store } = subject;
      const app = key({});
      const token: KeySpec = { ...key({}, 'token'), id: `${app.id}|t:abc` };
      const other: KeySpec = { ...key({}), id: `${app.id}x` };
      const report = { backoff: BACKOFF, jitter: NO_JITTER, random: 0, delayMs: 3_600_000 };
      for (const k of [app, token, other]) await store.throttle(k, { ...report, sentAt: 0 });
      expect(await store.resume!(app.id)).toBe(2);
      expect((await store.acquire([app, token])).ok).toBe(true);
      const refused = await store.acquire([other]);
      expect(refused.ok ? undefined : refused.reason).toBe('paused');
      expect(await store.resume!(app.id)).toBe(0);
    });

    it('keeps the strictest limits of the guards that share a key, until one is unused for the idle TTL (5 min)', async () => {
      const { store } = subject;
      const strict = key({ requests: 2, perMs: 1000 });
      const loose: KeySpec = { ...strict, limits: { requests: 5, perMs: 1000, concurrent: 1 } };
      const lease = async (spec: KeySpec) => {
        const result = await store.acquire([spec]);
        return result.ok ? result.lease : result.reason;
      };
      const first = await lease(strict);
      await store.release([strict], 'ok', first);
      const second = await lease(loose);
      expect(await lease(loose)).toBe('concurrency'); // the loose guard's own concurrency of 1
      await store.release([loose], 'ok', second);
      expect(await lease(loose)).toBe('rate'); // the strict guard's 2 per second, counting both guards' starts
      expect((await store.snapshot(strict.id))[0].configured).toEqual({ requests: 2, perMs: 1000, concurrent: 1 });

      await subject.advance(300_000);
      // The strict guard has not been seen for the idle TTL: the loose one's 5 per second are its own again.
      for (let i = 0; i < 5; i++) {
        const granted = await lease(loose);
        expect(typeof granted).not.toBe('string');
        await store.release([loose], 'ok', granted);
      }
      expect(await lease(loose)).toBe('rate');
    });

    it('keeps the probe and the strikes when a request sent before the pause answers after it', async () => {
      const { store } = subject;
      const k = key({});
      const stale = await store.acquire([k]);
      await subject.advance(50);
      const throttled = await store.throttle(k, { backoff: BACKOFF, jitter: NO_JITTER, random: 0, sentAt: 0, delayMs: 1000 });
      expect(throttled.strikes).toBe(1);
      await subject.advance(100);
      if (stale.ok) await store.release([k], 'ok', stale.lease); // on the wire at the 429, answered 200 after it
      await subject.advance(1000);
      const probe = await store.acquire([k]);
      expect(probe.ok).toBe(true);
      const second = await store.acquire([k]);
      expect(second.ok ? 'granted' : second.reason).toBe('concurrency'); // one probe at a time
      if (probe.ok) await store.release([k], 'throttled', probe.lease);
      const again = await store.throttle(k, { backoff: BACKOFF, jitter: NO_JITTER, random: 0, sentAt: store.clock.now() });
      expect(again.strikes).toBe(2); // the stale 200 did not reset the backoff
    });

    it('grants N per window, then says how long to wait', async () => {
      const k = key({ requests: 2, perMs: 1000 });
      const { store } = subject;
      const a = await store.acquire([k]);
      const b = await store.acquire([k]);
      expect(a.ok && b.ok).toBe(true);
      if (a.ok) await store.release([k], 'ok', a.lease);
      if (b.ok) await store.release([k], 'ok', b.lease);
      const c = await store.acquire([k]);
      expect(c).toMatchObject({ ok: false, key: k.id, reason: 'rate' });
      if (!c.ok) expect(c.retryInMs).toBeGreaterThan(900);
      await subject.advance(1001);
      expect((await store.acquire([k])).ok).toBe(true);
    });

    it('takes all keys or none, and names the key that refused', async () => {
      const app = key({ requests: 10, perMs: 1000 });
      const token = key({ concurrent: 1 }, 'token');
      const { store } = subject;
      const first = await store.acquire([app, token]);
      expect(first.ok).toBe(true);
      const second = await store.acquire([app, token]);
      expect(second).toMatchObject({ ok: false, key: token.id, reason: 'concurrency' });
      const snapshot = await store.snapshot(app.id);
      expect(snapshot[0].usedInWindow).toBe(1); // the refused request took nothing from the app
      if (first.ok) await store.release([app, token], 'ok', first.lease);
      expect((await store.acquire([app, token])).ok).toBe(true);
    });

    it('pauses a key on a throttle, for the server delay, then lets one probe through first', async () => {
      const k = key({});
      const { store } = subject;
      const sent = await store.acquire([k]);
      if (!sent.ok) throw new Error('expected a grant');
      const outcome = await store.throttle(k, { sentAt: 0, delayMs: 2000, backoff: BACKOFF, jitter: NO_JITTER, random: 0 });
      await store.release([k], 'throttled', sent.lease);
      expect(outcome).toMatchObject({ strikes: 1, stale: false, source: 'server' });
      expect(outcome.pausedMs).toBeGreaterThan(1900);
      expect(await store.acquire([k])).toMatchObject({ ok: false, reason: 'paused' });
      await subject.advance(2001);
      const probe = await store.acquire([k]);
      expect(probe.ok).toBe(true);
      expect(await store.acquire([k])).toMatchObject({ ok: false, reason: 'concurrency' });
      if (probe.ok) await store.release([k], 'ok', probe.lease);
      expect((await store.acquire([k])).ok).toBe(true);
    });

    it('forgets a grant given back unused: the rate learner counts only the requests that went out', async () => {
      const k: KeySpec = { ...key({}), adaptive: true };
      const { store } = subject;
      const grant = async () => {
        const granted = await store.acquire([k]);
        if (!granted.ok) throw new Error(`expected a grant: ${JSON.stringify(granted)}`);
        return granted.lease;
      };
      for (const outcome of ['ok', 'unused', 'ok', 'unused', 'ok'] as const) await store.release([k], outcome, await grant());
      const refused = await grant();
      const outcome = await store.throttle(k, { sentAt: Number.POSITIVE_INFINITY, delayMs: 1000, kind: 'rate', backoff: BACKOFF, jitter: NO_JITTER, random: 0 });
      await store.release([k], 'throttled', refused);
      // Three went out before the refused one and were accepted: the probe paces at PROBE_FACTOR × 3 per second.
      expect(outcome.learned).toEqual(pacedLimits(PROBE_FACTOR * 3));

      // The probe, after the pause: 4 accepted and 2 given back unused, then one refused. Since the probe began,
      // (4 − the flash of 3) / 1 s = 1 per second, at most half the flash: a window of the 4 accepted per second.
      // Counting the unused two would make it a bucket of 3 per second.
      await subject.advance(1001);
      for (const outcome of ['ok', 'unused', 'ok', 'unused', 'ok', 'ok'] as const) {
        await store.release([k], outcome, await grant());
        await subject.advance(100);
      }
      const overshoot = await grant();
      const second = await store.throttle(k, { sentAt: Number.POSITIVE_INFINITY, delayMs: 1000, kind: 'rate', backoff: BACKOFF, jitter: NO_JITTER, random: 0 });
      await store.release([k], 'throttled', overshoot);
      expect(second.learned).toEqual({ requests: 4, perMs: 1000 });
    });

    it('backs off exponentially without a server delay, and adopts a named limit', async () => {
      const k = key({ requests: 20, perMs: 1000 });
      const { store } = subject;
      const report = { backoff: BACKOFF, jitter: NO_JITTER, random: 0.5 };
      const first = await store.throttle(k, { ...report, sentAt: Number.POSITIVE_INFINITY, named: { requests: 16 } });
      expect(first).toMatchObject({ strikes: 1, source: 'backoff', learned: { requests: 16 } });
      await subject.advance(1001);
      const second = await store.throttle(k, { ...report, sentAt: Number.POSITIVE_INFINITY });
      expect(second.strikes).toBe(2);
      expect(second.pausedMs).toBeGreaterThan(1900);
      const [snapshot] = await store.snapshot(k.id);
      expect(snapshot.effective).toMatchObject({ requests: 16, perMs: 1000 });
      expect(snapshot.throttled).toBe(2);
    });

    it('takes an endpoint bucket as a key after [app, token]: it refuses and pauses alone, and a token limit named for the app still reaches the token at position 1', async () => {
      const { store } = subject;
      const app = key({});
      const token: KeySpec = { ...key({}, 'token'), id: `${app.id}|t:abc` };
      const bucket: KeySpec = { id: `${app.id}|b:search`, level: 'bucket', limits: { requests: 1, perMs: 1000 }, marginMs: 0 };
      const first = await store.acquire([app, token, bucket]);
      expect(first.ok).toBe(true);
      // The bucket's rate refuses the next search, not the core requests of the same token.
      expect(await store.acquire([app, token, bucket])).toMatchObject({ ok: false, key: bucket.id, reason: 'rate' });
      expect(await store.acquire([app, bucket])).toMatchObject({ ok: false, key: bucket.id, reason: 'rate' });
      const core = await store.acquire([app, token]);
      expect(core.ok).toBe(true);
      // A bucket throttled: the bucket pauses, the app and token do not.
      await store.throttle(bucket, { sentAt: 0, delayMs: 5000, backoff: BACKOFF, jitter: NO_JITTER, random: 0 });
      await subject.advance(1001);
      expect(await store.acquire([app, token, bucket])).toMatchObject({ ok: false, key: bucket.id, reason: 'paused' });
      // A limit named for one token is kept on the app and taken by the token at position 1, not by the bucket.
      await store.throttle(token, { sentAt: 1001, delayMs: 1, named: { concurrent: 9 }, tokensOf: app, backoff: BACKOFF, jitter: NO_JITTER, random: 0 });
      const other: KeySpec = { ...token, id: `${app.id}|t:def` };
      await subject.advance(10);
      const withBucket = await store.acquire([app, other, { ...bucket, id: `${other.id}|b:~x` }]);
      expect(withBucket.ok).toBe(true);
      const snapshots = await store.snapshot(app.id);
      expect(snapshots.find((s) => s.key === other.id)?.learned).toMatchObject({ concurrent: 9 });
      expect(snapshots.find((s) => s.key === `${other.id}|b:~x`)).toMatchObject({ level: 'bucket', learned: {} });
      expect(snapshots.find((s) => s.key === bucket.id)).toMatchObject({ level: 'bucket', throttled: 1 });
      if (first.ok) await store.release([app, token, bucket], 'ok', first.lease);
      if (core.ok) await store.release([app, token], 'ok', core.lease);
    });
  });
}
