/**
 * The browser suite's fixture: the page bundled with esbuild, served from its own 127.0.0.1 port (so the
 * API is another origin), and a headless Chromium driven by puppeteer-core.
 *
 * puppeteer-core ships as ES modules only, which Jest's CommonJS runtime cannot load, so it is bundled to
 * one CommonJS file at test time too, and required from there.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import type { Browser, ConsoleMessage, Page } from 'puppeteer-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

const ROOT = path.resolve(__dirname, '../..');

/** Throws a one-line error when there is no Chromium to run, before anything slow is started. */
export function assertChromium(): void {
  try {
    fs.accessSync(CHROMIUM_PATH, fs.constants.X_OK);
  } catch {
    throw new Error(`No Chromium at ${CHROMIUM_PATH}: run \`apt-get install -y chromium\` (or set CHROMIUM_PATH)`);
  }
}

/** page.ts and everything it imports (axios, ../../src) as one IIFE for the browser, plus its HTML. */
async function bundlePage(dir: string): Promise<void> {
  await build({
    entryPoints: [path.join(__dirname, 'page.ts')],
    outfile: path.join(dir, 'page.js'),
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2020',
    sourcemap: 'inline',
    logLevel: 'error',
    absWorkingDir: ROOT,
  });
  const html = '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>rate guard</title><script src="/page.js"></script>\n';
  fs.writeFileSync(path.join(dir, 'index.html'), html);
}

type Puppeteer = typeof import('puppeteer-core');

async function loadPuppeteer(dir: string): Promise<Puppeteer> {
  const outfile = path.join(dir, 'puppeteer-core.cjs');
  await build({
    stdin: { contents: "module.exports = require('puppeteer-core');", resolveDir: ROOT, loader: 'js' },
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node18',
    logLevel: 'error',
  });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(outfile) as Puppeteer;
}

/** Serves index.html and page.js, nothing else, from `dir` on a free 127.0.0.1 port. */
async function serveStatic(dir: string): Promise<{ origin: string; close(): Promise<void> }> {
  const files: Record<string, [file: string, type: string]> = {
    '/': ['index.html', 'text/html; charset=utf-8'],
    '/page.js': ['page.js', 'text/javascript; charset=utf-8'],
  };
  const server = http.createServer((req, res) => {
    const entry = files[(req.url ?? '/').split('?')[0]];
    if (!entry) {
      res.writeHead(404).end();
      return;
    }
    const body = fs.readFileSync(path.join(dir, entry[0]));
    res.writeHead(200, { 'Content-Type': entry[1], 'Content-Length': body.length, 'Cache-Control': 'no-store' }).end(body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface BrowserHarness {
  /** The page's origin: the API must allow it (emulator option `cors`). */
  readonly origin: string;
  readonly page: Page;
  /** Uncaught page errors, and console messages about CORS, since the page was loaded. */
  readonly problems: string[];
  /** Closes the browser, the static server and the temp dirs. Idempotent, never throws. */
  close(): Promise<void>;
}

/** Bundles, serves, launches and loads the page. On any failure, whatever was started is closed again. */
export async function startBrowser(): Promise<BrowserHarness> {
  assertChromium();
  const cleanups: Array<() => unknown> = [];
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      for (const cleanup of cleanups.reverse()) {
        try {
          await cleanup();
        } catch {
          // Keep closing the rest.
        }
      }
    })());

  try {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rate-guard-browser-'));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const [puppeteer] = await Promise.all([loadPuppeteer(dir), bundlePage(dir)]);
    const server = await serveStatic(dir);
    cleanups.push(() => server.close());

    const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rate-guard-chromium-'));
    cleanups.push(() => fs.rmSync(userDataDir, { recursive: true, force: true }));
    const browser: Browser = await puppeteer.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      userDataDir,
      args: CHROMIUM_ARGS,
    });
    cleanups.push(async () => {
      // close() asks nicely; a browser that does not answer is killed, so no process outlives the suite.
      const process = browser.process();
      await Promise.race([browser.close(), new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
      if (process && process.exitCode === null && process.signalCode === null) process.kill('SIGKILL');
    });

    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`pageerror: ${String((error as Error)?.message ?? error)}`));
    page.on('console', (message: ConsoleMessage) => {
      if (/CORS|Access-Control/i.test(message.text())) problems.push(`console: ${message.text()}`);
    });
    await page.goto(`${server.origin}/`, { waitUntil: 'load' });
    await page.waitForFunction(() => typeof window.runBurst === 'function', { timeout: 5_000 });
    return { origin: server.origin, page, problems, close };
  } catch (error) {
    await close();
    throw error;
  }
}
