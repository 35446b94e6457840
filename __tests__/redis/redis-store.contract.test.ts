/**
 * The store contract, against RedisStore on a real redis-server, with each supported client. Time in the
 * scripts is the server's: `advance(ms)` shifts the time every script reads instead of sleeping, and the
 * store's own clock with it (the store keeps the pauses it heard of locally too).
 */
import { systemClock } from '../../src/clock';
import { RedisStore } from '../../src/redis-store';
import { describeStoreContract } from '../helpers/store-contract';
import { CLIENT_KINDS, connect, type TestClient } from './helpers/clients';
import { RedisServer } from './helpers/redis-server';

let server: RedisServer;
beforeAll(async () => {
  server = await RedisServer.start();
});
afterAll(async () => {
  await server.stop();
});

let run = 0;
describe.each(CLIENT_KINDS)('with %s', (kind) => {
  let redis: TestClient;
  beforeAll(async () => {
    redis = await connect(kind, server.port);
  });
  afterAll(async () => {
    await redis.close();
  });

  describeStoreContract(`RedisStore (${kind})`, async () => {
    let shift = 0;
    const clock = { ...systemClock, now: () => systemClock.now() + shift };
    const store = new RedisStore({ client: redis.client, prefix: `contract-${kind}-${++run}:`, timeShiftMs: () => shift, clock });
    return {
      store,
      advance: async (ms) => {
        shift += ms;
      },
      close: async () => store.close(),
    };
  });
});
