import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { HOST } from './vendor-emulator.js';

export interface DelayProxyOptions {
  /** Where to forward: the upstream server on 127.0.0.1. */
  targetPort: number;
  /** Delay before a new client connection is forwarded at all (models TLS set-up to a distant API): data the client writes meanwhile is held. @default 0 */
  connectDelayMs?: number;
  /** Fixed delay added to every chunk client→server (half a long round trip). @default 0 */
  upstreamDelayMs?: number;
  /** Fixed delay added to every chunk server→client. @default 0 */
  downstreamDelayMs?: number;
  port?: number; // default 0
}

export interface RunningDelayProxy {
  readonly url: string;
  readonly port: number;
  /** connections accepted so far */
  readonly connections: number;
  close(): Promise<void>;
}

/** The peer half-closed (FIN): end the other side once the data ahead of it is through. */
const END = Symbol('end');
/** The peer went away without a FIN (reset, error, destroy): reset the other side, after the data ahead of it. */
const RESET = Symbol('reset');
type Item = Buffer | typeof END | typeof RESET;

/** Bytes a delay line may hold before its source is paused (a slow or not yet connected destination). */
const HIGH_WATER_BYTES = 1024 * 1024;

/**
 * One direction of one connection: a FIFO of chunks, each handed on `delayMs` after it was pushed, or after
 * the line was opened if that is later. The delay is the same for every item, so due times never decrease
 * and a single timer (for the head) keeps the order.
 */
class DelayLine {
  private items: Array<{ item: Item; pushedAt: number }> = [];
  private head = 0;
  private bytes = 0;
  private openedAt: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private pausedSource: net.Socket | undefined;

  constructor(
    private readonly delayMs: number,
    /** The socket the chunks are read from, paused while the line holds too much. */
    private readonly source: () => net.Socket | undefined,
    private readonly deliver: (item: Item) => void,
  ) {}

  /** Starts delivering. Items pushed before are due `delayMs` from now. */
  open(): void {
    if (this.openedAt !== undefined) return;
    this.openedAt = performance.now();
    this.pump();
  }

  push(item: Item): void {
    this.items.push({ item, pushedAt: performance.now() });
    if (Buffer.isBuffer(item)) {
      this.bytes += item.length;
      const source = this.source();
      if (this.bytes > HIGH_WATER_BYTES && this.pausedSource === undefined && source !== undefined) {
        this.pausedSource = source;
        source.pause();
      }
    }
    if (this.timer === undefined) this.pump();
  }

  /** Drops everything still held (its destination is gone) and the timer. */
  clear(): void {
    this.items = [];
    this.head = 0;
    this.bytes = 0;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private pump(): void {
    this.timer = undefined;
    if (this.openedAt === undefined) return;
    const items = this.items;
    while (this.head < items.length) {
      const { item, pushedAt } = items[this.head];
      const wait = Math.max(pushedAt, this.openedAt) + this.delayMs - performance.now();
      if (wait > 0) {
        // Timers can fire a fraction of a ms before performance.now() says they are due: re-check then.
        this.timer = setTimeout(() => this.pump(), Math.ceil(wait));
        return;
      }
      this.head++;
      if (Buffer.isBuffer(item)) this.bytes -= item.length;
      if (this.pausedSource !== undefined && this.bytes <= HIGH_WATER_BYTES / 2) {
        if (!this.pausedSource.destroyed) this.pausedSource.resume();
        this.pausedSource = undefined;
      }
      this.deliver(item);
      if (items !== this.items) return; // cleared while delivering: its destination failed
    }
    this.items = [];
    this.head = 0;
  }
}

function deliverTo(socket: net.Socket, item: Item): void {
  if (socket.destroyed) return;
  if (item === RESET) socket.resetAndDestroy();
  else if (socket.writableEnded) return;
  else if (item === END) socket.end();
  else socket.write(item);
}

/** One accepted client connection and the upstream connection it is forwarded to. */
class ProxiedConnection {
  private upstream: net.Socket | undefined;
  private connectTimer: NodeJS.Timeout | undefined;
  private readonly toServer: DelayLine;
  private readonly toClient: DelayLine;
  private clientEnded = false;
  private upstreamEnded = false;
  private clientClosed = false;
  private upstreamClosed = false;
  /** Resolves once both sockets are closed (or the upstream was never opened). */
  readonly done: Promise<void>;
  private finish!: () => void;

  constructor(
    private readonly client: net.Socket,
    private readonly options: Required<Omit<DelayProxyOptions, 'port'>>,
  ) {
    this.done = new Promise((resolve) => (this.finish = resolve));
    this.toServer = new DelayLine(options.upstreamDelayMs, () => client, (item) => {
      if (this.upstream !== undefined) deliverTo(this.upstream, item);
    });
    this.toClient = new DelayLine(options.downstreamDelayMs, () => this.upstream, (item) => deliverTo(client, item));
    this.toClient.open();

    client.setNoDelay(true);
    client.on('data', (chunk: Buffer) => this.toServer.push(chunk));
    client.once('end', () => {
      this.clientEnded = true;
      this.toServer.push(END);
    });
    client.on('error', () => undefined); // 'close' follows and handles it
    client.once('close', () => {
      this.clientClosed = true;
      this.toClient.clear();
      if (this.upstream === undefined) {
        // Gone before the connection was forwarded: the server never hears of it.
        if (this.connectTimer !== undefined) clearTimeout(this.connectTimer);
        this.connectTimer = undefined;
      } else if (!this.clientEnded) {
        this.toServer.push(RESET);
      }
      this.settle();
    });

    if (options.connectDelayMs > 0) {
      this.connectTimer = setTimeout(() => this.connect(), options.connectDelayMs);
    } else {
      this.connect();
    }
  }

  /** Tears both sides down at once, dropping whatever is still held. */
  destroy(): void {
    if (this.connectTimer !== undefined) clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
    this.toServer.clear();
    this.toClient.clear();
    this.client.destroy();
    this.upstream?.destroy();
  }

  private connect(): void {
    this.connectTimer = undefined;
    const upstream = net.connect({ host: HOST, port: this.options.targetPort, allowHalfOpen: true, noDelay: true });
    this.upstream = upstream;
    // The client→server line reads from the client; the server→client line from the upstream.
    const toClient = this.toClient;
    upstream.on('data', (chunk: Buffer) => toClient.push(chunk));
    upstream.once('connect', () => this.toServer.open());
    upstream.once('end', () => {
      this.upstreamEnded = true;
      toClient.push(END);
    });
    upstream.on('error', () => undefined); // 'close' follows and handles it
    upstream.once('close', () => {
      this.upstreamClosed = true;
      this.toServer.clear();
      if (!this.upstreamEnded) toClient.push(RESET);
      this.settle();
    });
  }

  private settle(): void {
    if (this.clientClosed && (this.upstream === undefined ? this.connectTimer === undefined : this.upstreamClosed)) {
      this.toServer.clear();
      this.toClient.clear();
      this.finish();
    }
  }
}

/**
 * A TCP proxy on 127.0.0.1 that delays traffic the way a distant API does: a connection set-up delay
 * (TLS to the other side of the world), and a fixed one-way delay per direction. Chunk order is kept per
 * direction; a half-close (FIN) is forwarded after the data ahead of it, and a reset, error or abrupt close
 * of either side resets the other, also after the data ahead of it. close() destroys every connection at once.
 */
export async function startDelayProxy(options: DelayProxyOptions): Promise<RunningDelayProxy> {
  const resolved = {
    targetPort: options.targetPort,
    connectDelayMs: options.connectDelayMs ?? 0,
    upstreamDelayMs: options.upstreamDelayMs ?? 0,
    downstreamDelayMs: options.downstreamDelayMs ?? 0,
  };
  const check = (name: string, value: number, max: number): void => {
    if (!Number.isInteger(value) || value < 0 || value > max) {
      throw new TypeError(`Expected \`${name}\` to be an integer from 0 to ${max}, got ${String(value)}`);
    }
  };
  check('targetPort', resolved.targetPort, 65_535);
  if (resolved.targetPort === 0) throw new TypeError('Expected `targetPort` to be a port from 1, got 0');
  check('connectDelayMs', resolved.connectDelayMs, 2 ** 31 - 1);
  check('upstreamDelayMs', resolved.upstreamDelayMs, 2 ** 31 - 1);
  check('downstreamDelayMs', resolved.downstreamDelayMs, 2 ** 31 - 1);
  check('port', options.port ?? 0, 65_535);

  const live = new Set<ProxiedConnection>();
  let accepted = 0;
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    accepted++;
    const connection = new ProxiedConnection(client, resolved);
    live.add(connection);
    void connection.done.then(() => live.delete(connection));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${HOST}:${port}`,
    port,
    get connections() {
      return accepted;
    },
    close: () => {
      closing ??= (async () => {
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        const connections = [...live];
        for (const connection of connections) connection.destroy();
        await Promise.all([serverClosed, ...connections.map((c) => c.done)]);
      })();
      return closing;
    },
  };
}
