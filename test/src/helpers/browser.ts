import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { connect, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { REPO_ROOT } from './process.js';

/**
 * Real Chromium for the browser tests: Debian's (`apt-get install -y chromium`, what .ci/run
 * does), driven by playwright-core (it downloads nothing). CHROMIUM_PATH names another binary;
 * SKIP_BROWSER_TESTS=1 skips them on a machine without one. Under CI a missing browser fails.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const browserTestsSkipped = process.env.SKIP_BROWSER_TESTS === '1';
if (!browserTestsSkipped && process.env.CI === 'true' && !existsSync(CHROMIUM_PATH)) {
  throw new Error(`no Chromium at ${CHROMIUM_PATH}: install it (apt-get install -y chromium) or set SKIP_BROWSER_TESTS=1`);
}
export const runBrowserTests = !browserTestsSkipped && existsSync(CHROMIUM_PATH);

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox', '--disable-gpu'] });
}

/** Where browser tests leave their screenshots (test/artifacts, kept after the run). */
export const ARTIFACTS = join(REPO_ROOT, 'test', 'artifacts');

/**
 * For the console's browser tests: the console built into a temporary folder (as `pnpm build`
 * builds it), the artifacts folder, and Chromium; each undone by the cleanups it pushes.
 */
export async function prepareConsoleBrowser(cleanups: (() => Promise<void>)[]): Promise<{ browser: Browser; consoleDir: string }> {
  const builder = (await import(join(REPO_ROOT, 'console', 'build.mjs'))) as { buildConsole: (outDir: string) => Promise<string> };
  const consoleDir = await mkdtemp(join(tmpdir(), 'console-'));
  cleanups.push(() => rm(consoleDir, { recursive: true, force: true }));
  await builder.buildConsole(consoleDir);
  await mkdir(ARTIFACTS, { recursive: true });
  const browser = await launchChromium();
  cleanups.push(() => browser.close());
  return { browser, consoleDir };
}

/** The client's browser entry, bundled as a frontend would (esbuild, platform browser), as window.agora. */
export async function clientBundle(): Promise<string> {
  const result = await build({
    stdin: { contents: "import * as agora from './client/src/index.ts'; window.agora = agora;", resolveDir: REPO_ROOT, loader: 'ts' },
    bundle: true,
    platform: 'browser',
    format: 'iife',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

/** A page on its own origin (another port: another origin) that loads the client bundle. */
export async function servePage(script: string): Promise<{ origin: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    if (req.url === '/client.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(script);
      return;
    }
    res
      .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      .end('<!doctype html><meta charset="utf-8"><title>client</title><script src="/client.js"></script>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/**
 * A TCP proxy in front of a server whose connections a test can cut, as a flaky network or a
 * load balancer would: the browser's WebSocket and SSE streams then have to reconnect.
 */
export async function startCuttableProxy(
  target: string,
): Promise<{ url: string; connections(): number; cut(): void; close(): Promise<void> }> {
  const { port: targetPort, hostname } = new URL(target);
  const open = new Set<Socket>();
  let accepted = 0;
  const proxy = createNetServer((socket) => {
    accepted++;
    const upstream = connect(Number(targetPort), hostname);
    for (const side of [socket, upstream]) {
      open.add(side);
      side.on('close', () => open.delete(side));
      side.on('error', () => side.destroy());
    }
    socket.pipe(upstream).pipe(socket);
    socket.on('close', () => upstream.destroy());
    upstream.on('close', () => socket.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const { port } = proxy.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => accepted,
    cut: () => {
      for (const socket of open) socket.destroy();
    },
    close: () =>
      new Promise((resolve) => {
        for (const socket of open) socket.destroy();
        proxy.close(() => resolve());
      }),
  };
}
