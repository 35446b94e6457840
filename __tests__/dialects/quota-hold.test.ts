/**
 * What the guard does with the new dialects' readings, through the store as any advertised quota (fake time).
 */
import type { PauseEvent } from '../../src/events';
import { MemoryStore } from '../../src/memory-store';
import { FakeClock } from '../helpers/fake-clock';
import { mockApi, track } from '../helpers/mock-api';
import * as F from '../fixtures/vendor-signals';

function setup(headers: Record<string, string>) {
  const clock = new FakeClock(F.NOW);
  const pauses: PauseEvent[] = [];
  const s = mockApi({ onPause: (e) => pauses.push(e) }, { clock, store: new MemoryStore({ clock }) });
  s.mock.reset();
  let n = 0;
  s.mock.onAny().reply((config) => {
    s.sent.push({ t: clock.now(), url: config.url ?? '' });
    return [200, 'ok', n++ === 0 ? headers : {}];
  });
  return { ...s, pauses };
}

describe('a spent quota that is not the request quota', () => {
  it('OpenAI: a spent token quota holds the key until its reset, named in the pause', async () => {
    const s = setup(F.OPENAI_TOKENS_SPENT);
    await s.api.get('/v1/chat/completions');
    const next = track(s.api.get('/v1/chat/completions'));
    await s.clock.advance(62_499);
    expect(s.sent).toHaveLength(1);
    await s.clock.advance(1);
    await next.promise;
    expect(s.sent.map((e) => e.t)).toEqual([0, 62_500]);
    expect(s.pauses).toMatchObject([{ source: 'quota', pauseMs: 62_500, quota: 'tokens' }]);
  });

  it('OpenAI: a token quota spent inside a request window our first request opened holds until the token reset, not that window’s end', async () => {
    const clock = new FakeClock(F.NOW);
    const pauses: PauseEvent[] = [];
    const s = mockApi({ onPause: (e) => pauses.push(e) }, { clock, store: new MemoryStore({ clock }) });
    s.mock.reset();
    const answers = [F.OPENAI, { ...F.OPENAI_TOKENS_SPENT, 'x-ratelimit-remaining-requests': '58' }];
    let n = 0;
    s.mock.onAny().reply(() => {
      s.sent.push({ t: clock.now(), url: '' });
      return [200, 'ok', answers[n++] ?? {}];
    });
    await s.api.get('/v1/models'); // opens the request window: 59 of 60 left, reset 1 s
    await s.api.get('/v1/models'); // the token quota is spent: reset 62.5 s
    const third = track(s.api.get('/v1/models'));
    await s.clock.advance(62_499);
    expect(s.sent).toHaveLength(2); // not released when the request window (1 s) ends
    await s.clock.advance(1);
    await third.promise;
    expect(s.sent.map((e) => e.t)).toEqual([0, 0, 62_500]);
    expect(pauses).toMatchObject([{ source: 'quota', pauseMs: 62_500, quota: 'tokens' }]);
  });

  it('Anthropic: the spent input-token quota holds the key until its RFC 3339 reset', async () => {
    const s = setup(F.ANTHROPIC);
    await s.api.post('/v1/messages', {});
    const next = track(s.api.post('/v1/messages', {}));
    await s.clock.advance(30_000);
    await next.promise;
    expect(s.sent.map((e) => e.t)).toEqual([0, 30_000]);
    expect(s.pauses).toMatchObject([{ source: 'quota', quota: 'input-tokens' }]);
  });

  it('OpenAI: a 429 without retry-after waits for the spent quota’s reset, not a 1 s backoff', async () => {
    const clock = new FakeClock(F.NOW);
    const pauses: PauseEvent[] = [];
    const s = mockApi({ onPause: (e) => pauses.push(e) }, { clock, store: new MemoryStore({ clock }) });
    s.mock.reset();
    let n = 0;
    s.mock.onAny().reply(() => (n++ === 0 ? [429, '{}', F.OPENAI_TOKENS_SPENT] : [200, 'ok']));
    const call = track(s.api.get('/v1/models'));
    await s.clock.advance(62_500);
    await call.promise;
    expect(call.value?.status).toBe(200);
    expect(pauses.find((p) => p.source === 'ratelimit-reset')).toMatchObject({ pauseMs: 62_500 });
  });
});

describe('Shopify REST bucket', () => {
  it('a full bucket waits one leak interval (500 ms for 40), not until it is empty', async () => {
    const s = setup(F.SHOPIFY_REST_FULL);
    await s.api.get('/admin/api/2026-10/orders.json');
    const next = track(s.api.get('/admin/api/2026-10/orders.json'));
    await s.clock.advance(499);
    expect(s.sent).toHaveLength(1);
    await s.clock.advance(20);
    await next.promise;
    // The hold ends at 500; the leak rate (one per 500 ms, plus the window margin of 0.5 %) lets it go at 503.
    expect(s.sent.map((e) => e.t)).toEqual([0, 503]);
  });
});
