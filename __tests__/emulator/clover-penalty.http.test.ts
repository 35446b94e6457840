import { tokenLabel } from '../../emulator/index.js';
import { bearer, send, sleepUntil, useEmulators } from './helpers.js';

// Real server, real time. Each burst below is a handful of local requests that take a few ms; the windows,
// latencies and pauses they must fit in are ~1 s, so the outcomes do not depend on machine speed.

const { agent, start: clover } = useEmulators('clover');

describe('Clover emulator: pause and penalty', () => {
  it('extends the pause when the app sends inside it, and counts arrivedDuringPause', async () => {
    // Retry-After 2 s: the checks below sit ~1 s from each pause boundary.
    const emu = await clover({ windowMs: 300, appRate: 2, tokenRate: null, appConcurrent: null, tokenConcurrent: null, retryAfterSec: 2 });
    const headers = bearer('t1', 'app-p');
    expect((await send(emu.url, '/p/1', { headers, agent })).status).toBe(200);
    expect((await send(emu.url, '/p/2', { headers, agent })).status).toBe(200);
    const first429 = await send(emu.url, '/p/3', { headers, agent });
    expect(first429.status).toBe(429);
    expect(first429.headers['retry-after']).toBe('2');

    // 1 s later: far outside the 300 ms window, inside the 2 s pause. Another token of the same app.
    await sleepUntil(first429.receivedAt + 1000);
    const penalized = await send(emu.url, '/p/4', { headers: bearer('t2', 'app-p'), agent });
    expect(penalized.status).toBe(429);
    expect(penalized.headers['x-ratelimit-crosstokenlimit']).toBe('2'); // names the limit that caused the pause
    expect(penalized.headers['retry-after']).toBe('2');

    // After the original pause would have ended, but inside the extended one.
    await sleepUntil(first429.receivedAt + 2100);
    const stillPaused = await send(emu.url, '/p/5', { headers, agent });
    expect(stillPaused.status).toBe(429);

    await sleepUntil(stillPaused.receivedAt + 2100);
    expect((await send(emu.url, '/p/6', { headers, agent })).status).toBe(200);

    const stats = emu.stats();
    const [, , t3, t4, t5, t6] = stats.timeline;
    expect(t5.t - t3.t).toBeGreaterThanOrEqual(2000); // the original pause was over...
    expect(t5.t - t4.t).toBeLessThan(2000); // ...but the penalty had moved its end
    expect(stats.timeline.map((e) => e.duringPause)).toEqual([false, false, false, true, true, false]);
    expect(stats.arrivedDuringPause).toBe(2);
    expect(stats.byApp['app-p']).toMatchObject({ accepted: 3, rejected: 3, arrivedDuringPause: 2 });
    expect(stats.byToken[tokenLabel('t1')].arrivedDuringPause).toBe(0); // the pause was the app's
    expect(t6.status).toBe(200);
    expect(stats.rejectedByLimit.crossTokenLimit).toBe(3);
  });

  it('a token pause stops that token only', async () => {
    const emu = await clover({ appRate: null, tokenRate: 1, windowMs: 200 });
    const a = bearer('tok-a', 'app-t');
    expect((await send(emu.url, '/t/1', { headers: a, agent })).status).toBe(200);
    const limited = await send(emu.url, '/t/2', { headers: a, agent });
    expect(limited.headers['x-ratelimit-tokenlimit']).toBe('1');
    expect((await send(emu.url, '/t/3', { headers: bearer('tok-b', 'app-t'), agent })).status).toBe(200);
    const again = await send(emu.url, '/t/4', { headers: a, agent });
    expect(again.status).toBe(429);
    expect(again.headers['x-ratelimit-tokenlimit']).toBe('1');

    const stats = emu.stats();
    expect(stats.byToken[tokenLabel('tok-a')].arrivedDuringPause).toBe(1);
    expect(stats.byApp['app-t'].arrivedDuringPause).toBe(0);
    expect(stats.timeline.map((e) => e.duringPause)).toEqual([false, false, false, true]);
  });
});
