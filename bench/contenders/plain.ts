import type { Contender } from '../types';
import { createInstances, requestConfig } from './instances';

/** The baseline: axios with nothing added. A 429 is an error, and the request is lost. */
export const plainAxios: Contender = {
  id: 'plain-axios',
  name: 'plain axios',
  describe: () => 'axios.create(), nothing added; a 429 rejects the call',
  create(setup) {
    const apis = createInstances(setup);
    return {
      send: (request, signal) => apis[request.instance].request(requestConfig(request, signal)),
      close: () => undefined,
    };
  },
};
