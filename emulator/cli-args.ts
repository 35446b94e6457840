import type { EmulatorOptions, Vendor } from './types.js';

export const USAGE = `Usage: tsx emulator/cli.ts --vendor <clover|giponext|genesys> [options]

  --port <n>                    TCP port on 127.0.0.1 (default 0 = any free port)
  --window-ms <ms>              sliding rate window (default 1000)
  --app-rate <n|none>           accepted per client_id per window
  --token-rate <n|none>         accepted per token per window
  --app-concurrent <n|none>     in flight per client_id
  --token-concurrent <n|none>   in flight per token
  --retry-after <s>             Retry-After seconds (default 1)
  --no-penalty                  requests during a pause are not punished
  --latency-ms <ms>             hold each accepted response (default 0)
  --omit-retry-after-every <k>  drop Retry-After on every k-th 429 (0 = never)
  --cors <origin|*>             answer pages of that origin (preflights are not counted)
  --cors-hide-headers           with --cors, leave Retry-After and X-RateLimit-* out of Access-Control-Expose-Headers
  --help                        show this text

Limits left out use the vendor's defaults; "none" removes one.`;

type NumericOption = 'port' | 'windowMs' | 'retryAfterSec' | 'latencyMs' | 'omitRetryAfterEvery';
type LimitOption = 'appRate' | 'tokenRate' | 'appConcurrent' | 'tokenConcurrent';

const NUMERIC: Record<string, NumericOption> = {
  port: 'port',
  'window-ms': 'windowMs',
  'retry-after': 'retryAfterSec',
  'latency-ms': 'latencyMs',
  'omit-retry-after-every': 'omitRetryAfterEvery',
};

const LIMITS: Record<string, LimitOption> = {
  'app-rate': 'appRate',
  'token-rate': 'tokenRate',
  'app-concurrent': 'appConcurrent',
  'token-concurrent': 'tokenConcurrent',
};

export type CliCommand = { help: true } | { help: false; options: EmulatorOptions };

function number(flag: string, raw: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value)) {
    throw new TypeError(`Expected --${flag} to be a number, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** Parses `--flag value` and `--flag=value` arguments; values are validated later by normalizeOptions. */
export function parseCliArgs(argv: readonly string[]): CliCommand {
  const options: Partial<EmulatorOptions> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return { help: true };
    if (arg === '--no-penalty') {
      options.penalty = false;
      continue;
    }
    if (arg === '--cors-hide-headers') {
      options.corsExposeHeaders = false;
      continue;
    }
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!match) throw new TypeError(`Unexpected argument ${JSON.stringify(arg)}\n\n${USAGE}`);
    const flag = match[1];
    const known = flag === 'vendor' || flag === 'cors' || Object.hasOwn(NUMERIC, flag) || Object.hasOwn(LIMITS, flag);
    if (!known) throw new TypeError(`Unknown option --${flag}\n\n${USAGE}`);
    const raw = match[2] ?? argv[++i];
    if (raw === undefined) throw new TypeError(`Missing value for --${flag}`);
    if (flag === 'vendor') options.vendor = raw as Vendor;
    else if (flag === 'cors') options.cors = raw;
    else if (Object.hasOwn(NUMERIC, flag)) options[NUMERIC[flag]] = number(flag, raw);
    else options[LIMITS[flag]] = raw === 'none' ? null : number(flag, raw);
  }
  if (options.vendor === undefined) throw new TypeError(`Missing --vendor\n\n${USAGE}`);
  return { help: false, options: options as EmulatorOptions };
}
