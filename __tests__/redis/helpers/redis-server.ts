/**
 * A throwaway redis-server for tests: 127.0.0.1 only, a free port, no persistence. `stop()` and `start()`
 * again on the same port simulate an outage in the middle of a run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';

export const REDIS_BIN = process.env.REDIS_SERVER ?? 'redis-server';

/**
 * A free loopback port outside the kernel's ephemeral range. A port inside it can be taken, while the server
 * is stopped, by a client's own reconnect attempt: on loopback a connect whose source port happens to equal
 * the destination port connects the socket to itself (TCP self-connect), the client believes it is
 * connected, and it never hears from the restarted server.
 */
export async function freePort(): Promise<number> {
  let [low, high] = [32768, 60999];
  try {
    [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
  } catch {
    // not Linux: keep the usual range
  }
  const candidates: Array<[number, number]> = [
    [10_000, low - 1],
    [high + 1, 65_535],
  ].filter(([a, b]) => b - a > 100) as Array<[number, number]>;
  for (let attempt = 0; attempt < 50; attempt++) {
    const [a, b] = candidates[attempt % candidates.length];
    const port = a + Math.floor(Math.random() * (b - a));
    if (await isFree(port)) return port;
  }
  throw new Error('no free port outside the ephemeral range');
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Sends one inline command on a fresh connection and resolves with the first line of the answer. */
function command(port: number, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let answer = '';
    const done = (error: Error | undefined) => {
      socket.destroy();
      if (error) reject(error);
      else resolve(answer.split('\r\n')[0]);
    };
    socket.setTimeout(500, () => done(new Error('timeout')));
    socket.on('error', done);
    socket.on('connect', () => socket.write(`${line}\r\n`));
    socket.on('data', (chunk) => {
      answer += chunk.toString();
      if (answer.includes('\r\n')) done(undefined);
    });
  });
}

const pingOnce = (port: number): Promise<boolean> =>
  command(port, 'PING').then(
    (answer) => answer === '+PONG',
    () => false,
  );

export class RedisServer {
  private child: ChildProcess | undefined;
  private exited: Promise<void> | undefined;

  private constructor(readonly port: number) {}

  /** Starts a server on a free port (or `port`) and waits until it answers PING. */
  static async start(port?: number): Promise<RedisServer> {
    const server = new RedisServer(port ?? (await freePort()));
    await server.start();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  async start(): Promise<void> {
    if (this.child) return;
    const child = spawn(
      REDIS_BIN,
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes', '--loglevel', 'warning'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk) => (stderr += chunk.toString()));
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const failed = this.exited.then(() => {
      throw new Error(`redis-server exited at start (port ${this.port}): ${stderr.trim()}`);
    });
    const deadline = Date.now() + 10_000;
    const ready = (async () => {
      while (Date.now() < deadline) {
        if (await pingOnce(this.port)) return;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`redis-server did not answer on port ${this.port}`);
    })();
    await Promise.race([ready, failed]);
    failed.catch(() => undefined);
  }

  /**
   * Stops the server abruptly (SIGKILL: connections reset, nothing flushed) and waits for it to exit.
   *
   * It first moves its listener to another port, so that no client reconnects into the dying process: with
   * node-redis 5.9 a connection accepted by the kernel and reset before the client's handshake ends leaves
   * that client "ready" on a dead socket, never answering again (its reconnect loop has already given up on
   * that socket). A real outage can hit that race too; the store then simply keeps limiting locally.
   */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    await command(this.port, `CONFIG SET port ${await freePort()}`).catch(() => undefined);
    child.kill('SIGKILL');
    await this.exited;
  }
}
