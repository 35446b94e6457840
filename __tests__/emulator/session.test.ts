import { tokenLabel } from '../../emulator/identity.js';
import { normalizeOptions } from '../../emulator/options.js';
import { EmulatorSession } from '../../emulator/session.js';
import type { EmulatorOptions } from '../../emulator/types.js';

/** A session on a hand-driven clock: `at(ms)` sets the time of the next arrival. */
function session(options: EmulatorOptions) {
  let now = 5000; // any origin: the session reports time relative to its start
  const ids = ['id-1', 'id-2', 'id-3', 'id-4', 'id-5', 'id-6'];
  const s = new EmulatorSession(normalizeOptions(options), { now: () => now, newId: () => ids.shift() ?? 'id-x' });
  return {
    s,
    at(ms: number) {
      now = 5000 + ms;
      return this;
    },
    arrive(token: string, path = '/p', app = 'app') {
      return s.arrive({ app, token, path });
    },
  };
}

describe('EmulatorSession', () => {
  it('drops Retry-After on every k-th 429 and records only the values sent', () => {
    const h = session({ vendor: 'genesys', tokenRate: 1, penalty: false, retryAfterSec: 3 });
    const sent: Array<string | undefined> = [];
    for (let i = 0; i < 5; i++) {
      const ticket = h.at(i).arrive('t');
      ticket.leave();
      if (!ticket.accepted) sent.push(ticket.reply.headers['Retry-After']);
    }
    expect(sent).toEqual(['3', undefined, '3', undefined]);
    expect(h.s.stats().retryAfterSent).toEqual([3, 3]);
  });

  it('never drops Retry-After when omitRetryAfterEvery is 0', () => {
    const h = session({ vendor: 'genesys', tokenRate: 1, penalty: false, omitRetryAfterEvery: 0 });
    for (let i = 0; i < 4; i++) h.at(i).arrive('t').leave();
    expect(h.s.stats().retryAfterSent).toEqual([1, 1, 1]);
  });

  it('records a timeline relative to its start, with token labels and the limit named', () => {
    const h = session({ vendor: 'clover', appRate: null, tokenRate: 1, retryAfterSec: 1 });
    h.at(0).arrive('secret-token', '/a?x=1').leave();
    h.at(10).arrive('secret-token', '/b').leave();
    h.at(20).arrive('secret-token', '/c').leave();
    const stats = h.s.stats();
    const label = tokenLabel('secret-token');
    expect(label).toMatch(/^[0-9a-f]{6}$/);
    expect(JSON.stringify(stats)).not.toContain('secret-token');
    expect(stats.timeline).toEqual([
      { t: 0, status: 200, app: 'app', token: label, path: '/a?x=1', duringPause: false },
      { t: 10, status: 429, app: 'app', token: label, path: '/b', duringPause: false, limit: 'tokenLimit' },
      { t: 20, status: 429, app: 'app', token: label, path: '/c', duringPause: true, limit: 'tokenLimit' },
    ]);
    expect(stats.byToken[label]).toEqual({ accepted: 1, rejected: 2, arrivedDuringPause: 1, maxInFlight: 1, maxInAnyWindow: 1 });
    expect(stats.byApp.app.arrivedDuringPause).toBe(0); // only the token was paused
    expect(stats.arrivedDuringPause).toBe(1);
    expect(stats.rejectedByLimit).toEqual({ crossTokenLimit: 0, tokenLimit: 2, crossTokenConcurrentLimit: 0, tokenConcurrentLimit: 0 });
    expect(stats.acceptedByPath).toEqual({ '/a?x=1': 1 });
  });

  it('counts every arrival in flight until leave, and leave is idempotent', () => {
    const h = session({ vendor: 'clover', tokenConcurrent: 1, penalty: false });
    const first = h.at(0).arrive('t');
    const second = h.at(1).arrive('t'); // rejected, but in flight until its answer ends
    expect(first.accepted).toBe(true);
    expect(second.accepted).toBe(false);
    second.leave();
    first.leave();
    first.leave(); // a second call must not free another slot
    const third = h.at(2).arrive('t');
    const fourth = h.at(3).arrive('t');
    expect(third.accepted).toBe(true);
    expect(fourth.accepted).toBe(false);
    const stats = h.s.stats();
    expect(stats.maxInFlightPerToken).toBe(2);
    expect(stats.maxInFlightPerApp).toBe(2);
  });

  it('names the app default and token anonymous as given, and keeps "anonymous" readable', () => {
    const h = session({ vendor: 'giponext' });
    h.at(0).arrive('anonymous', '/', 'default').leave();
    expect(Object.keys(h.s.stats().byToken)).toEqual(['anonymous']);
    expect(Object.keys(h.s.stats().byApp)).toEqual(['default']);
  });

  it('returns a copy: later requests do not change a snapshot', () => {
    const h = session({ vendor: 'giponext' });
    h.at(0).arrive('t').leave();
    const snapshot = h.s.stats();
    h.at(1).arrive('t').leave();
    expect(snapshot.received).toBe(1);
    expect(snapshot.timeline).toHaveLength(1);
  });

  it('passes the correlation id into the Genesys body', () => {
    const h = session({ vendor: 'genesys', tokenRate: 1 });
    h.at(0).arrive('t').leave();
    const ticket = h.at(1).arrive('t');
    if (ticket.accepted) throw new Error('expected a 429');
    expect(ticket.reply.headers['ININ-Correlation-Id']).toBe('id-1');
    expect(JSON.parse(ticket.reply.body).contextId).toBe('id-1');
  });
});
