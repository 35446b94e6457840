// Installed beside redis@3 and ioredis@4 (the install itself is the first check). ioredis 4 has the same
// `call(command, args)` as 5 and is accepted; node-redis 3's sendCommand takes (command, args, callback) and
// is refused at construction with a TypeError that says so.
const IORedis = require('ioredis');
const redis = require('redis');
const { RedisStore } = require('axios-rate-guard/redis');

const version = (name) => require(`${name}/package.json`).version;
const ioredis = new IORedis({ lazyConnect: true });
const store = new RedisStore({ client: ioredis, prefix: 'consumer:' });
void store.close();
ioredis.disconnect();

const nodeRedis = redis.createClient({ port: 1, retry_strategy: () => undefined });
nodeRedis.on('error', () => {});
try {
  new RedisStore({ client: nodeRedis });
  throw new Error(`redis@${version('redis')} accepted`);
} catch (error) {
  if (!(error instanceof TypeError) || !/node-redis/.test(error.message)) throw error;
  console.log(`ioredis@${version('ioredis')}: accepted; redis@${version('redis')}: TypeError: ${error.message}`);
} finally {
  nodeRedis.end(false);
}
