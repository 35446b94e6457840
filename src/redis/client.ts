/**
 * The Redis clients the store accepts, typed by the one method it calls, so that neither ioredis's nor
 * node-redis's types (nor the packages) are needed by anyone who does not use them.
 */

/** An ioredis (v5, or v4: the same `call`) `Redis` or `Cluster`: commands go through `call(command, args)`. */
export interface IORedisLike {
  call(command: string, args: Array<string | number>): Promise<unknown>;
}

/** A node-redis (v4 or later) client: commands go through `sendCommand([command, ...args])`. */
export interface NodeRedisLike {
  sendCommand(args: string[]): Promise<unknown>;
}

export type RedisClientLike = IORedisLike | NodeRedisLike;

/** Sends one command (name first) and resolves with its reply. */
export type SendCommand = (args: string[]) => Promise<unknown>;

/**
 * One calling convention for both clients. ioredis also has a `sendCommand`, but one that takes its own
 * Command objects, so `call` is looked for first; node-redis has no `call`.
 */
export function commandSender(client: RedisClientLike): SendCommand {
  const candidate = client as Partial<IORedisLike & NodeRedisLike> | null | undefined;
  if (typeof candidate?.call === 'function') {
    const ioredis = client as IORedisLike;
    return (args) => ioredis.call(args[0], args.slice(1));
  }
  if (typeof candidate?.sendCommand === 'function') {
    if (isNodeRedisCluster(client)) {
      throw new TypeError(
        'RedisStore: a node-redis cluster client (createCluster) is not supported; use an ioredis Cluster, or a node-redis client of one node',
      );
    }
    if (isNodeRedisV3(client)) {
      throw new TypeError(
        'RedisStore: a node-redis v3 client is not supported (its sendCommand takes a command name, not an array); use node-redis v4 or later, or ioredis',
      );
    }
    const nodeRedis = client as NodeRedisLike;
    return (args) => nodeRedis.sendCommand(args);
  }
  throw new TypeError('RedisStore: expected `client` to be an ioredis client (v5) or a node-redis client (v4 or later)');
}

/**
 * node-redis's cluster client has a `sendCommand(firstKey, isReadonly, args)` of its own: given our
 * `sendCommand(args)` it fails on every call, and the store would fall back to local limits for good.
 */
function isNodeRedisCluster(client: unknown): boolean {
  const candidate = client as { masters?: unknown; slots?: unknown };
  return Array.isArray(candidate.masters) && Array.isArray(candidate.slots);
}

/**
 * node-redis v3 has a `sendCommand(command, args, callback)` that returns a boolean: given our array it throws
 * on every call. Only v3 and older have the snake_case `send_command` (ioredis has it too, but has `call`).
 */
function isNodeRedisV3(client: unknown): boolean {
  return typeof (client as { send_command?: unknown }).send_command === 'function';
}

/** True for the error Redis answers EVALSHA with when the script is not in its cache (restart, SCRIPT FLUSH). */
export function isNoScriptError(error: unknown): boolean {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' && message.startsWith('NOSCRIPT');
}
