/**
 * The delay proxy on its own, against a raw TCP server on 127.0.0.1: delays are at least what was asked for,
 * bytes keep their order, FIN and resets get through, and close() leaves nothing behind.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { startDelayProxy, type DelayProxyOptions, type RunningDelayProxy } from '../../emulator/index.js';
import { sleep } from './helpers.js';

/** Upper slack on a measured delay: only catches a delay applied twice or not at all, never timing noise. */
const SLACK_MS = 250;

interface Upstream {
  port: number;
  /** Server-side sockets, in accept order. */
  sockets: net.Socket[];
  /** Resolves with the next accepted socket. */
  next(): Promise<net.Socket>;
  close(): Promise<void>;
}

/** A raw TCP server that hands each accepted socket to the test (half-open allowed, like a real peer). */
async function startUpstream(): Promise<Upstream> {
  const sockets: net.Socket[] = [];
  const waiting: Array<(socket: net.Socket) => void> = [];
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    sockets.push(socket);
    waiting.shift()?.(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  let taken = 0;
  return {
    port: (server.address() as net.AddressInfo).port,
    sockets,
    next: () => (taken < sockets.length ? Promise.resolve(sockets[taken++]) : new Promise((resolve) => waiting.push((s) => (taken++, resolve(s))))),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

function connect(port: number): net.Socket {
  const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
  socket.on('error', () => undefined);
  return socket;
}

/** Resolves with performance.now() at the next 'data' of `socket`, and the chunk. */
function nextData(socket: net.Socket): Promise<{ at: number; data: Buffer }> {
  return new Promise((resolve) => socket.once('data', (data: Buffer) => resolve({ at: performance.now(), data })));
}

/** Collects everything `socket` reads until 'end'; resolves with the bytes and when 'end' came. */
function readToEnd(socket: net.Socket): Promise<{ data: Buffer; endedAt: number }> {
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve) => socket.once('end', () => resolve({ data: Buffer.concat(chunks), endedAt: performance.now() })));
}

function ended(socket: net.Socket): Promise<void> {
  return socket.readableEnded ? Promise.resolve() : new Promise((resolve) => socket.once('end', () => resolve()));
}

function closed(socket: net.Socket): Promise<void> {
  return socket.closed ? Promise.resolve() : new Promise((resolve) => socket.once('close', () => resolve()));
}

/** Handles that would keep a process alive, by type (as in lifecycle.http.test.ts). */
function openResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) {
    if (type === 'TCPServerWrap' || type === 'TCPSocketWrap' || type === 'Timeout') counts[type] = (counts[type] ?? 0) + 1;
  }
  return counts;
}

async function extraResourcesOver(baseline: Record<string, number>): Promise<Record<string, number>> {
  const extra = (): Record<string, number> =>
    Object.fromEntries(Object.entries(openResources()).filter(([type, n]) => n > (baseline[type] ?? 0)).map(([type, n]) => [type, n - (baseline[type] ?? 0)]));
  for (let i = 0; i < 50 && Object.keys(extra()).length > 0; i++) await sleep(10);
  return extra();
}

describe('delay proxy', () => {
  let upstream: Upstream;
  const proxies: RunningDelayProxy[] = [];
  const clients: net.Socket[] = [];
  const start = async (options: Omit<DelayProxyOptions, 'targetPort'>): Promise<RunningDelayProxy> => {
    const proxy = await startDelayProxy({ targetPort: upstream.port, ...options });
    proxies.push(proxy);
    return proxy;
  };
  const client = (proxy: RunningDelayProxy): net.Socket => {
    const socket = connect(proxy.port);
    clients.push(socket);
    return socket;
  };

  beforeEach(async () => {
    upstream = await startUpstream();
  });
  afterEach(async () => {
    for (const socket of clients.splice(0)) socket.destroy();
    await Promise.all(proxies.splice(0).map((p) => p.close()));
    await upstream.close();
  });

  it('holds a new connection for connectDelayMs, then adds the one-way delay of each direction', async () => {
    const proxy = await start({ connectDelayMs: 100, upstreamDelayMs: 60, downstreamDelayMs: 40 });
    expect(proxy.url).toBe(`http://127.0.0.1:${proxy.port}`);
    const socket = client(proxy);
    const sentAt = performance.now();
    socket.write('first');
    const server = await upstream.next();
    const first = await nextData(server);
    expect(first.data.toString()).toBe('first');
    // Held through the connect delay, then sent down the line: both delays.
    expect(first.at - sentAt).toBeGreaterThanOrEqual(160);
    expect(first.at - sentAt).toBeLessThan(160 + SLACK_MS);

    // On a forwarded connection, only the one-way delays.
    const replied = nextData(socket);
    server.write('reply');
    const reply = await replied;
    expect(reply.data.toString()).toBe('reply');
    const repliedAfter = reply.at - first.at;
    expect(repliedAfter).toBeGreaterThanOrEqual(40);
    expect(repliedAfter).toBeLessThan(40 + SLACK_MS);

    const again = nextData(server);
    const againSentAt = performance.now();
    socket.write('second');
    const second = await again;
    expect(second.data.toString()).toBe('second');
    expect(second.at - againSentAt).toBeGreaterThanOrEqual(60);
    expect(second.at - againSentAt).toBeLessThan(60 + SLACK_MS);
    expect(proxy.connections).toBe(1);
  });

  it('forwards with no delay by default, and counts the connections it accepted', async () => {
    const proxy = await start({});
    for (let i = 0; i < 3; i++) {
      const socket = client(proxy);
      const server = await upstream.next();
      const sentAt = performance.now();
      const got = nextData(server);
      socket.write(`hello ${i}`);
      const { at, data } = await got;
      expect(data.toString()).toBe(`hello ${i}`);
      expect(at - sentAt).toBeLessThan(SLACK_MS);
    }
    expect(proxy.connections).toBe(3);
  });

  it('keeps the order of chunks in both directions, across the connect delay and with writes at any pace', async () => {
    const proxy = await start({ connectDelayMs: 30, upstreamDelayMs: 15, downstreamDelayMs: 10 });
    const socket = client(proxy);
    const lines = Array.from({ length: 300 }, (_, i) => `line ${i} ${'x'.repeat(i % 37)}\n`);
    const serverSide = upstream.next().then((server) => {
      server.on('data', (chunk: Buffer) => server.write(chunk)); // echo, chunk by chunk
      server.once('end', () => server.end());
      return readToEnd(server);
    });
    const echoed = readToEnd(socket);
    for (const [i, line] of lines.entries()) {
      socket.write(line);
      // Bursts of writes, some inside the connect delay, some spread over several ticks and timers.
      if (i % 50 === 49) await sleep(7);
      else if (i % 7 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    socket.end();
    const expected = lines.join('');
    expect((await serverSide).data.toString()).toBe(expected);
    expect((await echoed).data.toString()).toBe(expected);
    await closed(socket);
  });

  it('forwards a half-close after the data ahead of it, in each direction, and keeps the other direction open', async () => {
    const proxy = await start({ upstreamDelayMs: 40, downstreamDelayMs: 40 });
    const socket = client(proxy);
    const server = await upstream.next();
    const serverRead = readToEnd(server);
    const endedAt = performance.now();
    socket.end('request');
    const { data, endedAt: serverSawEnd } = await serverRead;
    expect(data.toString()).toBe('request');
    expect(serverSawEnd - endedAt).toBeGreaterThanOrEqual(40);

    // Half-closed by the client, the connection still carries the server's answer, then the server's FIN.
    const clientRead = readToEnd(socket);
    server.write('answer part 1, ');
    server.end('part 2');
    expect((await clientRead).data.toString()).toBe('answer part 1, part 2');
    await closed(socket);
  });

  it('resets the client when the server resets, and the server when the client resets', async () => {
    const proxy = await start({ upstreamDelayMs: 20, downstreamDelayMs: 20 });

    const a = client(proxy);
    const serverA = await upstream.next();
    const aError = new Promise<NodeJS.ErrnoException>((resolve) => a.once('error', resolve));
    const resetAt = performance.now();
    serverA.resetAndDestroy();
    expect((await aError).code).toBe('ECONNRESET');
    expect(performance.now() - resetAt).toBeGreaterThanOrEqual(20);

    const b = client(proxy);
    const serverB = await upstream.next();
    const bError = new Promise<NodeJS.ErrnoException>((resolve) => serverB.once('error', resolve));
    b.resetAndDestroy();
    expect((await bError).code).toBe('ECONNRESET');
    await closed(serverB);
  });

  it('resets the client when the target refuses the connection', async () => {
    const refusing = await startUpstream();
    const port = refusing.port;
    await refusing.close();
    const proxy = await startDelayProxy({ targetPort: port });
    proxies.push(proxy);
    const socket = client(proxy);
    const error = await new Promise<NodeJS.ErrnoException>((resolve) => socket.once('error', resolve));
    expect(error.code).toBe('ECONNRESET');
  });

  it('close() destroys every connection at once, held data and all, and leaves no socket or timer behind', async () => {
    const baseline = openResources();
    const holding = await start({ connectDelayMs: 30_000 });
    const slow = await start({ upstreamDelayMs: 30_000, downstreamDelayMs: 30_000 });

    const held = client(holding); // not yet forwarded: its bytes wait out the connect delay
    held.write('held');
    const inLine = client(slow); // forwarded: its bytes wait in the delay line
    const inLineServer = await upstream.next();
    inLine.write('in line');
    const idle = client(slow);
    const idleServer = await upstream.next();
    while (holding.connections + slow.connections < 3) await sleep(5);

    const startedAt = performance.now();
    await Promise.all([holding.close(), slow.close()]);
    expect(performance.now() - startedAt).toBeLessThan(1000);
    await Promise.all([closed(held), closed(inLine), closed(idle)]);
    // The server sees its connections end (it allows half-open ones, so it closes them itself).
    await Promise.all([inLineServer, idleServer].map(ended));
    expect(upstream.sockets).toHaveLength(2); // the held connection was never forwarded
    expect(upstream.sockets.map((s) => s.bytesRead)).toEqual([0, 0]); // nothing held got through
    await holding.close(); // idempotent

    // What is left open is the test's own: the server's half-open ends of the two forwarded connections.
    for (const socket of upstream.sockets) socket.destroy();
    expect(await extraResourcesOver(baseline)).toEqual({});
    await expect(new Promise((resolve, reject) => net.connect(slow.port, '127.0.0.1').once('connect', resolve).once('error', reject))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('rejects options that are not whole milliseconds or ports', async () => {
    await expect(startDelayProxy({ targetPort: 0 })).rejects.toThrow('targetPort');
    await expect(startDelayProxy({ targetPort: upstream.port, upstreamDelayMs: -1 })).rejects.toThrow(
      'Expected `upstreamDelayMs` to be an integer from 0 to 2147483647, got -1',
    );
    await expect(startDelayProxy({ targetPort: upstream.port, connectDelayMs: 1.5 })).rejects.toThrow('connectDelayMs');
  });
});
