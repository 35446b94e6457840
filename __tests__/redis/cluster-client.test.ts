/**
 * A node-redis cluster client (createCluster) sends commands with another signature than a node-redis
 * client: it must be refused at construction with a clear error, not accepted and then silently fall back
 * to local limits on every call.
 */
import { createCluster } from 'redis';
import { RedisStore } from '../../src/redis-store';

it('refuses a node-redis cluster client at construction, naming what to use instead', () => {
  const cluster = createCluster({ rootNodes: [{ url: 'redis://127.0.0.1:1' }] });
  expect(() => new RedisStore({ client: cluster as never })).toThrow(/node-redis cluster client .* not supported; use an ioredis Cluster/);
});
