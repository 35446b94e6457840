/** ioredis and node-redis clients for the tests, both reconnecting quickly after an outage. */
import Redis from 'ioredis';
import { createClient } from 'redis';
import type { RedisClientLike } from '../../../src/redis-store';

export type ClientKind = 'ioredis' | 'node-redis';
export const CLIENT_KINDS: ClientKind[] = ['ioredis', 'node-redis'];

export interface TestClient {
  kind: ClientKind;
  client: RedisClientLike;
  /** A raw command, for assertions on what is in Redis. */
  command(args: string[]): Promise<unknown>;
  close(): Promise<void>;
}

export async function connect(kind: ClientKind, port: number): Promise<TestClient> {
  if (kind === 'ioredis') {
    // No offline queue: while Redis is down a command fails at once instead of waiting for the reconnect.
    const client = new Redis({
      host: '127.0.0.1',
      port,
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => 50,
    });
    client.on('error', () => undefined);
    await client.connect();
    return {
      kind,
      client,
      command: (args) => client.call(args[0], args.slice(1)),
      close: async () => {
        client.disconnect();
      },
    };
  }
  const client = createClient({
    socket: { host: '127.0.0.1', port, reconnectStrategy: () => 50, connectTimeout: 1000 },
    disableOfflineQueue: true,
  });
  client.on('error', () => undefined);
  await client.connect();
  return {
    kind,
    client,
    command: (args) => client.sendCommand(args),
    close: async () => {
      client.destroy();
    },
  };
}
