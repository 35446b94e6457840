/**
 * Replay integrity and cancellation over real HTTP: what the server received on the replay is what it
 * received the first time, byte for byte.
 */
import axios from 'axios';
import http from 'node:http';
import { startEmulator, type EchoBody, type RunningEmulator } from '../../emulator';
import { guardedClient } from './helpers';

jest.setTimeout(20_000);

let emulator: RunningEmulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

/** A keep-alive agent that counts the requests it carried, to show a custom agent survives the replay. */
class CountingAgent extends http.Agent {
  carried = 0;
  // addRequest is how Node hands every request to its agent; @types/node leaves it out.
  addRequest(...args: unknown[]): void {
    this.carried++;
    (http.Agent.prototype as unknown as { addRequest: (...a: unknown[]) => void }).addRequest.apply(this, args);
  }
}

describe('replays over the wire', () => {
  it('sends the same bytes, headers and agent again after a 429 (JSON, Buffer and form bodies)', async () => {
    // One request per token per second: the second request of a token is throttled and replayed.
    emulator = await startEmulator({ vendor: 'clover', tokenRate: 1, appRate: null, appConcurrent: null, tokenConcurrent: null });
    const agent = new CountingAgent({ keepAlive: true });
    const { api, guard } = guardedClient(emulator.url, { clientId: 'replay' });
    api.defaults.httpAgent = agent;
    const auth = { Authorization: 'Bearer same-token', 'X-Trace': 'trace-1' };
    const json = { text: 'café ☕ — "quoted"', n: [1, 2, 3] };
    const bytes = Buffer.from([0, 1, 2, 250, 251, 252, 255]);

    const [first, second, third] = await Promise.all([
      api.post<EchoBody>('/orders?kind=json', json, { headers: auth }),
      api.put<EchoBody>('/blobs/7', bytes, { headers: { ...auth, 'Content-Type': 'application/octet-stream' } }),
      api.post<EchoBody>('/forms', new URLSearchParams({ a: '1', b: 'two words' }), { headers: auth }),
    ]);
    agent.destroy();

    expect(Buffer.from(first.data.bodyBase64, 'base64').toString('utf8')).toBe(JSON.stringify(json));
    expect(first.data.query).toEqual({ kind: 'json' });
    expect(first.data.headers['x-trace']).toBe('trace-1');
    expect(first.data.headers['content-type']).toMatch(/^application\/json/);
    expect(Buffer.from(second.data.bodyBase64, 'base64')).toEqual(bytes);
    expect(second.data.headers['content-type']).toBe('application/octet-stream');
    expect(Buffer.from(third.data.bodyBase64, 'base64').toString()).toBe('a=1&b=two+words');

    const stats = emulator.stats();
    expect(stats.rejected429).toBeGreaterThanOrEqual(2);
    expect(stats.accepted).toBe(3);
    expect(agent.carried).toBe(stats.received); // every attempt went through the user's agent
    expect((await guard.stats()).replays).toBe(stats.rejected429);
  });

  it('settles a request aborted during a pause at once, and never sends it again', async () => {
    emulator = await startEmulator({ vendor: 'giponext', appRate: 1, retryAfterSec: 3 });
    const { api } = guardedClient(emulator.url, { clientId: 'abort' });
    await api.get('/first');
    const controller = new AbortController();
    const started = performance.now();
    const pending = api.get('/second', { signal: controller.signal });
    setTimeout(() => controller.abort(), 200);
    const error = await pending.catch((e: unknown) => e);
    expect(axios.isCancel(error)).toBe(true);
    expect(performance.now() - started).toBeLessThan(1500);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(emulator.stats().acceptedByPath['/second']).toBeUndefined();
    expect(emulator.stats().received).toBe(2); // the first, and the throttled attempt of the second
  });
});
