/**
 * When a request really left: in Node, the moment its http.ClientRequest was handed to the operating
 * system (its 'finish' event), seen through Node's `http.client.request.start` diagnostics channel and
 * tied to the guarded call that made it by an AsyncLocalStorage. Everything that delays a request on our
 * side (connection and TLS set-up, a busy event loop) happens before that moment, so round trips measured
 * from it vary far less than round trips measured from the grant (see sliding-window.ts).
 *
 * Node-only modules are reached through `process.getBuiltinModule` (Node ≥ 20.16), never imported: the core
 * stays free of Node imports and runs in browsers, where there is no such evidence (and nothing here runs).
 * Requests of the xhr and fetch adapters get no evidence, nor do those of a custom adapter until it is seen
 * to make Node http requests; the guard then measures from the grant.
 *
 * Watching costs more than the guard's own work: on Node 20 running an AsyncLocalStorage installs promise
 * hooks, after which every promise of the process is slower, even once the storage is disabled again (V8
 * keeps its slower path): a request through an in-memory adapter took 10–15 % longer. So only requests that
 * can bring evidence are watched (AdapterReach), and whether a custom adapter makes Node http requests is
 * found without the storage: by Node's count of new requests while one of its calls was out.
 */

/** Told when the request it sent was handed to the operating system (the last time, after redirects). */
export interface SendListener {
  requestWritten(): void;
}

export interface SendWatch {
  /** Runs `send(arg)` so that every Node http request it makes reports to `listener`. */
  run<A, T>(listener: SendListener, send: (arg: A) => T, arg: A): T;
  /** Node http requests created in this process so far, watched or not. */
  readonly requestsStarted: number;
}

interface EventSource {
  once(event: 'finish', listener: () => void): unknown;
}

interface NodeBuiltins {
  'node:diagnostics_channel': { subscribe(name: string, onMessage: (message: unknown) => void): void };
  'node:async_hooks': {
    AsyncLocalStorage: new <T>() => { run<A, R>(store: T, fn: (arg: A) => R, arg: A): R; getStore(): T | undefined };
  };
}

type GetBuiltin = <K extends keyof NodeBuiltins>(id: K) => NodeBuiltins[K];

/** The channel Node publishes every new http.ClientRequest on (Node ≥ 18.15 / 19.2). */
const REQUEST_START = 'http.client.request.start';

let shared: SendWatch | null | undefined;

/** The process's watch, created on first use; null where there is no Node http to watch. */
export function sendWatch(): SendWatch | null {
  if (shared !== undefined) return shared;
  shared = null;
  const getBuiltin = (globalThis as { process?: { getBuiltinModule?: GetBuiltin } }).process?.getBuiltinModule;
  if (typeof getBuiltin !== 'function') return shared;
  try {
    const channels = getBuiltin('node:diagnostics_channel');
    const { AsyncLocalStorage } = getBuiltin('node:async_hooks');
    const current = new AsyncLocalStorage<SendListener>();
    // A plain field, not a getter: unwatched calls of a custom adapter read it twice per attempt.
    const watch: { run: SendWatch['run']; requestsStarted: number } = {
      run: (listener, send, arg) => current.run(listener, send, arg),
      requestsStarted: 0,
    };
    channels.subscribe(REQUEST_START, (message) => {
      watch.requestsStarted++;
      const listener = current.getStore();
      const request = (message as { request?: EventSource } | null)?.request;
      if (listener && typeof request?.once === 'function') request.once('finish', () => listener.requestWritten());
    });
    shared = watch;
  } catch {
    // An older Node or a sandbox without these modules: no evidence, the guard measures from the grant.
  }
  return shared;
}

/**
 * Whether the requests of one adapter can bring evidence, and so are worth watching:
 * - axios's own http adapter: always;
 * - xhr and fetch: never (they make no http.ClientRequest);
 * - a custom adapter: from the first of its calls during which the process made a Node http request (a
 *   wrapper around axios's http adapter, a cache that missed; another call's request counts too, which only
 *   makes it watched for nothing). Until then its calls go unwatched, stamped at their answers.
 */
export class AdapterReach {
  private reachesHttp = false;

  /** `custom`: the adapter is the user's function, not one axios resolved from names. */
  constructor(readonly custom: boolean) {}

  /** Whether to watch a call of `send`; `httpAdapter` is axios's Node http adapter (undefined in browsers). */
  shouldWatch(send: unknown, httpAdapter: unknown): boolean {
    return send === httpAdapter || this.reachesHttp;
  }

  /** An unwatched call of a custom adapter has its answer; `madeRequest`: Node made an http request meanwhile. */
  observed(madeRequest: boolean): void {
    if (madeRequest) this.reachesHttp = true;
  }
}
