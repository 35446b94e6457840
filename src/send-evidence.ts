/**
 * When a request really left: in Node, the moment its http.ClientRequest was handed to the operating
 * system (its 'finish' event), seen through Node's `http.client.request.start` diagnostics channel and
 * tied to the guarded call that made it by an AsyncLocalStorage. Everything that delays a request on our
 * side (connection and TLS set-up, a busy event loop) happens before that moment, so round trips measured
 * from it vary far less than round trips measured from the grant (see sliding-window.ts).
 *
 * Node-only modules are reached through `process.getBuiltinModule` (Node ≥ 20.16), never imported: the core
 * stays free of Node imports and runs in browsers, where there is no such evidence (and nothing here runs).
 * Requests of other adapters (xhr, fetch, custom) get no evidence; the guard then measures from the grant.
 */

/** Told when the request it sent was handed to the operating system (the last time, after redirects). */
export interface SendListener {
  requestWritten(): void;
}

export interface SendWatch {
  /** Runs `send(arg)` so that every Node http request it makes reports its write to `listener`. */
  run<A, T>(listener: SendListener, send: (arg: A) => T, arg: A): T;
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
    channels.subscribe(REQUEST_START, (message) => {
      const listener = current.getStore();
      const request = (message as { request?: EventSource } | null)?.request;
      if (listener && typeof request?.once === 'function') request.once('finish', () => listener.requestWritten());
    });
    shared = { run: (listener, send, arg) => current.run(listener, send, arg) };
  } catch {
    // An older Node or a sandbox without these modules: no evidence, the guard measures from the grant.
  }
  return shared;
}
