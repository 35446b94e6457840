import { Limiter, type LimiterConfig } from '../../emulator/limiter.js';

const NONE: LimiterConfig = {
  windowMs: 1000,
  appRate: undefined,
  tokenRate: undefined,
  appConcurrent: undefined,
  tokenConcurrent: undefined,
  retryAfterSec: 1,
  penalty: false,
};

function limiter(config: Partial<LimiterConfig>): Limiter {
  return new Limiter({ ...NONE, ...config });
}

/** Admits and immediately finishes, so concurrency never interferes. */
function hit(l: Limiter, app: string, token: string, now: number) {
  const a = l.admit(app, token, now);
  if (a.accepted) l.release(app, token);
  return a;
}

describe('Limiter: rate windows', () => {
  it('limits per app over a sliding (not fixed) window and names crossTokenLimit', () => {
    const l = limiter({ appRate: 3 });
    expect(hit(l, 'a', 't1', 0).accepted).toBe(true);
    expect(hit(l, 'a', 't2', 400).accepted).toBe(true);
    expect(hit(l, 'a', 't3', 800).accepted).toBe(true);
    expect(hit(l, 'a', 't1', 900)).toMatchObject({ accepted: false, limit: 'crossTokenLimit', value: 3 });
    expect(hit(l, 'a', 't1', 1000).accepted).toBe(true); // the stamp at 0 left at exactly 1000
    // A fixed 1-second window starting at 1000 would hold one request here; the sliding one holds 400, 800, 1000.
    expect(hit(l, 'a', 't1', 1300)).toMatchObject({ accepted: false, limit: 'crossTokenLimit' });
    expect(hit(l, 'b', 't1', 1300).accepted).toBe(true); // other apps have their own window
  });

  it('limits per token and names tokenLimit; the app limit is checked first', () => {
    const l = limiter({ appRate: 3, tokenRate: 2 });
    expect(hit(l, 'a', 'x', 0).accepted).toBe(true);
    expect(hit(l, 'a', 'x', 1).accepted).toBe(true);
    expect(hit(l, 'a', 'x', 2)).toMatchObject({ accepted: false, limit: 'tokenLimit', value: 2 });
    expect(hit(l, 'a', 'y', 3).accepted).toBe(true);
    expect(hit(l, 'a', 'y', 4)).toMatchObject({ accepted: false, limit: 'crossTokenLimit', value: 3 });
  });

  it('does not count rejected requests in the windows', () => {
    const l = limiter({ appRate: 1 });
    expect(hit(l, 'a', 't', 0).accepted).toBe(true);
    for (let t = 100; t < 1000; t += 100) expect(hit(l, 'a', 't', t).accepted).toBe(false);
    expect(hit(l, 'a', 't', 1000).accepted).toBe(true);
  });
});

describe('Limiter: concurrency', () => {
  it('limits in-flight per token, then per app, until release', () => {
    const l = limiter({ appConcurrent: 3, tokenConcurrent: 2 });
    expect(l.admit('a', 'x', 0).accepted).toBe(true);
    expect(l.admit('a', 'x', 0).accepted).toBe(true);
    expect(l.admit('a', 'x', 0)).toMatchObject({ accepted: false, limit: 'tokenConcurrentLimit', value: 2 });
    expect(l.admit('a', 'y', 0).accepted).toBe(true);
    expect(l.admit('a', 'z', 0)).toMatchObject({ accepted: false, limit: 'crossTokenConcurrentLimit', value: 3 });
    l.release('a', 'y');
    expect(l.admit('a', 'z', 0).accepted).toBe(true);
  });

  it('a rejected request takes no slot', () => {
    const l = limiter({ tokenConcurrent: 1 });
    expect(l.admit('a', 'x', 0).accepted).toBe(true);
    expect(l.admit('a', 'x', 0).accepted).toBe(false);
    expect(l.admit('a', 'x', 0).accepted).toBe(false);
    l.release('a', 'x'); // one release frees the only slot
    expect(l.admit('a', 'x', 0).accepted).toBe(true);
  });
});

describe('Limiter: pause and penalty', () => {
  it('rejects during the pause, extends it, and names the original limit', () => {
    const l = limiter({ appRate: 1, retryAfterSec: 1, penalty: true });
    expect(hit(l, 'a', 't', 0).accepted).toBe(true);
    expect(hit(l, 'a', 't', 10)).toMatchObject({ accepted: false, limit: 'crossTokenLimit', appPaused: false });
    // Pause announced until 1010. The window alone would accept at 1005.
    expect(hit(l, 'a', 'other', 500)).toMatchObject({ accepted: false, limit: 'crossTokenLimit', appPaused: true });
    // ...extended to 1500, so 1200 is still inside, and extends it to 2200.
    expect(hit(l, 'a', 't', 1200)).toMatchObject({ accepted: false, appPaused: true });
    expect(hit(l, 'a', 't', 2199)).toMatchObject({ accepted: false, appPaused: true }); // -> 3199
    expect(hit(l, 'a', 't', 3199)).toMatchObject({ accepted: true, appPaused: false });
  });

  it('a token pause stops that token only; an app pause stops every token of the app', () => {
    const l = limiter({ tokenRate: 1, appConcurrent: 1, retryAfterSec: 1, penalty: true });
    expect(hit(l, 'a', 'x', 0).accepted).toBe(true);
    expect(hit(l, 'a', 'x', 1)).toMatchObject({ accepted: false, limit: 'tokenLimit' });
    expect(hit(l, 'a', 'y', 2)).toMatchObject({ accepted: true, tokenPaused: false });
    expect(hit(l, 'a', 'x', 3)).toMatchObject({ accepted: false, limit: 'tokenLimit', tokenPaused: true });

    expect(l.admit('b', 'p', 0).accepted).toBe(true);
    expect(l.admit('b', 'q', 0)).toMatchObject({ accepted: false, limit: 'crossTokenConcurrentLimit' });
    l.release('b', 'p');
    expect(l.admit('b', 'r', 500)).toMatchObject({ accepted: false, limit: 'crossTokenConcurrentLimit', appPaused: true });
  });

  it('when app and token are both paused, extends both and names the app limit', () => {
    const l = limiter({ appRate: 2, tokenRate: 1, retryAfterSec: 1, penalty: true });
    hit(l, 'a', 'x', 0);
    expect(hit(l, 'a', 'x', 1)).toMatchObject({ limit: 'tokenLimit' }); // token x paused until 1001
    hit(l, 'a', 'y', 2);
    expect(hit(l, 'a', 'z', 3)).toMatchObject({ limit: 'crossTokenLimit' }); // app paused until 1003
    expect(hit(l, 'a', 'x', 900)).toMatchObject({ accepted: false, limit: 'crossTokenLimit', appPaused: true, tokenPaused: true });
    // Both pauses now end at 1900.
    expect(hit(l, 'other', 'x', 1899)).toMatchObject({ accepted: false, limit: 'tokenLimit', tokenPaused: true });
  });

  it('without penalty, flags the arrival but applies only the normal limits', () => {
    const l = limiter({ appRate: 1, retryAfterSec: 5, penalty: false });
    hit(l, 'a', 't', 0);
    expect(hit(l, 'a', 't', 1)).toMatchObject({ accepted: false, appPaused: false });
    expect(hit(l, 'a', 't', 1000)).toMatchObject({ accepted: true, appPaused: true });
  });

  it('Retry-After 0 announces no pause', () => {
    const l = limiter({ appRate: 1, retryAfterSec: 0, penalty: true });
    hit(l, 'a', 't', 0);
    expect(hit(l, 'a', 't', 1).accepted).toBe(false);
    expect(hit(l, 'a', 't', 1000)).toMatchObject({ accepted: true, appPaused: false });
  });
});
