/**
 * The Redis store's parts that need no Redis, on fake time: call timeouts, lease renewal, the
 * fallback/recover switch, the server clock offset, key names and argument encoding.
 */
import { Availability } from '../../src/redis/availability';
import { CallTimeouts, RedisTimeoutError } from '../../src/redis/call-timeout';
import { commandSender } from '../../src/redis/client';
import { decodeLearned, encodeNumber, encodeSpec } from '../../src/redis/codec';
import { KeyLayout } from '../../src/redis/keys';
import { LeaseRenewer } from '../../src/redis/lease-renewer';
import { ServerTimeOffset } from '../../src/redis/server-time';
import { FakeClock, flush } from '../helpers/fake-clock';

const never = () => new Promise<never>(() => undefined);

describe('CallTimeouts', () => {
  it('fails a call that does not answer in time, with one timer for every pending call', async () => {
    const clock = new FakeClock();
    const timeouts = new CallTimeouts(clock, 100);
    const slow = timeouts.track(never()).catch((e: unknown) => e);
    await clock.advance(30);
    const fast = timeouts.track(Promise.resolve('ok'));
    const later = timeouts.track(never()).catch((e: unknown) => e);
    expect(clock.pendingTimers()).toBe(1);
    await expect(fast).resolves.toBe('ok');
    await clock.advance(70);
    expect(await slow).toBeInstanceOf(RedisTimeoutError);
    let settled = false;
    void later.then(() => (settled = true));
    await clock.advance(29);
    expect(settled).toBe(false);
    await clock.advance(1);
    expect(await later).toMatchObject({ timeoutMs: 100 });
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe('LeaseRenewer', () => {
  it('renews all held leases in one call per tick from one timer, and stops with none held', async () => {
    const clock = new FakeClock();
    const rounds: string[][] = [];
    const renewer = new LeaseRenewer<string>(clock, 100, async (leases) => rounds.push(leases.map(([id]) => id)));
    for (let i = 0; i < 50; i++) renewer.add(`l${i}`, 'keys');
    expect(clock.pendingTimers()).toBe(1);
    await clock.advance(100);
    expect(rounds).toHaveLength(1);
    expect(rounds[0]).toHaveLength(50);
    for (let i = 0; i < 49; i++) renewer.delete(`l${i}`);
    await clock.advance(100);
    expect(rounds[1]).toEqual(['l49']);
    renewer.delete('l49');
    expect(clock.pendingTimers()).toBe(0);
  });

  it('does not pile up renewals while one is still unanswered', async () => {
    const clock = new FakeClock();
    let calls = 0;
    const renewer = new LeaseRenewer<string>(clock, 100, () => {
      calls++;
      return never();
    });
    renewer.add('a', 'keys');
    await clock.advance(500);
    expect(calls).toBe(1);
    renewer.close();
  });
});

describe('Availability', () => {
  it('announces a fallback once, probes until Redis answers, announces the recovery once', async () => {
    const clock = new FakeClock();
    let answer = false;
    const events: string[] = [];
    const availability = new Availability(clock, 50, () => (answer ? Promise.resolve('PONG') : Promise.reject(new Error('down'))), {
      onFallback: (e) => events.push(`fallback ${(e.error as Error).message}`),
      onRecover: (e) => events.push(`recover after ${e.downMs}`),
    });
    const before = availability.generation;
    availability.failed(new Error('ECONNREFUSED'));
    availability.failed(new Error('again'));
    expect(availability.up).toBe(false);
    await clock.advance(120);
    expect(events).toEqual(['fallback ECONNREFUSED']);
    answer = true;
    await clock.advance(50);
    expect(availability.up).toBe(true);
    expect(events).toEqual(['fallback ECONNREFUSED', 'recover after 150']);
    // A call sent before the recovery that fails late does not undo it.
    availability.failed(new Error('late'), before);
    expect(availability.up).toBe(true);
    availability.close();
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe('ServerTimeOffset', () => {
  it('translates local time to server time from the tightest recent round trip', () => {
    const offset = new ServerTimeOffset(() => 5000);
    expect(offset.toServer(10)).toBe(5010);
    offset.sample(1_000_105, 100, 110); // server read 1_000_105 at local ~105: offset 1_000_000
    expect(offset.toServer(200)).toBe(1_000_200);
    offset.sample(2_000_000, 300, 400); // a slow answer says little
    expect(offset.toServer(200)).toBe(1_000_200);
    expect(offset.toServer(Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
    offset.sample(990_000, 11_000, 11_100); // slow too, but the last good one is 10 s old: clocks drift
    expect(offset.toServer(11_050)).toBe(990_000);
  });
});

describe('key layout and arguments', () => {
  it('keeps the client id as a hash tag, so that the keys of one request share a Cluster slot', () => {
    const layout = new KeyLayout('rg:');
    expect(layout.group('app')).toEqual(['rg:{app}:h', 'rg:{app}:f', 'rg:{app}:w1', 'rg:{app}:w2', 'rg:{app}:i']);
    expect(layout.group('app|t:9f2c')).toEqual([
      'rg:{app}|t:9f2c:h',
      'rg:{app}|t:9f2c:f',
      'rg:{app}|t:9f2c:w1',
      'rg:{app}|t:9f2c:w2',
      'rg:{app}:i',
    ]);
    expect(layout.indexOf('app|t:')).toBe('rg:{app}:i');
  });

  it('encodes absent and infinite numbers, and decodes absent learned values', () => {
    expect([encodeNumber(undefined), encodeNumber(Infinity), encodeNumber(-Infinity), encodeNumber(0.25)]).toEqual(['', 'inf', '-inf', '0.25']);
    expect(encodeSpec({ id: 'a', level: 'token', limits: { requests: 5 }, adaptive: true })).toEqual(['a', 'token', '5', '', '', '', '1']);
    expect(decodeLearned('4', '-1', '')).toEqual({ requests: 4 });
  });

  it('accepts an ioredis-like or node-redis-like client and nothing else', async () => {
    const calls: unknown[] = [];
    await commandSender({ call: async (command: string, args: Array<string | number>) => calls.push([command, args]) })(['PING', 'x']);
    await commandSender({ sendCommand: async (args: string[]) => calls.push(args) })(['PING', 'y']);
    expect(calls).toEqual([['PING', ['x']], ['PING', 'y']]);
    expect(() => commandSender({} as never)).toThrow(/ioredis client \(v5\) or a node-redis client/);
    await flush();
  });
});
