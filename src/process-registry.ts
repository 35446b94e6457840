/**
 * What must exist once per process: the default store and the scheduler of each store. A process can load
 * this library twice (a dependency `require`s the CommonJS build, the app `import`s the ES module build),
 * and module-level state would then split in two: two guards of one clientId would each keep its limits
 * alone. So it lives on `globalThis` under a `Symbol.for` key, which both builds find. The objects kept
 * here are used only through their methods, never with `instanceof` (each build has its own classes).
 * The version in the key changes whenever those methods do, so that incompatible copies keep apart.
 */
export interface ProcessRegistry {
  /** The MemoryStore used by guards given no store. */
  defaultStore?: unknown;
  /** The Scheduler of each store, shared by every guard on it. */
  readonly schedulers: WeakMap<object, unknown>;
}

const KEY = Symbol.for('axios-rate-guard.process-registry.v1');

export function processRegistry(): ProcessRegistry {
  const holder = globalThis as { [KEY]?: ProcessRegistry };
  return (holder[KEY] ??= { schedulers: new WeakMap() });
}
