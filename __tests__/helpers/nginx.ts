/**
 * A throwaway nginx with `limit_req` for tests and the benchmark, like RedisServer: 127.0.0.1 only, a free
 * port, everything (config, pid, logs, temp paths) inside a temp prefix, so it runs as root or not without
 * touching /var. It answers 200 from a static file (or proxies to `upstream`), and 429 with a static
 * `Retry-After` and no rate-limit header, as an nginx in front of an API does.
 *
 * The server's access log is the ground truth: one line per request, written unbuffered, with when it
 * arrived (ms), its status and what limit_req decided. `entries()` parses it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../redis/helpers/redis-server';

/** The nginx binary: NGINX_PATH, else `nginx` on PATH, else /usr/sbin/nginx (not on a non-root PATH). */
export function nginxBinary(): string {
  if (process.env.NGINX_PATH) return process.env.NGINX_PATH;
  if (spawnSync('sh', ['-c', 'command -v nginx'], { stdio: 'ignore' }).status === 0) return 'nginx';
  for (const candidate of ['/usr/sbin/nginx', '/sbin/nginx']) if (existsSync(candidate)) return candidate;
  return 'nginx';
}

export interface NginxOptions {
  /** limit_req_zone rate, requests per second (nginx counts it in requests per ms internally). @default 20 */
  rate?: number;
  /** limit_req burst (0: no burst parameter, nginx rejects `burst=0`). @default 5 */
  burst?: number;
  /** limit_req nodelay: admit the burst at once instead of spacing it. @default true */
  nodelay?: boolean;
  /**
   * What requests are counted by, an nginx expression. @default the `x-client-id` header, or the client's
   * address when the request has none
   */
  key?: string;
  /** Retry-After value on 429s; `null` sends none. @default '1' */
  retryAfter?: string | number | null;
  /** Proxy accepted requests here (e.g. http://127.0.0.1:1234) instead of answering from a static file. */
  upstream?: string;
  /** TCP port on 127.0.0.1. @default a free one */
  port?: number;
}

/** One request as nginx logged it. Times are epoch ms (nginx's clock, ms resolution). */
export interface NginxLogEntry {
  /** When nginx read the request line: $msec − $request_time. */
  arrivedAt: number;
  /** When the response was logged ($msec). */
  loggedAt: number;
  status: number;
  /** $limit_req_status: PASSED, REJECTED, DELAYED … ('-' when limit_req did not run). */
  limitReq: string;
  method: string;
  /** $request_uri: path with query, as sent. */
  uri: string;
  /** The x-client-id header, '-' when absent. */
  clientId: string;
}

export interface NginxCounts {
  accepted: number;
  rejected: number;
  /** Other statuses (errors). */
  other: number;
  /** URI → times answered 200. */
  acceptedByUri: Map<string, number>;
}

/** Counts of a set of entries. */
export function countEntries(entries: readonly NginxLogEntry[]): NginxCounts {
  const counts: NginxCounts = { accepted: 0, rejected: 0, other: 0, acceptedByUri: new Map() };
  for (const e of entries) {
    if (e.status === 429) counts.rejected++;
    else if (e.status >= 200 && e.status < 300) {
      counts.accepted++;
      counts.acceptedByUri.set(e.uri, (counts.acceptedByUri.get(e.uri) ?? 0) + 1);
    } else counts.other++;
  }
  return counts;
}

/**
 * Accepted and rejected arrivals per bucket of `binMs`, from `fromMs` (epoch; default the first arrival).
 * Returns one row per bucket up to the last arrival.
 */
export function perBucket(
  entries: readonly NginxLogEntry[],
  binMs: number,
  fromMs = entries.length > 0 ? Math.min(...entries.map((e) => e.arrivedAt)) : 0,
): Array<{ fromMs: number; accepted: number; rejected: number }> {
  const rows: Array<{ fromMs: number; accepted: number; rejected: number }> = [];
  for (const e of entries) {
    const index = Math.floor((e.arrivedAt - fromMs) / binMs);
    if (index < 0) continue;
    while (rows.length <= index) rows.push({ fromMs: rows.length * binMs, accepted: 0, rejected: 0 });
    if (e.status === 429) rows[index].rejected++;
    else if (e.status >= 200 && e.status < 300) rows[index].accepted++;
  }
  return rows;
}

const LOG_FORMAT = '$msec $request_time $status $limit_req_status $request_method "$http_x_client_id" $request_uri';
const LINE = /^(\d+\.\d+) (\d+\.\d+) (\d{3}) (\S+) (\S+) "([^"]*)" (.*)$/;

export function parseLogLine(line: string): NginxLogEntry | undefined {
  const m = LINE.exec(line);
  if (!m) return undefined;
  const loggedAt = Number(m[1]) * 1000;
  return {
    arrivedAt: Math.round(loggedAt - Number(m[2]) * 1000),
    loggedAt: Math.round(loggedAt),
    status: Number(m[3]),
    limitReq: m[4],
    method: m[5],
    clientId: m[6] === '' ? '-' : m[6],
    uri: m[7],
  };
}

/** nginx's rate syntax: whole requests per second, else per minute (nginx keeps rates in r/ms × 1000). */
function rateDirective(rate: number): string {
  if (!(rate > 0) || !Number.isFinite(rate)) throw new TypeError(`Expected \`rate\` to be a number above 0, got ${rate}`);
  if (Number.isInteger(rate)) return `${rate}r/s`;
  const perMinute = rate * 60;
  if (!Number.isInteger(perMinute)) throw new TypeError(`Expected \`rate\` in whole requests per second or per minute, got ${rate}`);
  return `${perMinute}r/m`;
}

function configText(prefix: string, port: number, o: Required<Omit<NginxOptions, 'upstream' | 'port' | 'retryAfter'>> & NginxOptions): string {
  const p = (name: string) => path.join(prefix, name);
  const retryAfter = o.retryAfter === null ? '' : `add_header Retry-After ${String(o.retryAfter ?? '1')} always;`;
  // `return` runs in the rewrite phase, before limit_req (preaccess): an answer by `return` would never be
  // limited. So 200s come from a file (content phase) or the upstream.
  const content = o.upstream ? `proxy_pass ${o.upstream};` : 'default_type text/plain; try_files /ok.txt =404;';
  return `# generated by __tests__/helpers/nginx.ts
daemon off;
master_process off;
worker_processes 1;
pid ${p('nginx.pid')};
error_log ${p('error.log')} warn;
events { worker_connections 4096; }
http {
  client_body_temp_path ${p('tmp/body')};
  proxy_temp_path ${p('tmp/proxy')};
  fastcgi_temp_path ${p('tmp/fastcgi')};
  uwsgi_temp_path ${p('tmp/uwsgi')};
  scgi_temp_path ${p('tmp/scgi')};
  log_format arrivals '${LOG_FORMAT}';
  access_log ${p('access.log')} arrivals;
  keepalive_requests 100000;
  keepalive_timeout 60s;
  server_tokens off;
  map $http_x_client_id $guard_default_key {
    "" $binary_remote_addr;
    default $http_x_client_id;
  }
  limit_req_zone ${o.key} zone=guard:1m rate=${rateDirective(o.rate)};
  server {
    listen 127.0.0.1:${port};
    root ${p('www')};
    location / {
      limit_req zone=guard${o.burst > 0 ? ` burst=${o.burst}${o.nodelay ? ' nodelay' : ''}` : ''};
      limit_req_status 429;
      error_page 429 @throttled;
      ${content}
    }
    location @throttled {
      ${retryAfter}
      default_type text/plain;
      return 429 "Too Many Requests\\n";
    }
  }
}
`;
}

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Servers not stopped yet: killed if the test process exits first, so no nginx outlives its test run. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export class NginxServer {
  private exited: Promise<void>;
  private stopped = false;

  private constructor(
    readonly port: number,
    /** The temp directory holding nginx.conf, the logs and temp paths; removed by stop(). */
    readonly prefix: string,
    readonly options: Readonly<Required<Omit<NginxOptions, 'upstream' | 'port'>> & Pick<NginxOptions, 'upstream'>>,
    private readonly child: ChildProcess,
    private readonly stderr: () => string,
  ) {
    running.add(child);
    this.exited = new Promise((resolve) =>
      child.once('exit', () => {
        running.delete(child);
        resolve();
      }),
    );
  }

  /** Starts nginx on a free port (or `options.port`) and waits until it accepts connections. */
  static async start(options: NginxOptions = {}): Promise<NginxServer> {
    const resolved = {
      rate: options.rate ?? 20,
      burst: options.burst ?? 5,
      nodelay: options.nodelay ?? true,
      key: options.key ?? '$guard_default_key',
      retryAfter: options.retryAfter === undefined ? '1' : options.retryAfter,
      upstream: options.upstream,
    };
    if (!Number.isInteger(resolved.burst) || resolved.burst < 0) {
      throw new TypeError(`Expected \`burst\` to be an integer from 0 and up, got ${resolved.burst}`);
    }
    let lastError: Error | undefined;
    // A free port can be taken between the check and nginx's bind: try a few.
    for (let attempt = 0; attempt < (options.port ? 1 : 4); attempt++) {
      const port = options.port ?? (await freePort());
      const prefix = mkdtempSync(path.join(tmpdir(), 'nginx-limit-req-'));
      for (const dir of ['www', 'tmp']) mkdirSync(path.join(prefix, dir));
      writeFileSync(path.join(prefix, 'www', 'ok.txt'), 'ok\n');
      writeFileSync(path.join(prefix, 'access.log'), '');
      writeFileSync(path.join(prefix, 'nginx.conf'), configText(prefix, port, resolved));
      // -e: the startup error log too (before the config is read) goes into the prefix.
      const child = spawn(nginxBinary(), ['-p', `${prefix}/`, '-c', path.join(prefix, 'nginx.conf'), '-e', path.join(prefix, 'error.log')], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.once('error', (error) => (stderr += `${error.message}\n`)); // ENOENT: reported by waitReady
      child.stderr?.on('data', (chunk) => (stderr += chunk.toString()));
      const server = new NginxServer(port, prefix, resolved, child, () => stderr);
      try {
        await server.waitReady();
        return server;
      } catch (error) {
        lastError = error as Error;
        await server.stop();
        if (!/address already in use/i.test(lastError.message)) break;
      }
    }
    throw lastError ?? new Error('nginx did not start');
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  private async waitReady(): Promise<void> {
    let exited = false;
    void this.exited.then(() => (exited = true));
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (exited) throw new Error(`nginx exited at start (port ${this.port}): ${this.errorLog()}`);
      if (await connects(this.port)) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`nginx did not listen on port ${this.port}: ${this.errorLog()}`);
  }

  /** nginx's error log and stderr, for failure messages. */
  errorLog(): string {
    let log = '';
    try {
      log = readFileSync(path.join(this.prefix, 'error.log'), 'utf8');
    } catch {
      // not written yet
    }
    return `${log}${this.stderr()}`.trim();
  }

  /** Every request logged so far, in log order (the order responses were finished). */
  entries(filter: { clientId?: string; sinceMs?: number } = {}): NginxLogEntry[] {
    const text = readFileSync(path.join(this.prefix, 'access.log'), 'utf8');
    const out: NginxLogEntry[] = [];
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const entry = parseLogLine(line);
      if (!entry) throw new Error(`unparsed nginx access log line: ${line}`);
      if (filter.clientId !== undefined && entry.clientId !== filter.clientId) continue;
      if (filter.sinceMs !== undefined && entry.arrivedAt < filter.sinceMs) continue;
      out.push(entry);
    }
    return out;
  }

  /**
   * Waits until the access log holds at least `count` entries matching `filter` (or, without `count`, until
   * it has not grown for `quietMs`), at most `timeoutMs`. nginx logs a request after sending its response,
   * so a client that has every answer may read the log a moment before its last lines are written.
   */
  async settle(options: { count?: number; filter?: { clientId?: string; sinceMs?: number }; quietMs?: number; timeoutMs?: number } = {}): Promise<NginxLogEntry[]> {
    const { count, filter = {}, quietMs = 50, timeoutMs = 2000 } = options;
    const deadline = Date.now() + timeoutMs;
    let size = -1;
    let stableSince = Date.now();
    for (;;) {
      const entries = this.entries(filter);
      if (count !== undefined && entries.length >= count) return entries;
      const now = Date.now();
      const current = statSync(path.join(this.prefix, 'access.log')).size;
      if (current !== size) {
        size = current;
        stableSince = now;
      } else if (count === undefined && now - stableSince >= quietMs) return entries;
      if (now >= deadline) return entries;
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Counts of entries(filter). */
  counts(filter: { clientId?: string; sinceMs?: number } = {}): NginxCounts {
    return countEntries(this.entries(filter));
  }

  /** Stops nginx (SIGTERM, then SIGKILL after 2 s), waits for it to exit and removes the prefix. Idempotent. */
  async stop(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      if (this.child.exitCode === null && this.child.signalCode === null) {
        this.child.kill('SIGTERM');
        const killer = setTimeout(() => this.child.kill('SIGKILL'), 2000);
        await this.exited;
        clearTimeout(killer);
      }
    }
    rmSync(this.prefix, { recursive: true, force: true });
  }
}
