export { startEmulator, HOST, STATS_PATH, RESET_PATH } from './vendor-emulator.js';
export { normalizeOptions, VENDOR_DEFAULTS, COMMON_DEFAULTS } from './options.js';
export { tokenLabel, appOf, tokenOf, DEFAULT_APP, ANONYMOUS_TOKEN } from './identity.js';
export { GIPONEXT_429_BODY } from './vendor-responses.js';
export { EXPOSED_HEADERS, RATE_LIMIT_HEADERS, ALLOWED_REQUEST_HEADERS } from './cors.js';
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
export { startDelayProxy } from './delay-proxy.js';
export type { DelayProxyOptions, RunningDelayProxy } from './delay-proxy.js';
export { startCpuBurners } from './cpu-burner.js';
export type { RunningCpuBurners } from './cpu-burner.js';
