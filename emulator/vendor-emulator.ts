import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { corsHeaders, isPreflight, preflightHeaders, type CorsPolicy } from './cors.js';
import { echoBody, splitTarget } from './echo.js';
import { appOf, tokenOf } from './identity.js';
import { normalizeOptions } from './options.js';
import { EmulatorSession } from './session.js';
import type { EmulatorOptions, RunningEmulator } from './types.js';
import type { Reply } from './vendor-responses.js';

export const HOST = '127.0.0.1';
/** Control routes: neither counted nor limited. */
export const STATS_PATH = '/__stats';
export const RESET_PATH = '/__reset';

// Longer than client idle timeouts (Node's global agent drops idle sockets after 5 s), so the client always
// closes an idle keep-alive socket first and never reuses one the server has just closed (ECONNRESET).
const KEEP_ALIVE_TIMEOUT_MS = 65_000;

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

function send(res: http.ServerResponse, reply: Reply, extra: Record<string, string>): void {
  const body = Buffer.from(reply.body, 'utf8');
  res.writeHead(reply.status, { ...reply.headers, ...extra, 'Content-Length': String(body.length) });
  res.end(body);
}

function json(status: number, value: unknown, extra: Record<string, string> = {}): Reply {
  return {
    status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', ...extra },
    body: JSON.stringify(value),
  };
}

/** Starts a rate-limiting HTTP server on 127.0.0.1 that answers like `options.vendor`. */
export async function startEmulator(options: EmulatorOptions): Promise<RunningEmulator> {
  const resolved = normalizeOptions(options);
  const cors: CorsPolicy | undefined =
    resolved.cors === undefined ? undefined : { origin: resolved.cors, exposeHeaders: resolved.corsExposeHeaders };
  // Added to every answer, control routes included, so a page can also read the stats.
  const answerHeaders = corsHeaders(cors);
  let session = new EmulatorSession(resolved);
  // Held (latency) responses, so close() can cancel them and leave no timer behind.
  const held = new Set<NodeJS.Timeout>();

  const control = (req: http.IncomingMessage, res: http.ServerResponse, path: string): void => {
    readBody(req).then(
      () => {
        if (path === STATS_PATH && req.method === 'GET') return send(res, json(200, session.stats()), answerHeaders);
        if (path === RESET_PATH && req.method === 'POST') {
          session = new EmulatorSession(resolved);
          return send(res, json(200, { ok: true }), answerHeaders);
        }
        const allow = path === STATS_PATH ? 'GET' : 'POST';
        send(res, json(405, { ok: false, message: `${path} accepts ${allow} only` }, { Allow: allow }), answerHeaders);
      },
      () => undefined, // the client went away
    );
  };

  // A browser's question before a cross-origin request with credentials or custom headers: not an API call.
  const preflight = (req: http.IncomingMessage, res: http.ServerResponse, policy: CorsPolicy): void => {
    session.preflight();
    readBody(req).then(
      () => {
        res.writeHead(204, preflightHeaders(policy));
        res.end();
      },
      () => undefined, // the client went away
    );
  };

  const handle = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const target = req.url ?? '/';
    const { path } = splitTarget(target);
    if (cors && isPreflight(req.method, req.headers)) return preflight(req, res, cors);
    if (path === STATS_PATH || path === RESET_PATH) return control(req, res, path);

    // Decide at arrival (headers in); the body is still read in full before answering.
    const ticket = session.arrive({ app: appOf(req.headers), token: tokenOf(req.headers), path: target });
    let timer: NodeJS.Timeout | undefined;
    let closed = false;
    res.once('close', () => {
      closed = true;
      if (timer !== undefined) {
        clearTimeout(timer);
        held.delete(timer);
      }
      ticket.leave(); // no-op if the response already ended
    });

    readBody(req).then(
      (body) => {
        if (closed) return;
        if (!ticket.accepted) {
          send(res, ticket.reply, answerHeaders);
          ticket.leave();
          return;
        }
        const answer = (): void => {
          if (timer !== undefined) held.delete(timer);
          timer = undefined;
          if (closed) return;
          send(res, json(200, echoBody(req.method ?? 'GET', target, req.headers, body)), answerHeaders);
          // Leave as soon as the response is handed over: the client cannot see it end before this.
          ticket.leave();
        };
        if (resolved.latencyMs > 0) {
          timer = setTimeout(answer, resolved.latencyMs);
          held.add(timer);
        } else {
          answer();
        }
      },
      () => undefined, // aborted mid-body: the 'close' listener releases the slot
    );
  };

  const server = http.createServer(handle);
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(resolved.port, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const finalOptions = Object.freeze({ ...resolved, port });

  let closing: Promise<void> | undefined;
  return {
    url: `http://${HOST}:${port}`,
    port,
    options: finalOptions,
    stats: () => session.stats(),
    reset: () => {
      session = new EmulatorSession(resolved);
    },
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        for (const timer of held) clearTimeout(timer);
        held.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
