/** A client that records every command the store sends through it: round trips, counted from outside. */
import type { IORedisLike, NodeRedisLike, RedisClientLike } from '../../../src/redis-store';

export interface CountingClient {
  client: RedisClientLike;
  /** Command names sent, in order (EVALSHA, EVAL, SCRIPT, PING, ZRANGE …). */
  readonly commands: string[];
  reset(): void;
}

export function countingClient(inner: RedisClientLike): CountingClient {
  const commands: string[] = [];
  const record = (name: string) => commands.push(name.toUpperCase());
  let client: RedisClientLike;
  if (typeof (inner as Partial<IORedisLike>).call === 'function') {
    const ioredis = inner as IORedisLike;
    client = {
      call: (command: string, args: Array<string | number>) => {
        record(command);
        return ioredis.call(command, args);
      },
    };
  } else {
    const nodeRedis = inner as NodeRedisLike;
    client = {
      sendCommand: (args: string[]) => {
        record(args[0]);
        return nodeRedis.sendCommand(args);
      },
    };
  }
  return { client, commands, reset: () => (commands.length = 0) };
}
