export { startEmulator, HOST, STATS_PATH, RESET_PATH } from './vendor-emulator.js';
export { normalizeOptions, VENDOR_DEFAULTS, COMMON_DEFAULTS } from './options.js';
export { tokenLabel, appOf, tokenOf, DEFAULT_APP, ANONYMOUS_TOKEN } from './identity.js';
export { GIPONEXT_429_BODY } from './vendor-responses.js';
export type { EchoBody } from './echo.js';
export type {
  Vendor,
  LimitKind,
  EmulatorOptions,
  ResolvedEmulatorOptions,
  KeyStats,
  TimelineEntry,
  EmulatorStats,
  RunningEmulator,
} from './types.js';
