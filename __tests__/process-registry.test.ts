/**
 * A process that loads the library twice (a dependency requires the CommonJS build, the app imports the ES
 * module build) must still have one default store and one scheduler per store. Two module instances stand
 * in for the two builds here; the package check does it with the real dist/cjs and dist/esm
 * (scripts/package/consumer/both-builds.cjs).
 */
import axios, { type AxiosAdapter } from 'axios';

type Library = typeof import('../src/index');

const loadCopy = (): Library => {
  let copy: Library | undefined;
  jest.isolateModules(() => {
    copy = require('../src/index') as Library;
  });
  return copy!;
};

it('two copies of the library share the default store and its scheduler: concurrent 1 holds across both', async () => {
  const [first, second] = [loadCopy(), loadCopy()];
  expect(first.rateGuard).not.toBe(second.rateGuard);
  expect(first.defaultStore()).toBe(second.defaultStore());

  let inFlight = 0;
  let most = 0;
  const adapter: AxiosAdapter = async (config) => {
    most = Math.max(most, ++inFlight);
    await new Promise((resolve) => setTimeout(resolve, 5));
    inFlight--;
    return { data: 'ok', status: 200, statusText: 'OK', headers: {}, config };
  };
  const apis = [first, second].map((library) => {
    const api = axios.create({ adapter });
    library.rateGuard(api, { clientId: 'shared', limits: { client: { concurrent: 1 } } });
    return api;
  });
  await Promise.all(Array.from({ length: 10 }, (_, i) => apis[i % 2].get(`/x${i}`)));
  expect(most).toBe(1);
});
