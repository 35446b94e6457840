import type { AxiosResponse } from 'axios';
import type { LimitKind } from '../emulator';

/** What the emulated server enforces (ms and counts). */
export interface ServerLimits {
  windowMs: number;
  appRate: number;
  tokenRate: number;
  appConcurrent: number;
  tokenConcurrent: number;
  /** How long each accepted response is held. */
  latencyMs: number;
}

/** One level of limits as a client library is told them: a quota per window, and concurrency if the server limits it. */
export interface ClientLimit {
  requests: number;
  perMs: number;
  concurrent?: number;
}

/** A leaky bucket (nginx limit_req): `rate` per second drains it, `burst` more may arrive at once. */
export interface BucketLimit {
  rate: number;
  burst: number;
}

/** A server's limits as a contender is told them; each contender translates them into its own terms. */
export interface KnownLimits {
  /** Per app (client_id): a quota per window… */
  app?: ClientLimit;
  /** …or a leaky bucket. */
  bucket?: BucketLimit;
  /** Per access token. */
  token?: ClientLimit;
}

/** One-way delays a proxy adds between the client and the server, as on the way to a distant API (ms). */
export interface LinkDelay {
  upstreamDelayMs: number;
  downstreamDelayMs: number;
}

/** One request of a workload. Paths are unique, so the server's acceptedByPath shows lost and duplicated requests. */
export interface BenchRequest {
  index: number;
  /** Which of the app's axios instances sends it. */
  instance: number;
  method: 'get' | 'post';
  path: string;
  token: string;
  /** JSON body of a POST. */
  body?: unknown;
}

export interface Workload {
  id: string;
  title: string;
  /** Whether contenders are told the limits; when not, axios-rate-guard gets only the clientId. */
  limitsKnown: boolean;
  /** Axios instances of the app (all with the same clientId). */
  instances: number;
  requests: BenchRequest[];
}

/** What a pacing workload is judged by (bench/pacing.ts). */
export type PacingTarget =
  /** Completion time over the ideal time, at most `max`. */
  | { measure: 'ideal-ratio'; max: number }
  /** Sustained accepted rate at the server over the rate the limits allow, at least `min`. */
  | { measure: 'sustained-share'; min: number };

/** A workload of the pacing section: axios-rate-guard alone, its limits those of this workload's server. */
export interface PacingWorkload extends Workload {
  server: ServerLimits;
  /** A delay proxy between client and server; undefined: loopback. */
  delay?: LinkDelay;
  /** Access tokens the requests are spread over. */
  tokens: number;
  target: PacingTarget;
}

/** What a contender is built from, per workload. */
export interface ContenderSetup {
  baseURL: string;
  clientId: string;
  instances: number;
  /** undefined: limits unknown. */
  limits: KnownLimits | undefined;
}

/** A configured contender: sends requests and can be shut down. */
export interface ContenderClient {
  /** Sends one request; `signal` aborts it (the bench aborts everything still pending at the time cap). */
  send(request: BenchRequest, signal: AbortSignal): Promise<AxiosResponse>;
  /** Frees timers and queues. Called after the workload finished or was cut off. */
  close(): void | Promise<void>;
}

export interface Contender {
  id: string;
  name: string;
  /** One line on how it is configured with these limits (undefined: limits unknown), for the report. */
  describe(limits: KnownLimits | undefined): string;
  create(setup: ContenderSetup): ContenderClient;
}

/** How one request ended on the client side. */
export type ClientOutcome = 'ok' | 'http-429' | 'rate-guard-error' | 'canceled' | 'other-error' | 'pending';

/** The server's counts for one contender on one workload, plus the client's view. */
export interface RunMetrics {
  requests: number;
  /** Requests whose unique path the server accepted at least once. */
  completed: number;
  lost: number;
  /** Of the lost, those still pending when the contender was cut off at the cap. */
  lostCutOff: number;
  /** Extra acceptances of a path already accepted (a request processed twice). */
  duplicates: number;
  rejected429: number;
  arrivedDuringPause: number;
  /** Of those, arrivals more than ON_THE_WIRE_MS after the 429 that began the pause. */
  lateDuringPause: number;
  maxInFlightApp: number;
  maxInFlightToken: number;
  maxInWindowApp: number;
  maxInWindowToken: number;
  /** First arrival at the server, ms after the burst was fired (sockets opened, first requests built). */
  firstArrivalMs: number;
  /** Client clock: from firing the burst until the last request settled (or the cap). */
  elapsedMs: number;
  timedOut: boolean;
  /** elapsedMs / ideal. */
  idealRatio: number;
  /** 200 responses whose echoed body differed from the body sent. */
  badBodies: number;
  outcomes: Record<ClientOutcome, number>;
  /** Errors other than a plain 429 that callers got, by "outcome: message", with counts. */
  errors: Record<string, number>;
}

/** A 429 as the server logged it, with what it had accepted of the same app and token just before. */
export interface Rejection {
  /** Arrival, ms since the burst was fired. */
  t: number;
  /** The limit the 429 named (a penalty 429 names the limit that caused the pause). */
  limit: LimitKind | undefined;
  /** Token label (see the emulator's tokenLabel). */
  token: string;
  duringPause: boolean;
  /** Accepted arrivals of its app / its token in the server window (t − windowMs, t]. */
  appInWindow: number;
  tokenInWindow: number;
}

/** Accepted and 429 arrival times, ms since the burst was fired, for the chart; and every 429 in detail. */
export interface RunTimeline {
  accepted: number[];
  throttled: number[];
  rejections: Rejection[];
}

export interface RunResult {
  workload: string;
  contender: string;
  metrics: RunMetrics;
  timeline: RunTimeline;
}

/** The plugin's exports that the in-process measurements use: from src (tsx) or from a compiled copy. */
export type Plugin = Pick<typeof import('../src'), 'rateGuard' | 'MemoryStore' | 'systemClock'>;

export interface IdealTime {
  ms: number;
  /** Which bound is the tightest, e.g. "app rate". */
  bound: string;
}
