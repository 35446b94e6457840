/**
 * Which requests are watched for send evidence (src/send-evidence.ts): those of axios's http adapter always,
 * those of a custom adapter once it is seen to make Node http requests, none of an adapter that makes none.
 * Watching turns AsyncLocalStorage on, which on Node 20 slows every promise of the process for good, so a
 * process whose requests cannot bring evidence must never pay for it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import axios, { getAdapter, type AxiosAdapter } from 'axios';
import { MemoryStore } from '../src/memory-store';
import { rateGuard } from '../src/rate-guard';
import { sendWatch } from '../src/send-evidence';

let server: http.Server;
let baseURL: string;
beforeAll(async () => {
  server = http.createServer((_request, response) => {
    response.setHeader('content-type', 'application/json');
    response.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const inMemory: AxiosAdapter = async (config) => ({ data: {}, status: 200, statusText: 'OK', headers: {}, config });

/** A guarded instance whose adapter is `adapter` (axios's default when undefined), with its store's releases spied on. */
function guarded(adapter: AxiosAdapter | undefined, concurrent = 10) {
  const api = axios.create({ baseURL });
  if (adapter) api.defaults.adapter = adapter;
  const store = new MemoryStore();
  const releases = jest.spyOn(store, 'release');
  rateGuard(api, { clientId: 'evidence-app', store, limits: { client: { requests: 1000, perMs: 1000, concurrent } } });
  /** The write evidence each release carried: ms from grant to write, or undefined. */
  const evidence = () => releases.mock.calls.map((call) => call[3]);
  return { api, evidence };
}

describe('send evidence', () => {
  let runs: jest.SpyInstance;
  beforeEach(() => {
    runs = jest.spyOn(sendWatch()!, 'run');
  });
  afterEach(() => runs.mockRestore());

  it('never watches a custom adapter that makes no Node http request', async () => {
    const { api, evidence } = guarded(inMemory);
    for (let i = 0; i < 100; i++) await api.get(`/items/${i}`);
    expect(runs).not.toHaveBeenCalled();
    expect(evidence().every((ms) => ms === undefined)).toBe(true);
  });

  it("watches every request of axios's http adapter, each reporting when it was written", async () => {
    const { api, evidence } = guarded(undefined);
    for (let i = 0; i < 5; i++) await api.get(`/items/${i}`);
    expect(runs).toHaveBeenCalledTimes(5);
    expect(evidence().every((ms) => typeof ms === 'number' && ms >= 0)).toBe(true);
  });

  it("never watches axios's fetch adapter: its requests are no http.ClientRequest", async () => {
    const api = axios.create({ baseURL, adapter: 'fetch' });
    rateGuard(api, { clientId: 'evidence-app', store: new MemoryStore(), limits: { client: { requests: 1000, perMs: 1000 } } });
    for (let i = 0; i < 3; i++) expect((await api.get(`/items/${i}`)).status).toBe(200);
    expect(runs).not.toHaveBeenCalled();
  });

  it('watches a custom adapter from its first call seen to make a Node http request (a wrapper of the http adapter)', async () => {
    const http = getAdapter('http');
    const { api, evidence } = guarded((config) => http(config));
    for (let i = 0; i < 5; i++) await api.get(`/items/${i}`);
    expect(runs).toHaveBeenCalledTimes(4);
    const [first, ...rest] = evidence();
    expect(first).toBeUndefined();
    expect(rest.every((ms) => typeof ms === 'number' && ms >= 0)).toBe(true);
  });

  it('gives the slot back when a custom adapter throws at once, and the call rejects with its error', async () => {
    const throwing = (() => {
      throw new Error('adapter failed at once');
    }) as unknown as AxiosAdapter;
    // One in flight: a slot kept by the first call would hold the second forever.
    const { api } = guarded(throwing, 1);
    await expect(api.get('/items/1')).rejects.toThrow('adapter failed at once');
    await expect(api.get('/items/2')).rejects.toThrow('adapter failed at once');
  });
});
