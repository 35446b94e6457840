/** The vendor whose 429 behaviour (headers, body, defaults) the emulator reproduces. */
export type Vendor = 'clover' | 'giponext' | 'genesys';

/**
 * Which limit rejected a request. Clover's header suffixes are used as the names for every vendor:
 * `crossToken*` limits apply to the app (client_id), `token*` limits to one access token.
 */
export type LimitKind =
  | 'crossTokenLimit'
  | 'tokenLimit'
  | 'crossTokenConcurrentLimit'
  | 'tokenConcurrentLimit';

export interface EmulatorOptions {
  vendor: Vendor;
  /** Length of the sliding rate window, in ms. @default 1000 */
  windowMs?: number;
  /**
   * Max accepted requests per client_id in any sliding window of `windowMs`.
   * `null` disables the limit. @default clover 50, giponext 50, genesys none
   */
  appRate?: number | null;
  /** Max accepted requests per access token per sliding window. `null` disables. @default clover 16, genesys 16, giponext none */
  tokenRate?: number | null;
  /** Max accepted requests in flight per client_id. `null` disables. @default clover 10, others none */
  appConcurrent?: number | null;
  /** Max accepted requests in flight per token. `null` disables. @default clover 5, others none */
  tokenConcurrent?: number | null;
  /** The Retry-After value sent with every 429, integer seconds; also the length of the pause it announces. @default 1 */
  retryAfterSec?: number;
  /**
   * A request arriving while its app or token is paused gets 429 again and extends that pause to
   * now + retryAfterSec (Clover: "If a request is made before this time, the waiting period increases").
   * @default true
   */
  penalty?: boolean;
  /** How long each accepted response is held before it is answered, in ms. Makes concurrency limits observable. @default 0 */
  latencyMs?: number;
  /**
   * Leave the Retry-After header out of every k-th 429 (the body still says how long to wait). 0 = never.
   * @default genesys 2 (every other 429 lacks it), others 0
   */
  omitRetryAfterEvery?: number;
  /** TCP port on 127.0.0.1. @default 0 (a free port) */
  port?: number;
  /**
   * Answer pages of another origin: `true` allows any origin (`*`), a string allows that one origin
   * (e.g. `http://127.0.0.1:5173`). Preflight OPTIONS requests are then answered 204 and are neither
   * counted nor limited. @default false (no CORS headers; a browser on another origin gets nothing)
   */
  cors?: boolean | string;
  /**
   * With `cors`: list Retry-After and every rate-limit header in Access-Control-Expose-Headers, so that
   * a page can read them. `false` plays a server that forgets to, whose 429s a page sees without them.
   * @default true
   */
  corsExposeHeaders?: boolean;
}

/** Options after defaults are applied. `undefined` for a limit means "no limit". `port` is the bound port. */
export interface ResolvedEmulatorOptions {
  vendor: Vendor;
  windowMs: number;
  appRate: number | undefined;
  tokenRate: number | undefined;
  appConcurrent: number | undefined;
  tokenConcurrent: number | undefined;
  retryAfterSec: number;
  penalty: boolean;
  latencyMs: number;
  omitRetryAfterEvery: number;
  port: number;
  /** The Access-Control-Allow-Origin value (an origin or `*`); undefined = CORS off. */
  cors: string | undefined;
  corsExposeHeaders: boolean;
}

export interface KeyStats {
  accepted: number;
  rejected: number;
  /** Requests of this key that arrived while this key was inside an announced pause. */
  arrivedDuringPause: number;
  /** Max requests of this key in flight at once, counting every arrival (accepted or not). */
  maxInFlight: number;
  /** Max accepted requests of this key inside any interval of windowMs. */
  maxInAnyWindow: number;
}

export interface TimelineEntry {
  /** Arrival, ms since start/reset (fractional, same clock the limiter used). */
  t: number;
  status: number;
  app: string;
  /** Token label (see tokenLabel), never the raw token. */
  token: string;
  /** Path with query. */
  path: string;
  /** The request's app or token was inside an announced pause when it arrived. */
  duringPause: boolean;
  /** For 429s: the limit named in the response. */
  limit?: LimitKind;
}

export interface EmulatorStats {
  /** Counted requests (everything except /__stats, /__reset and CORS preflights). */
  received: number;
  /** CORS preflight OPTIONS answered (only with the `cors` option); never counted or limited. */
  preflights: number;
  accepted: number;
  rejected429: number;
  /** Requests that arrived while their app or token was paused (each request counted once). */
  arrivedDuringPause: number;
  /** Max in flight of one app / one token, over all arrivals, from arrival until the response was ended. */
  maxInFlightPerApp: number;
  maxInFlightPerToken: number;
  /** Max accepted requests of one app / one token inside any interval of windowMs. */
  maxInWindowPerApp: number;
  maxInWindowPerToken: number;
  byApp: Record<string, KeyStats>;
  /** Keyed by token label, never by raw token. */
  byToken: Record<string, KeyStats>;
  /** Path with query -> times accepted. */
  acceptedByPath: Record<string, number>;
  /** 429s by the limit they named (penalty 429s name the limit that caused the pause). */
  rejectedByLimit: Record<LimitKind, number>;
  timeline: TimelineEntry[];
  /** Retry-After values sent, in seconds, one per 429 that carried the header. */
  retryAfterSent: number[];
}

export interface RunningEmulator {
  /** e.g. http://127.0.0.1:41234 (no trailing slash) */
  readonly url: string;
  readonly port: number;
  readonly options: Readonly<ResolvedEmulatorOptions>;
  /** A deep copy of the statistics since start or the last reset. */
  stats(): EmulatorStats;
  /** Forget all windows, pauses, in-flight counts and statistics; the clock restarts at 0. */
  reset(): void;
  /** Close every socket and the server; cancels held responses. Idempotent. */
  close(): Promise<void>;
}
