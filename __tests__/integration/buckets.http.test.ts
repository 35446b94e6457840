/**
 * End to end, real time, real HTTP on 127.0.0.1: endpoint buckets against servers that keep them apart.
 * - GitHub-like: a search quota (3 per 1-second window) beside the core quota (20), each named in
 *   `x-ratelimit-resource`, with `-limit`, `-remaining` and an epoch `-reset`; a 403 with remaining 0 when
 *   spent, as GitHub answers.
 * - Discord-like: per-route buckets (`X-RateLimit-Bucket`, `-Limit`, `-Remaining`, `-Reset-After`), a 429
 *   with `X-RateLimit-Scope: user` on a route, one with `X-RateLimit-Global: true` for the app.
 * - The GitHub-like server again, with two guards on one Redis sharing the search bucket.
 * Everything is judged from the server's arrivals.
 */
import axios from 'axios';
import { guardedClient } from './helpers';
import { startScriptedServer, type Answer, type Arrival, type ScriptedServer, TOLERANCE_MS, sleep } from './fixtures/scripted-server';
import { rateGuard } from '../../src/rate-guard';
import { RedisStore } from '../../src/redis-store';
import { connect, type TestClient } from '../redis/helpers/clients';
import { RedisServer } from '../redis/helpers/redis-server';

jest.setTimeout(60_000);



let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

interface GitHubLike {
  server: ScriptedServer;
  /** Requests the server refused (403, remaining 0), by resource. */
  refused: { search: number; core: number };
  /** Per arrival: its resource and its window (whole wall-clock seconds, as GitHub's epoch resets). */
  windowOf: Map<Arrival, { resource: 'search' | 'core'; window: number }>;
}

/** GitHub's primary limits in fixed windows of one wall-clock second: search 3, core 20. */
async function startGitHubLike(): Promise<GitHubLike> {
  const quota = { search: 3, core: 20 };
  const used = new Map<string, number>();
  const refused = { search: 0, core: 0 };
  const windowOf = new Map<Arrival, { resource: 'search' | 'core'; window: number }>();
  const started = await startScriptedServer((arrival) => {
    const resource = arrival.path.startsWith('/search/') ? 'search' : 'core';
    const window = Math.floor(arrival.wall / 1000);
    windowOf.set(arrival, { resource, window });
    const count = (used.get(`${resource}:${window}`) ?? 0) + 1;
    used.set(`${resource}:${window}`, count);
    const headers = {
      'x-ratelimit-resource': resource,
      'x-ratelimit-limit': String(quota[resource]),
      'x-ratelimit-remaining': String(Math.max(0, quota[resource] - count)),
      'x-ratelimit-reset': String(window + 1),
    };
    if (count > quota[resource]) {
      refused[resource]++;
      return { status: 403, headers, body: { message: 'API rate limit exceeded' } };
    }
    return { status: 200, headers, body: { ok: true } };
  });
  return { server: started, refused, windowOf };
}

/** Asserts the search quota held and core requests flowed while searches were held. */
function expectSearchesHeldCoreFlowing(gh: GitHubLike, searches: number): void {
  const arrivals = gh.server.arrivals;
  const search = arrivals.filter((a) => gh.windowOf.get(a)?.resource === 'search');
  const core = arrivals.filter((a) => gh.windowOf.get(a)?.resource === 'core');
  expect(search).toHaveLength(searches);
  expect(gh.refused).toEqual({ search: 0, core: 0 });
  const perWindow = new Map<number, Arrival[]>();
  for (const a of search) perWindow.set(gh.windowOf.get(a)!.window, [...(perWindow.get(gh.windowOf.get(a)!.window) ?? []), a]);
  let holds = 0;
  for (const [window, inWindow] of perWindow) {
    expect(inWindow.length).toBeLessThanOrEqual(3);
    if (inWindow.length < 3) continue;
    // The quota was spent by the third search: nothing of search arrives until the window's reset.
    holds++;
    const spentAt = inWindow[2].wall;
    const resetAt = (window + 1) * 1000;
    expect(search.filter((a) => a.wall > spentAt && a.wall < resetAt - TOLERANCE_MS)).toEqual([]);
  }
  expect(holds).toBeGreaterThanOrEqual(2);
  // While searches wait, the core API keeps being served: core loops send one about every 60 ms until the
  // searches are done, so every gap of 200 ms or more between two searches has core arrivals in it.
  let gaps = 0;
  for (let i = 1; i < search.length; i++) {
    if (search[i].at - search[i - 1].at < 200) continue;
    gaps++;
    expect(core.filter((a) => a.at > search[i - 1].at && a.at < search[i].at).length).toBeGreaterThanOrEqual(1);
  }
  expect(gaps).toBeGreaterThanOrEqual(1);
}

/** Other requests one after another, one every `gapMs`, until `searches` settle. */
async function whileSearching(searches: Promise<unknown>, send: (i: number) => Promise<unknown>, gapMs = 60): Promise<void> {
  let done = false;
  const settled = searches.finally(() => (done = true));
  for (let i = 0; !done; i++) {
    await send(i);
    await sleep(gapMs);
  }
  await settled;
}

/** `count` requests one after another from `api`. */
async function sequence(count: number, send: (i: number) => Promise<unknown>, gapMs = 0): Promise<void> {
  for (let i = 0; i < count; i++) {
    await send(i);
    if (gapMs) await sleep(gapMs);
  }
}

describe('GitHub-like: a separate search quota', () => {
  it('learned from x-ratelimit-resource: a spent search quota holds searches, not the core API', async () => {
    const gh = await startGitHubLike();
    server = gh.server;
    const { api } = guardedClient(server.url, { clientId: 'gh-e2e', adaptive: false });
    const auth = { headers: { Authorization: 'token ghp_e2e' } };
    // Two searchers and a core loop at about 12 per second (under core's 20).
    const searches = Promise.all([
      sequence(6, (i) => api.get(`/search/issues?q=a${i}`, auth)),
      sequence(6, (i) => api.get(`/search/code?q=b${i}`, auth)),
    ]);
    await whileSearching(searches, (i) => api.get(`/repos/o/r/issues/${i}`, auth));
    // The first request of each search route is sent before its route is known to be in the bucket; both
    // go while the quota has room (they are the first two of the first window), so nothing is refused.
    expectSearchesHeldCoreFlowing(gh, 12);
  });

  it('configured as a route: the same, with a search bucket per token', async () => {
    const gh = await startGitHubLike();
    server = gh.server;
    const { api, guard } = guardedClient(server.url, {
      clientId: 'gh-route-e2e',
      adaptive: false,
      routes: [{ name: 'search', method: 'GET', match: '/search/', per: 'token' }],
    });
    const auth = { headers: { Authorization: 'token ghp_route' } };
    await whileSearching(sequence(9, (i) => api.get(`/search/issues?q=${i}`, auth)), (i) => api.get(`/user/${i}`, auth));
    expectSearchesHeldCoreFlowing(gh, 9);
    const keys = (await guard.stats()).keys;
    expect(keys.find((k) => k.level === 'bucket')?.key).toMatch(/^gh-route-e2e\|t:[0-9a-f]{16}\|b:search$/);
  });
});

describe('Discord-like: per-route buckets', () => {
  it("a route bucket's 429 (scope user) pauses only that route; a global 429 pauses the app", async () => {
    const RETRY_MS = 1000;
    let messages = 0;
    let globalSent = false;
    server = await startScriptedServer((arrival): Answer => {
      const route = arrival.path.startsWith('/channels/') ? 'messages' : 'users';
      const bucket = route === 'messages' ? 'c0ffee01' : 'beef0002';
      const headers = { 'x-ratelimit-bucket': bucket, 'x-ratelimit-limit': '50', 'x-ratelimit-remaining': '40', 'x-ratelimit-reset-after': '1.000' };
      if (route === 'messages' && ++messages === 4) {
        // A limit the headers did not show (a shared resource): the route's 429.
        return { status: 429, headers: { ...headers, 'x-ratelimit-remaining': '0', 'x-ratelimit-scope': 'user', 'retry-after': String(RETRY_MS / 1000) }, body: { message: 'You are being rate limited.', retry_after: 1, global: false } };
      }
      if (arrival.path === '/gateway/bot' && !globalSent) {
        globalSent = true;
        return { status: 429, headers: { 'x-ratelimit-global': 'true', 'x-ratelimit-scope': 'global', 'retry-after': '1' }, body: { message: 'You are being rate limited.', retry_after: 1, global: true } };
      }
      return { status: 200, headers, body: {} };
    });
    const { api, guard } = guardedClient(server.url, { clientId: 'discord-e2e', adaptive: false });
    const auth = { headers: { Authorization: 'Bot e2e' } };
    const messaging = sequence(8, (i) => api.post('/channels/123456789012345678/messages', { content: String(i) }, auth));
    await whileSearching(messaging, () => api.get('/users/@me', auth), 50);
    const arrivals = server.arrivals;
    const msgs = arrivals.filter((a) => a.path.startsWith('/channels/'));
    const users = arrivals.filter((a) => a.path === '/users/@me');
    expect(msgs).toHaveLength(9); // 8 and the replay of the throttled one
    const throttledAt = msgs[3].at;
    // Nothing of the route during its pause (Retry-After 1 s; the jitter only lengthens it)...
    expect(msgs.filter((a) => a.at > throttledAt && a.at < throttledAt + RETRY_MS - TOLERANCE_MS)).toEqual([]);
    // ...while the other route kept going: about one every 50 ms, so at least 10 in that second.
    expect(users.filter((a) => a.at > throttledAt && a.at < throttledAt + RETRY_MS).length).toBeGreaterThanOrEqual(10);
    const bucketKeys = (await guard.stats()).keys.filter((k) => k.level === 'bucket');
    expect(bucketKeys.find((k) => k.throttled === 1)?.key).toMatch(/\|b:~c0ffee01$/);

    // A global 429: the whole app waits, whatever the route.
    await api.get('/gateway/bot', auth);
    const globalAt = server.of('/gateway/bot')[0].at;
    await Promise.all([api.get('/users/@me', auth), api.post('/channels/123456789012345678/messages', {}, auth)]);
    const afterGlobal = server.arrivals.filter((a) => a.at > globalAt && a.path !== '/gateway/bot');
    expect(afterGlobal.length).toBe(2);
    for (const a of afterGlobal) expect(a.at - globalAt).toBeGreaterThanOrEqual(1000 - TOLERANCE_MS);
    expect((await guard.stats()).keys.find((k) => k.key === 'discord-e2e')?.throttled).toBe(1);
  });
});

describe('RedisStore: two guards share a bucket', () => {
  let redisServer: RedisServer;
  const clients: TestClient[] = [];
  beforeAll(async () => {
    redisServer = await RedisServer.start();
  });
  afterAll(async () => {
    for (const c of clients) await c.close();
    await redisServer.stop();
  });

  it('two guards on one Redis keep to one search quota together; core flows', async () => {
    const gh = await startGitHubLike();
    server = gh.server;
    const prefix = `buckets-e2e-${Date.now()}:`;
    const guards = await Promise.all(
      [0, 1].map(async () => {
        const client = await connect('ioredis', redisServer.port);
        clients.push(client);
        const api = axios.create({ baseURL: server!.url });
        const store = new RedisStore({ client: client.client, prefix });
        const guard = rateGuard(api, {
          clientId: 'gh-redis-e2e',
          store,
          adaptive: false,
          routes: [{ name: 'search', method: 'GET', match: '/search/', limits: { requests: 3, perMs: 1000 } }],
        });
        return { api, guard, store };
      }),
    );
    const auth = { headers: { Authorization: 'token ghp_shared' } };
    const searches = Promise.all(guards.map(({ api }, g) => sequence(6, (i) => api.get(`/search/issues?q=${g}-${i}`, auth))));
    // Both guards' core loops: one every 120 ms each (about 17 a second in all, under core's 20).
    await Promise.all(guards.map(({ api }, g) => whileSearching(searches, (i) => api.get(`/repos/o/r/${g}/${i}`, auth), 120)));
    expectSearchesHeldCoreFlowing(gh, 12);
    // Both guards see the one bucket in Redis, with every search counted.
    const stats = await Promise.all(guards.map(({ guard }) => guard.stats()));
    for (const s of stats) expect(s.keys.filter((k) => k.key === 'gh-redis-e2e|b:search')).toHaveLength(1);
    for (const { store, guard } of guards) {
      guard.detach();
      store.close();
    }
  });
});
