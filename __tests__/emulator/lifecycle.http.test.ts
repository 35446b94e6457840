import http from 'node:http';
import net from 'node:net';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { startEmulator } from '../../emulator/index.js';
import { bearer, send, sleep } from './helpers.js';

/** Handles that would keep a process alive, by type. */
function openResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) {
    if (type === 'TCPServerWrap' || type === 'TCPSocketWrap' || type === 'Timeout') counts[type] = (counts[type] ?? 0) + 1;
  }
  return counts;
}

function extraOver(baseline: Record<string, number>): Record<string, number> {
  const extra: Record<string, number> = {};
  for (const [type, count] of Object.entries(openResources())) {
    if (count > (baseline[type] ?? 0)) extra[type] = count - (baseline[type] ?? 0);
  }
  return extra;
}

/**
 * Expects no more open servers, sockets or timers than at `baseline`. Handles from earlier tests may still be
 * finishing their close at baseline time, so fewer is fine; closing takes a turn of the event loop, so poll.
 */
async function expectNothingLeftOver(baseline: Record<string, number>): Promise<void> {
  for (let i = 0; i < 50 && Object.keys(extraOver(baseline)).length > 0; i++) await sleep(10);
  expect(extraOver(baseline)).toEqual({});
}

describe('lifecycle', () => {
  it('close() cancels held responses, closes every socket and leaves no timer behind', async () => {
    const baseline = openResources();
    const agent = new http.Agent({ keepAlive: true });
    const emu = await startEmulator({ vendor: 'clover', latencyMs: 30_000 });
    const quick = await startEmulator({ vendor: 'clover' });
    try {
      expect(emu.url).toBe(`http://127.0.0.1:${emu.port}`);
      expect(emu.options.port).toBe(emu.port);

      // An idle keep-alive socket (answered request) and held requests (30 s latency).
      await send(quick.url, '/idle', { agent });
      const held = [1, 2, 3].map((i) =>
        send(emu.url, `/held/${i}`, { agent }).then(
          () => 'answered',
          (error: NodeJS.ErrnoException) => error.code ?? 'error',
        ),
      );
      while (emu.stats().accepted < 3) await sleep(5);

      const started = performance.now();
      await Promise.all([emu.close(), quick.close()]);
      expect(performance.now() - started).toBeLessThan(2000);
      expect(await Promise.all(held)).toEqual(['ECONNRESET', 'ECONNRESET', 'ECONNRESET']);
      await emu.close(); // idempotent

      await expect(send(emu.url, '/after', { agent: false })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    } finally {
      await Promise.all([emu.close(), quick.close()]);
      agent.destroy();
    }
    await expectNothingLeftOver(baseline);
  });

  it('a client abort frees the in-flight slot', async () => {
    const emu = await startEmulator({ vendor: 'clover', latencyMs: 2000, tokenConcurrent: 1, penalty: false });
    try {
      let slow: http.ClientRequest | undefined;
      const first = send(emu.url, '/slow', { headers: bearer('t'), agent: false, onRequest: (r) => (slow = r) });
      while (emu.stats().accepted < 1) await sleep(5);
      expect((await send(emu.url, '/blocked', { headers: bearer('t'), agent: false })).status).toBe(429);

      slow!.destroy();
      await expect(first).rejects.toThrow();
      await sleep(300); // the server sees the socket close on its next turn; allow plenty
      // Still well inside the 2 s the aborted request would have been held: only the abort can have freed the slot.
      const probe = await send(emu.url, '/probe', { headers: bearer('t'), agent: false });
      expect(probe.status).toBe(200);
      expect(emu.stats()).toMatchObject({ accepted: 2, rejected429: 1, maxInFlightPerToken: 2 });
    } finally {
      await emu.close();
    }
  });

  it('rejects when the port is taken and leaves nothing open', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const port = (blocker.address() as net.AddressInfo).port;
      const baseline = openResources();
      await expect(startEmulator({ vendor: 'clover', port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
      await expectNothingLeftOver(baseline);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('rejects invalid options before opening anything', async () => {
    await expect(startEmulator({ vendor: 'clover', windowMs: -5 })).rejects.toThrow('windowMs');
  });
});

describe('cli', () => {
  it('prints the URL, serves, and stops on SIGTERM', async () => {
    const root = path.resolve(__dirname, '../..');
    const child = spawn(
      process.execPath,
      [require.resolve('tsx/cli'), 'emulator/cli.ts', '--vendor', 'giponext', '--port', '0', '--app-rate', '7'],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      const firstLine = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString('utf8');
          if (out.includes('\n')) resolve(out.split('\n')[0]);
        });
        child.once('exit', (code) => reject(new Error(`cli exited early with ${code}`)));
      });
      expect(firstLine).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const stats = (await send(firstLine, '/__stats', { agent: false })).json<{ received: number }>();
      expect(stats.received).toBe(0);
      expect((await send(firstLine, '/hello', { agent: false })).status).toBe(200);
    } finally {
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  }, 30_000);
});
