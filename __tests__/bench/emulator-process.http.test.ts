/**
 * The bench's emulator in a process of its own (bench/emulator-process.ts): the same server, driven over
 * IPC, and gone when closed.
 */
import net from 'node:net';
import { startEmulatorProcess } from '../../bench/emulator-process';
import { send } from '../emulator/helpers';

const refused = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(true));
  });

describe('startEmulatorProcess', () => {
  it('serves from another process, counts, resets and closes', async () => {
    const emulator = await startEmulatorProcess({ vendor: 'clover', appRate: 1, latencyMs: 0 });
    try {
      expect(emulator.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(emulator.options.appRate).toBe(1);
      expect((await send(emulator.url, '/v3/a', { agent: false })).status).toBe(200);
      expect((await send(emulator.url, '/v3/b', { agent: false })).status).toBe(429);
      const stats = await emulator.stats();
      expect(stats.received).toBe(2);
      expect(stats.rejected429).toBe(1);
      expect(stats.timeline).toHaveLength(2);
      await emulator.reset();
      expect((await emulator.stats()).received).toBe(0);
    } finally {
      await emulator.close();
    }
    expect(await refused(emulator.port)).toBe(true);
    await emulator.close(); // idempotent
  }, 30_000);

  it('rejects options the emulator refuses', async () => {
    await expect(startEmulatorProcess({ vendor: 'clover', windowMs: -5 })).rejects.toThrow('windowMs');
  }, 30_000);
});
