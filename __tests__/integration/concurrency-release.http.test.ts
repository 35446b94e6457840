/**
 * "A concurrency slot is free for the server only after it has finished the request." The guard frees a slot
 * when axios has the whole response; a server frees it when it lets the request go: our emulator right after
 * res.end(), an express middleware on 'finish' (or 'close' if unfinished), a plain node:http server on
 * 'finish' or on 'close'. Can the guard's next request of a full key arrive before the server let the
 * previous one go?
 *
 * The client may well have the whole response first: 'finish' fires once the last byte is handed to the
 * kernel, on the next tick when the kernel took the whole write at once, or (a write libuv had to queue, the
 * 8 MiB bodies here) from libuv's pending queue, which uv_run drains right after the poll phase that
 * completed the write. Within that poll phase a client, even in this same process, can read the end, and the
 * guard release and send its next request, before 'finish' (counted in the report: "answers the client had
 * before the server let go"). But the server reads nothing new until that pending queue has run, and 'close'
 * follows 'finish' on the next tick, so the next request arrives after the release and the servers' own
 * counts, sampled at each arrival, stay within the limits: small bodies, 256 KiB bodies (the kernel takes
 * them in one write on loopback), bodies streamed over many loop turns, 8 MiB bodies, the fetch adapter, a
 * server in another process, two CPU-bound processes taking the machine. (libuv polls again before draining
 * the pending queue only when one epoll_wait returned a full batch of 1024 events, which this cannot test.)
 *
 * What breaks it: a response axios hands over before it has it all (responseType 'stream': axios answers at
 * the headers, the guard frees the slot there and the next request arrives while the server is still
 * sending the body), and a server that lets go later than it sends the last byte (last two describes).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { AxiosInstance, AxiosRequestConfig, AxiosResponse } from 'axios';
import type { Readable } from 'node:stream';
import { startEmulator } from '../../emulator';
import {
  bodyBytes,
  nowMs,
  startExpressServer,
  startPlainServer,
  type BodyKind,
  type ServerCountsSnapshot,
} from './fixtures/counting-servers';
import { guardedClient } from './helpers';

jest.setTimeout(40_000);

const LIMITS = { app: 2, token: 1 };
const GUARD_LIMITS = { client: { concurrent: LIMITS.app }, token: { concurrent: LIMITS.token } };
/** Per burst: many small answers for many close calls, fewer of the big ones to keep the file fast. */
const REQUESTS: Record<BodyKind, number> = { small: 24, large: 12, streamed: 12, huge: 4 };
/**
 * How the server holds answer i: at once, 2 ms, or until the next request arrives (so that the app's two
 * slots are surely both in use at the server, however slow the machine).
 */
const HOLDS = ['0', '2', 'next'];
/** More tokens than the app allows in flight, so that both limits bind. */
const TOKENS = 3;
/** The emulator echoes the request body in base64: 192 KiB in, 256 KiB out. */
const EMULATOR_PAYLOAD = 'x'.repeat(192 * 1024);

/** What the server counted during one case. Fields the emulator does not report are absent. */
type Observed = Pick<ServerCountsSnapshot, 'arrived' | 'rejected' | 'maxApp' | 'maxToken'> & Partial<ServerCountsSnapshot>;

interface Target {
  readonly url: string;
  observed(): Promise<Observed>;
  close(): Promise<void>;
}

type ServerName = 'vendor emulator' | 'express 5 + middleware' | "node:http to 'finish'" | "node:http to 'close'" | "node:http in a child process to 'finish'";

const CHILD_SERVER = path.resolve(__dirname, 'fixtures/counting-servers.ts');
let child: { process: ChildProcess; url: string } | undefined;

async function startChildServer(): Promise<{ process: ChildProcess; url: string }> {
  // One process for the whole file: tsx compiles the fixture, too slow to do per case on a loaded machine.
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD_SERVER, 'finish', String(LIMITS.app), String(LIMITS.token)], {
    cwd: path.resolve(__dirname, '../..'),
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const port = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /port (\d+)/.exec(out);
      if (match) resolve(match[1]);
    });
    proc.once('exit', (code) => reject(new Error(`counting server exited (${code}) before it listened`)));
  });
  return { process: proc, url: `http://127.0.0.1:${port}` };
}

function inProcess(running: { url: string; counts: { snapshot(): ServerCountsSnapshot }; close(): Promise<void> }): Target {
  return { url: running.url, observed: async () => running.counts.snapshot(), close: () => running.close() };
}

const SERVERS: Record<ServerName, { bodies: BodyKind[]; start(): Promise<Target> }> = {
  'vendor emulator': {
    bodies: ['small', 'large'],
    async start() {
      const emulator = await startEmulator({
        vendor: 'clover',
        appRate: null,
        tokenRate: null,
        appConcurrent: LIMITS.app,
        tokenConcurrent: LIMITS.token,
        latencyMs: 10,
        penalty: false,
      });
      return {
        url: emulator.url,
        observed: async () => {
          const stats = emulator.stats();
          return { arrived: stats.received, rejected: stats.rejected429, maxApp: stats.maxInFlightPerApp, maxToken: stats.maxInFlightPerToken };
        },
        close: () => emulator.close(),
      };
    },
  },
  'express 5 + middleware': { bodies: ['small', 'large', 'streamed', 'huge'], start: async () => inProcess(await startExpressServer(LIMITS)) },
  "node:http to 'finish'": { bodies: ['small', 'large', 'streamed', 'huge'], start: async () => inProcess(await startPlainServer(LIMITS, 'finish')) },
  "node:http to 'close'": { bodies: ['small', 'large', 'streamed', 'huge'], start: async () => inProcess(await startPlainServer(LIMITS, 'close')) },
  "node:http in a child process to 'finish'": {
    bodies: ['small', 'large', 'streamed', 'huge'],
    async start() {
      child ??= await startChildServer();
      const { url } = child;
      const api = (await import('axios')).default.create({ baseURL: url });
      await api.post('/__reset');
      return { url, observed: async () => (await api.get<ServerCountsSnapshot>('/__stats')).data, close: async () => undefined };
    },
  },
};

afterAll(async () => {
  if (!child) return;
  const proc = child.process;
  child = undefined;
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  proc.stdin!.end(); // it exits when its stdin closes
  const timer = setTimeout(() => proc.kill('SIGKILL'), 2_000);
  await exited;
  clearTimeout(timer);
});

/** Runs `body` with two processes spinning on the CPU (this machine may have only two cores). */
async function withCpuLoad<T>(body: () => Promise<T>): Promise<T> {
  const burners = [0, 1].map(() => spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
  // If the test process dies without running `finally`, the spinners must not outlive it.
  const killAll = () => burners.forEach((burner) => burner.kill('SIGKILL'));
  process.once('exit', killAll);
  try {
    await Promise.all(burners.map((burner) => new Promise((resolve, reject) => burner.once('spawn', resolve).once('error', reject))));
    return await body();
  } finally {
    await Promise.all(
      burners.map(
        (burner) =>
          new Promise<void>((resolve) => {
            if (burner.exitCode !== null || burner.signalCode !== null) return resolve();
            burner.once('exit', () => resolve());
            burner.kill('SIGKILL');
          }),
      ),
    );
    process.off('exit', killAll);
  }
}

interface Fired {
  results: PromiseSettledResult<AxiosResponse>[];
  /** When each response reached our interceptors (after the guard gave its slot back), by path, nowMs(). */
  settledAt: Map<string, number>;
  elapsedMs: number;
}

/** A burst across TOKENS tokens, answers held by HOLDS so that they finish in every order and keys fill up. */
async function fire(api: AxiosInstance, clientId: string, server: ServerName, body: BodyKind, extra: AxiosRequestConfig = {}): Promise<Fired> {
  const settledAt = new Map<string, number>();
  api.interceptors.response.use((response) => {
    settledAt.set(response.config.url ?? '', nowMs());
    return response;
  });
  const started = performance.now();
  const results = await Promise.allSettled(
    Array.from({ length: REQUESTS[body] }, (_, i) => {
      const config: AxiosRequestConfig = { ...extra, headers: { Authorization: `Bearer ${clientId}-t${i % TOKENS}` } };
      if (server === 'vendor emulator') {
        if (body === 'small') return api.get(`/v3/orders/${i}`, config);
        return api.post(`/v3/orders/${i}`, EMULATOR_PAYLOAD, { ...config, headers: { ...config.headers, 'Content-Type': 'text/plain' } });
      }
      // As bytes: a string of 8 MiB would cost axios more time than the transfer.
      const params: Record<string, string> = { body, hold: HOLDS[i % HOLDS.length] };
      return api.get(`/v3/orders/${i}`, { ...config, responseType: 'arraybuffer', params });
    }),
  );
  return { results, settledAt, elapsedMs: performance.now() - started };
}

function expectWholeAnswers(fired: Fired, server: ServerName, body: BodyKind): void {
  expect(fired.results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
  for (const result of fired.results) {
    const response = (result as PromiseFulfilledResult<AxiosResponse>).value;
    expect(response.status).toBe(200);
    if (server === 'vendor emulator') expect(response.data.bodyLength).toBe(body === 'large' ? EMULATOR_PAYLOAD.length : 0);
    else expect((response.data as ArrayBuffer).byteLength).toBe(bodyBytes(body));
  }
}

const report: string[] = [];
afterAll(() => {
  console.log(
    'server | body | load | adapter | max in flight app/token (limits 2/1) | 429s | closest arrival after a full key freed (ms) | ' +
      "finish from libuv's write callback | answers the client had before the server let go | elapsed ms\n" +
      report.join('\n'),
  );
});

function record(server: string, body: BodyKind, load: string, adapter: string, observed: Observed, fired: Fired): void {
  const leftAt = observed.leftAt;
  const before = leftAt ? [...fired.settledAt].filter(([p, at]) => leftAt[p] !== undefined && at < leftAt[p]).length : undefined;
  report.push(
    [
      server,
      body,
      load,
      adapter,
      `${observed.maxApp}/${observed.maxToken}`,
      observed.rejected,
      observed.closestMs == null ? '-' : observed.closestMs.toFixed(3),
      observed.finishedLater ?? '-',
      before ?? '-',
      Math.round(fired.elapsedMs),
    ].join(' | '),
  );
}

type Adapter = 'http' | 'fetch';
type Case = [title: string, server: ServerName, body: BodyKind, adapter: Adapter];
const CHILD: ServerName = "node:http in a child process to 'finish'";

function cases(bodiesOf: (server: ServerName) => BodyKind[], fetchBodies: BodyKind[]): Case[] {
  const all: Case[] = [];
  for (const server of Object.keys(SERVERS) as ServerName[]) {
    for (const body of bodiesOf(server)) all.push([`${server}, ${body} body`, server, body, 'http']);
  }
  for (const body of fetchBodies) all.push([`${CHILD}, ${body} body, fetch adapter`, CHILD, body, 'fetch']);
  return all;
}

/**
 * Idle: every body on every server. Loaded: small and 256 KiB bodies everywhere, and streamed ones across
 * processes, where the load changes interleavings (in one process it only slows both sides).
 */
const IDLE_CASES = cases((server) => SERVERS[server].bodies, ['small', 'large']);
const LOADED_CASES = cases((server) => (server === CHILD ? ['small', 'large', 'streamed'] : ['small', 'large']), ['small']);

let seq = 0;

async function burstAgainst(server: ServerName, body: BodyKind, adapter: Adapter, load: 'idle' | 'cpu'): Promise<void> {
  const target = await SERVERS[server].start();
  try {
    const clientId = `release-${++seq}`;
    const { api } = guardedClient(target.url, { clientId, limits: GUARD_LIMITS });
    const fired = await fire(api, clientId, server, body, adapter === 'fetch' ? { adapter: 'fetch' } : {});
    const observed = await target.observed();
    record(server, body, load, adapter, observed, fired);

    expectWholeAnswers(fired, server, body);
    if (observed.arrivedByPath) expect(Object.entries(observed.arrivedByPath).filter(([, n]) => n !== 1)).toEqual([]);
    expect(observed.arrived).toBe(REQUESTS[body]);
    expect(observed.rejected).toBe(0);
    expect(observed.maxToken).toBeLessThanOrEqual(LIMITS.token);
    expect(observed.maxApp).toBeLessThanOrEqual(LIMITS.app);
    // Not vacuous: the burst did fill both limits,
    expect(observed.maxApp).toBe(LIMITS.app);
    expect(observed.maxToken).toBe(LIMITS.token);
    // and 8 MiB answers did take the asynchronous write path.
    if (body === 'huge') expect(observed.finishedLater).toBeGreaterThan(0);
  } finally {
    await target.close();
  }
}

describe('guard at 2 per app / 1 per token, machine idle', () => {
  it.each(IDLE_CASES)('%s: the server never counts more than the limits, no 429, no error', (_title, server, body, adapter) =>
    burstAgainst(server, body, adapter, 'idle'),
  );
});

describe('guard at 2 per app / 1 per token, two CPU-bound processes running', () => {
  it.each(LOADED_CASES)('%s: the server never counts more than the limits, no 429, no error', (_title, server, body, adapter) =>
    withCpuLoad(() => burstAgainst(server, body, adapter, 'cpu')),
  );
});

/** Reads a response stream to its end: a Node Readable (http adapter) or a web ReadableStream (fetch adapter). */
async function drain(data: Readable | ReadableStream<Uint8Array>): Promise<number> {
  let bytes = 0;
  if (data instanceof ReadableStream) {
    const reader = data.getReader();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) bytes += chunk.value.byteLength;
    return bytes;
  }
  for await (const chunk of data) bytes += (chunk as Buffer).length;
  return bytes;
}

describe("responseType 'stream'", () => {
  it.each(['http', 'fetch'] as const)(
    'keeps the slot until the body has been read (%s adapter): the server is still sending it when axios answers',
    async (adapter) => {
      const target = inProcess(await startPlainServer(LIMITS, 'finish'));
      try {
        const clientId = `release-stream-${++seq}`;
        const { api } = guardedClient(target.url, { clientId, limits: GUARD_LIMITS });
        const count = 6;
        const received = await Promise.all(
          Array.from({ length: count }, async (_, i) => {
            const response = await api.get<Readable | ReadableStream<Uint8Array>>(`/v3/orders/${i}`, {
              adapter,
              responseType: 'stream',
              params: { body: 'streamed' },
              headers: { Authorization: `Bearer ${clientId}-t${i % TOKENS}` },
            });
            return { status: response.status, bytes: await drain(response.data) };
          }),
        );
        const observed = await target.observed();
        expect(received).toEqual(Array.from({ length: count }, () => ({ status: 200, bytes: bodyBytes('streamed') })));
        expect({ maxApp: observed.maxApp, maxToken: observed.maxToken, rejected: observed.rejected }).toEqual({
          maxApp: LIMITS.app,
          maxToken: LIMITS.token,
          rejected: 0,
        });
      } finally {
        await target.close();
      }
    },
  );
});

describe('a server that lets go later than it sends the last byte', () => {
  it('counts one more than the limit: what the guarantee asks of the server', async () => {
    // As a count kept in a shared store would: decremented by a round trip after 'finish'.
    const target = inProcess(await startPlainServer(LIMITS, 'finish', 5));
    try {
      const clientId = `release-late-${++seq}`;
      // Its 429s are only counted here, not obeyed: no pause, so the burst runs as it would have.
      const { api } = guardedClient(target.url, { clientId, limits: GUARD_LIMITS, throttleStatuses: [] });
      const fired = await fire(api, clientId, "node:http to 'finish'", 'small');
      const observed = await target.observed();
      record("node:http, let go 5 ms after 'finish'", 'small', 'idle', 'http', observed, fired);
      expect(observed.maxToken).toBeGreaterThan(LIMITS.token);
    } finally {
      await target.close();
    }
  });
});
