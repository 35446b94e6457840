/**
 * The Redis packages are no peer dependencies (a project on redis@3 or ioredis@4 must be able to install
 * us), so the client's shape is checked at construction instead. The consumer matrix
 * (scripts/package/consumer-matrix.mjs) does the same with the real redis@3 and ioredis@4 packages.
 */
import { RedisStore } from '../../src/redis-store';

const reply = async () => null;

it('refuses a node-redis v3 client (sendCommand of another shape) at construction, naming what to use', () => {
  const v3 = { sendCommand: () => true, send_command: () => true };
  expect(() => new RedisStore({ client: v3 as never })).toThrow(TypeError);
  expect(() => new RedisStore({ client: v3 as never })).toThrow(/node-redis v3 client is not supported.*node-redis v4 or later, or ioredis/);
});

it('refuses what is no Redis client with a TypeError naming the clients it takes', () => {
  expect(() => new RedisStore({ client: {} as never })).toThrow(/expected `client` to be an ioredis client \(v5\) or a node-redis client/);
});

it('accepts ioredis (call, also beside the snake_case send_command of v4) and node-redis v4+ (sendCommand)', () => {
  for (const client of [{ call: reply, send_command: () => true }, { call: reply }, { sendCommand: reply }]) {
    new RedisStore({ client: client as never }).close();
  }
});
