import type { EmulatorOptions, ResolvedEmulatorOptions, Vendor } from './types.js';

type VendorDefaults = Pick<
  ResolvedEmulatorOptions,
  'appRate' | 'tokenRate' | 'appConcurrent' | 'tokenConcurrent' | 'omitRetryAfterEvery'
>;

/** Per-vendor limits from the vendors' published documents (see /work/shared/seeds). */
export const VENDOR_DEFAULTS: Readonly<Record<Vendor, Readonly<VendorDefaults>>> = {
  // Clover: 50/s per app, 16/s per token, 10 concurrent per app, 5 per token.
  clover: { appRate: 50, tokenRate: 16, appConcurrent: 10, tokenConcurrent: 5, omitRetryAfterEvery: 0 },
  // GipoNext: one counter per client_id in a sliding window.
  giponext: { appRate: 50, tokenRate: undefined, appConcurrent: undefined, tokenConcurrent: undefined, omitRetryAfterEvery: 0 },
  // Genesys: per-token limit; historically Retry-After was "only supplied in some scenarios".
  genesys: { appRate: undefined, tokenRate: 16, appConcurrent: undefined, tokenConcurrent: undefined, omitRetryAfterEvery: 2 },
};

export const COMMON_DEFAULTS = {
  windowMs: 1000, // 1 s
  retryAfterSec: 1,
  penalty: true,
  latencyMs: 0,
  port: 0, // any free port
  cors: false,
  corsExposeHeaders: true,
} as const;

const VENDORS = Object.keys(VENDOR_DEFAULTS) as Vendor[];

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

function positiveNumber(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`Expected \`${name}\` to be a finite number above 0, got ${describe(value)}`);
  }
  return value;
}

function integerAtLeast(name: string, value: number, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new TypeError(`Expected \`${name}\` to be an integer from ${min} and up, got ${describe(value)}`);
  }
  return value;
}

/** undefined -> the vendor default, null -> no limit, otherwise an integer >= 1. */
function limit(name: string, value: number | null | undefined, fallback: number | undefined): number | undefined {
  if (value === undefined) return fallback;
  if (value === null) return undefined;
  return integerAtLeast(name, value, 1);
}

/** `true` -> any origin (`*`), a string -> that origin, `false` -> CORS off. */
function corsOrigin(value: boolean | string): string | undefined {
  if (value === false) return undefined;
  if (value === true) return '*';
  if (typeof value === 'string' && (value === '*' || /^[a-z][a-z\d+.-]*:\/\/[^/\s]+$/i.test(value))) return value;
  throw new TypeError(`Expected \`cors\` to be a boolean, "*" or an origin like "http://127.0.0.1:5173", got ${describe(value)}`);
}

export function normalizeOptions(options: EmulatorOptions): ResolvedEmulatorOptions {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`Expected options to be an object, got ${describe(options)}`);
  }
  const vendor = options.vendor;
  if (!VENDORS.includes(vendor)) {
    throw new TypeError(`Expected \`vendor\` to be one of ${VENDORS.join(', ')}, got ${describe(vendor)}`);
  }
  const defaults = VENDOR_DEFAULTS[vendor];
  const latencyMs = options.latencyMs ?? COMMON_DEFAULTS.latencyMs;
  if (typeof latencyMs !== 'number' || !Number.isFinite(latencyMs) || latencyMs < 0) {
    throw new TypeError(`Expected \`latencyMs\` to be a finite number from 0 and up, got ${describe(latencyMs)}`);
  }
  const port = integerAtLeast('port', options.port ?? COMMON_DEFAULTS.port, 0);
  if (port > 65535) throw new TypeError(`Expected \`port\` to be an integer from 0 to 65535, got ${port}`);
  const cors = corsOrigin(options.cors ?? COMMON_DEFAULTS.cors);
  const corsExposeHeaders = options.corsExposeHeaders ?? COMMON_DEFAULTS.corsExposeHeaders;
  if (typeof corsExposeHeaders !== 'boolean') {
    throw new TypeError(`Expected \`corsExposeHeaders\` to be a boolean, got ${describe(corsExposeHeaders)}`);
  }
  const penalty = options.penalty ?? COMMON_DEFAULTS.penalty;
  if (typeof penalty !== 'boolean') {
    throw new TypeError(`Expected \`penalty\` to be a boolean, got ${describe(penalty)}`);
  }

  return {
    vendor,
    windowMs: positiveNumber('windowMs', options.windowMs ?? COMMON_DEFAULTS.windowMs),
    appRate: limit('appRate', options.appRate, defaults.appRate),
    tokenRate: limit('tokenRate', options.tokenRate, defaults.tokenRate),
    appConcurrent: limit('appConcurrent', options.appConcurrent, defaults.appConcurrent),
    tokenConcurrent: limit('tokenConcurrent', options.tokenConcurrent, defaults.tokenConcurrent),
    // Retry-After is delta-seconds on the wire, so only whole seconds are representable.
    retryAfterSec: integerAtLeast('retryAfterSec', options.retryAfterSec ?? COMMON_DEFAULTS.retryAfterSec, 0),
    penalty,
    latencyMs,
    omitRetryAfterEvery: integerAtLeast(
      'omitRetryAfterEvery',
      options.omitRetryAfterEvery ?? defaults.omitRetryAfterEvery,
      0,
    ),
    port,
    cors,
    corsExposeHeaders,
  };
}
