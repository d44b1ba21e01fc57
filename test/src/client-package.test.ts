import { execFileSync, spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import type { Page } from 'playwright-core';
import { composeApp } from '@agora-backend/server';
import { decodeToken } from '@agora-backend/server/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, runBrowserTests } from './helpers/browser.js';
import { filesUnder, packAndUnpack, publishProblems } from './helpers/packing.js';
import { REPO_ROOT } from './helpers/process.js';
import { startRecordingStack, type RecordingStack } from './helpers/recording-stack.js';
import { TEST_APP_CERTIFICATE } from './helpers/server.js';
import { readToken } from './helpers/token-verifier.js';

/**
 * The client as it is published: packed by pnpm and by npm (both must make the same package),
 * then installed into an app outside the repository (outside the client's folder, where its own
 * name would resolve to itself), its dependencies linked from the client's node_modules; then,
 * as a frontend team does, installed with npm into a new Vite app (Vite and TypeScript from the
 * registry) that is typechecked strictly, built, and loaded in Chromium against a server on
 * another origin. One file, so that one build makes every tarball.
 */
const root = join(REPO_ROOT, 'client');
let work: string;
/** The unpacked tarballs, by the tool that packed them. */
const unpacked: Record<'pnpm' | 'npm', string> = { pnpm: '', npm: '' };
let npmTarball: string;
/** The pnpm tarball, installed in the app `work/consumer`. */
let installed: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'client-pack-'));
  unpacked.pnpm = packAndUnpack('pnpm', root, work).dir;
  ({ dir: unpacked.npm, tarball: npmTarball } = packAndUnpack('npm', root, work));
  const app = join(work, 'consumer');
  installed = join(app, 'node_modules/@agora-backend/client');
  mkdirSync(join(app, 'node_modules/@agora-backend'), { recursive: true });
  execFileSync('cp', ['-r', unpacked.pnpm, installed]);
  writeFileSync(join(app, 'tsconfig.bundle.json'), '{}');
  const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  for (const name of Object.keys(manifest.dependencies)) {
    mkdirSync(dirname(join(app, 'node_modules', name)), { recursive: true });
    symlinkSync(realpathSync(join(root, 'node_modules', name)), join(app, 'node_modules', name));
  }
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the packed client (npm pack, pnpm pack)', () => {
  for (const tool of ['pnpm', 'npm'] as const) {
    it(`${tool} pack: a publishable manifest pointing at built files only, every runtime import declared`, () => {
      expect(publishProblems(unpacked[tool])).toEqual([]);
    });
  }

  it('npm and pnpm pack the same files', () => {
    expect(filesUnder(unpacked.npm).sort()).toEqual(filesUnder(unpacked.pnpm).sort());
  });

  it("types a strict consumer end to end with skipLibCheck off, and needs nothing of the server's", () => {
    const types = readFileSync(join(installed, 'dist/index.d.ts'), 'utf8');
    expect(types).not.toMatch(/from\s*["'](pino|prom-client|@agora-backend\/[^"']*)["']/);
    expect(types).not.toMatch(/\bBuffer\b/);
    const app = join(work, 'consumer');
    writeFileSync(
      join(app, 'consumer.ts'),
      `import { createClient, getAgoraError, watchRecording, type RouterOutputs } from '@agora-backend/client';
const api = createClient({ url: 'http://127.0.0.1:1/trpc' });
export const expiry = async (): Promise<Date> => (await api.token.generate.mutate({ channel: 'a', uid: 1 })).expiresAt;
export const sid: RouterOutputs['recording']['start']['sid'] = 'x';
export const agora = getAgoraError(new Error('x'))?.code;
export const watch = watchRecording(api, 'id', { onEvent: (event) => event.state satisfies string });
// @ts-expect-error: no such procedure; if the types had degraded to any this would not be an error
api.token.nope;
// @ts-expect-error: uid must be a number or a string
void api.token.generate.mutate({ channel: 'a', uid: true });
// @ts-expect-error: no such recording mode
void api.recording.start.mutate({ channel: 'a', mode: 'mixed' });
`,
    );
    // What a new Vite app has: strict, bundler resolution, a lib that stops at ES2022, no @types.
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          module: 'ESNext',
          moduleResolution: 'bundler',
          target: 'ES2022',
          lib: ['ES2022', 'DOM', 'DOM.Iterable'],
          skipLibCheck: false,
          types: [],
        },
        files: ['consumer.ts'],
      }),
    );
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    let output = '';
    try {
      execFileSync(process.execPath, [tsc, '-p', join(app, 'tsconfig.json')], { encoding: 'utf8' });
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? error);
    }
    expect(output).toBe('');
  }, 90_000);

  it('createClient + watchRecording from the built package stay within 30 KB gzipped in a browser bundle, without zod', async () => {
    const result = await build({
      stdin: {
        contents: "export { createClient, watchRecording } from '@agora-backend/client';",
        resolveDir: join(work, 'consumer'),
        loader: 'js',
      },
      bundle: true,
      platform: 'browser',
      format: 'esm',
      minify: true,
      write: false,
      metafile: true,
      logLevel: 'silent',
      // The app's own tsconfig, not the repository's (whose paths map the package to its sources).
      tsconfig: join(work, 'consumer', 'tsconfig.bundle.json'),
    });
    // Measured from the tarball's files, not the sources (the consumer's tsconfig maps nothing).
    const ours = Object.keys(result.metafile.inputs).filter((input) => input.includes('@agora-backend/client'));
    expect(ours.length).toBeGreaterThan(0);
    expect(ours.every((input) => input.includes('consumer/node_modules/@agora-backend/client/dist/'))).toBe(true);
    const gzipped = gzipSync(result.outputFiles[0]!.contents).length;
    expect(gzipped).toBeLessThanOrEqual(30 * 1024);
    expect(result.outputFiles[0]!.text).not.toContain('ZodObject');
  });

  it('runs its bin with plain node', () => {
    const run = spawnSync(process.execPath, [join(installed, 'dist/cli.js'), '--help'], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stderr).toContain('Usage: agoractl');
  });

  it('calls a real server from the built Node entry', async () => {
    const app = composeApp({
      host: '127.0.0.1',
      port: 0,
      appId: '970ca35de60c44645bbae8a215061b33',
      appCertificate: '5cfd2fd1755d40ecb72977518be15d3b',
    });
    const { url } = await app.listen();
    try {
      const built = (await import(join(installed, 'dist/node.js'))) as typeof import('@agora-backend/client/node');
      const api = built.createClient({ url });
      const result = await api.token.generate.mutate({ channel: 'dist', uid: 7 });
      expect(result.issuedAt).toBeInstanceOf(Date);
      expect(decodeToken(result.token)?.rtc).toMatchObject({ channel: 'dist', uid: '7' });
      await built.closeClient(api);
    } finally {
      await app.close();
    }
  });
});

/** Versions a new Vite app gets today that still run on Node 20.19 (Vite 8 declares ^20.19.0). */
const VITE_APP_DEPENDENCIES = { vite: '8.3.8', typescript: '6.0.3', '@types/react': '19.3.3', '@types/react-dom': '19.3.0' };
/** The React page's runtime (the client's `react` entry takes React as a peer dependency). */
const REACT_DEPENDENCIES = { react: '19.3.1', 'react-dom': '19.3.1' };

/** Two pages: the plain one (index.html) and the React one (react.html). */
const VITE_APP_CONFIG = `import { defineConfig } from 'vite';
export default defineConfig({ build: { rollupOptions: { input: { main: 'index.html', react: 'react.html' } } } });
`;

/** Vite's vanilla-ts template's compiler options, with the library check on. */
const VITE_APP_TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    useDefineForClassFields: true,
    module: 'ESNext',
    lib: ['ES2022', 'DOM', 'DOM.Iterable'],
    types: ['vite/client'],
    skipLibCheck: false,
    moduleResolution: 'bundler',
    allowImportingTsExtensions: true,
    verbatimModuleSyntax: true,
    moduleDetection: 'force',
    noEmit: true,
    strict: true,
    noUnusedLocals: true,
    noUnusedParameters: true,
    noFallthroughCasesInSwitch: true,
    noUncheckedSideEffectImports: true,
  },
  include: ['src'],
};

/** The page: token, then start, watch until recording, stop, and the watch's end; the outcome in `data-result`. */
const VITE_APP_MAIN = `import { createClient, getAgoraError, watchRecording, type RecordingState } from '@agora-backend/client';

const url = new URLSearchParams(location.search).get('api') ?? '';
const api = createClient({ url });

async function run() {
  const { token, expiresAt } = await api.token.generate.mutate({ channel: 'vite-room', uid: 7 });
  const recording = await api.recording.start.mutate({ channel: 'vite-room' });
  const states: RecordingState[] = [];
  await new Promise<void>((resolve, reject) => {
    let stopping = false;
    watchRecording(api, recording.id, {
      onEvent: (event) => {
        states.push(event.state);
        if (event.state === 'recording' && !stopping) {
          stopping = true;
          api.recording.stop.mutate({ id: recording.id }).catch(reject);
        }
      },
      onEnd: () => resolve(),
      onError: (error) => reject(error instanceof Error ? error : new Error(String(error))),
    });
  });
  return { token, expiresAtIsDate: expiresAt instanceof Date, id: recording.id, states };
}

run().then(
  (result) => (document.body.dataset.result = JSON.stringify(result)),
  (error: unknown) => (document.body.dataset.result = JSON.stringify({ error: String(error), agora: getAgoraError(error) })),
);
`;

/** The React page: starts a recording, a transcription and an agent, and shows each live through the hooks (no JSX: no plugin needed). */
const REACT_APP_MAIN = `import { createElement as h, StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { createClient } from '@agora-backend/client';
import { useAgent, useRecording, useTranscription, type LiveTask } from '@agora-backend/client/react';

const api = createClient({ url: new URLSearchParams(location.search).get('api') ?? '' });

function Status({ name, live }: { name: string; live: LiveTask<{ state: string }> }) {
  const states = live.events.map((event) => event.state).join(',');
  return h('p', { id: name, 'data-states': states, 'data-ended': String(live.ended) }, live.latest?.state ?? 'waiting');
}

function Recording({ id }: { id: string }) {
  return h(Status, { name: 'recording', live: useRecording(api, id) });
}

function Transcription({ id }: { id: string }) {
  return h(Status, { name: 'transcription', live: useTranscription(api, id) });
}

function Agent({ id }: { id: string }) {
  const live = useAgent(api, id);
  return h(
    'section',
    null,
    h(Status, { name: 'agent', live }),
    h('ol', { id: 'conversation' }, ...live.messages.map((m) => h('li', { key: m.seq }, m.role + ': ' + m.content))),
  );
}

function App() {
  const [ids, setIds] = useState<{ recording: string; transcription: string; agent: string }>();
  useEffect(() => {
    void Promise.all([
      api.recording.start.mutate({ channel: 'react-room' }),
      api.transcription.start.mutate({ channel: 'react-room', languages: ['en-US'] }),
      api.agent.start.mutate({ channel: 'react-room', remoteUids: ['100'] }),
    ]).then(([recording, transcription, agent]) => setIds({ recording: recording.id, transcription: transcription.id, agent: agent.id }));
  }, []);
  return ids
    ? h('main', { 'data-ids': JSON.stringify(ids) }, h(Recording, { id: ids.recording }), h(Transcription, { id: ids.transcription }), h(Agent, { id: ids.agent }))
    : h('p', null, 'starting');
}

createRoot(document.getElementById('root')!).render(h(StrictMode, null, h(App)));
`;

/** A static server for a built app: its own origin. */
async function serveFolder(dir: string): Promise<{ origin: string; close(): Promise<void> }> {
  const types: Record<string, string> = { html: 'text/html', js: 'text/javascript', css: 'text/css', svg: 'image/svg+xml' };
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname.replace(/^\/$/, '/index.html');
    readFile(join(dir, path.replaceAll('..', ''))).then(
      (body) =>
        res
          .writeHead(200, { 'content-type': `${types[path.split('.').pop() ?? ''] ?? 'application/octet-stream'}; charset=utf-8` })
          .end(body),
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('a new Vite app using the npm-packed client', { timeout: 300_000 }, () => {
  let app: string;
  beforeAll(() => {
    app = join(work, 'vite-app');
    mkdirSync(join(app, 'src'), { recursive: true });
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({
        name: 'vite-app',
        private: true,
        type: 'module',
        dependencies: { '@agora-backend/client': `file:${npmTarball}`, ...REACT_DEPENDENCIES },
        devDependencies: VITE_APP_DEPENDENCIES,
      }),
    );
    writeFileSync(join(app, 'vite.config.ts'), VITE_APP_CONFIG);
    writeFileSync(
      join(app, 'react.html'),
      '<!doctype html>\n<html><head><meta charset="utf-8"><title>react app</title></head><body><div id="root"></div><script type="module" src="/src/react-main.ts"></script></body></html>\n',
    );
    writeFileSync(join(app, 'src/react-main.ts'), REACT_APP_MAIN);
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify(VITE_APP_TSCONFIG));
    writeFileSync(
      join(app, 'index.html'),
      '<!doctype html>\n<html><head><meta charset="utf-8"><title>vite app</title></head><body><script type="module" src="/src/main.ts"></script></body></html>\n',
    );
    writeFileSync(join(app, 'src/main.ts'), VITE_APP_MAIN);
    // From the npm registry, like any app (bounded: a cold cache takes ~30 s here).
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: app, stdio: 'pipe', timeout: 240_000 });
  }, 300_000);

  /** The built app on its own origin, a real server that lists it in CORS_ORIGINS (someone publishing in `channel`), and the page in Chromium. */
  async function openBuiltPage(path: string, channel: string, run: (page: Page, stack: RecordingStack) => Promise<void>): Promise<void> {
    const site = await serveFolder(join(app, 'dist'));
    const stack = await startRecordingStack({ corsOrigins: [site.origin], pollIntervalMs: 200, confirmDelayMs: 100 });
    const browser = await launchChromium();
    try {
      stack.emulator.control.join(channel, '100');
      const page = await browser.newPage();
      await page.goto(`${site.origin}/${path}?api=${encodeURIComponent(stack.app.url)}`);
      await run(page, stack);
    } finally {
      await browser.close();
      await stack.close(true);
      await site.close();
    }
  }

  it('typechecks with tsc (strict, skipLibCheck: false) and builds with vite build', () => {
    const tsc = spawnSync('npx', ['tsc', '-p', '.'], { cwd: app, encoding: 'utf8' });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
    const vite = spawnSync('npx', ['vite', 'build'], { cwd: app, encoding: 'utf8' });
    expect(vite.status, vite.stdout + vite.stderr).toBe(0);
    // The plain page's JavaScript: its script and the chunks it preloads (shared with the React page).
    const html = readFileSync(join(app, 'dist/index.html'), 'utf8');
    const scripts = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+\.js)"/g)].map((match) => match[1]!);
    expect(scripts.length).toBeGreaterThan(0);
    const gzipped = scripts.reduce((sum, script) => sum + gzipSync(readFileSync(join(app, 'dist', script))).length, 0);
    console.log(`the Vite app's plain page: ${scripts.length} scripts, ${gzipped} bytes gzipped`);
    expect(gzipped).toBeLessThanOrEqual(30 * 1024);
    expect(readFileSync(join(app, 'dist/react.html'), 'utf8')).toContain('/assets/');
  });

  it.skipIf(!runBrowserTests)(
    'runs token → start → watch → stop in Chromium against a server on another origin (CORS_ORIGINS)',
    async () => {
      await openBuiltPage('', 'vite-room', async (page, stack) => {
        await page.waitForSelector('body[data-result]', { state: 'attached', timeout: 30_000 });
        const result = JSON.parse((await page.getAttribute('body', 'data-result')) ?? '{}') as {
          token?: string;
          expiresAtIsDate?: boolean;
          id?: string;
          states?: string[];
          error?: string;
        };
        expect(result.error).toBeUndefined();
        expect(result.expiresAtIsDate).toBe(true);
        const decoded = readToken(result.token!, TEST_APP_CERTIFICATE);
        expect(decoded.signatureValid).toBe(true);
        expect(decoded.services[0]!.fields).toEqual(['vite-room', '7']);
        expect(result.states).toContain('recording');
        expect(result.states!.at(-1)).toBe('stopped');
        expect((await stack.client.recording.get.query({ id: result.id! })).state).toBe('stopped');
      });
    },
  );

  it.skipIf(!runBrowserTests)(
    'shows a recording, a transcription and an agent with its conversation live in a React page through useRecording, useTranscription and useAgent',
    async () => {
      await openBuiltPage('react.html', 'react-room', async (page, stack) => {
        await page.waitForSelector('main[data-ids]', { timeout: 30_000 });
        const ids = JSON.parse((await page.getAttribute('main', 'data-ids'))!) as {
          recording: string;
          transcription: string;
          agent: string;
        };
        const text = (selector: string) => page.textContent(selector);
        await expect.poll(() => text('#recording'), { timeout: 15_000 }).toBe('recording');
        await expect.poll(() => text('#transcription'), { timeout: 15_000 }).toBe('running');
        await expect.poll(() => text('#agent'), { timeout: 15_000 }).toBe('running');
        stack.emulator.control.speak('react-room', { uid: '100', text: 'hello from react', durationMs: 500 });
        await expect
          .poll(() => page.locator('#conversation li').allTextContents(), { timeout: 15_000 })
          .toEqual(expect.arrayContaining(['user: hello from react', expect.stringContaining('You said: hello from react')]));
        await stack.client.agent.stop.mutate({ id: ids.agent });
        await page.waitForSelector('#agent[data-ended="true"]', { timeout: 15_000 });
        await stack.client.recording.stop.mutate({ id: ids.recording });
        await stack.client.transcription.stop.mutate({ id: ids.transcription });
        await page.waitForSelector('#recording[data-ended="true"]', { timeout: 15_000 });
        await page.waitForSelector('#transcription[data-ended="true"]', { timeout: 15_000 });
        expect(await text('#recording')).toBe('stopped');
        expect(await text('#transcription')).toBe('stopped');
        const states = async (id: string) => ((await page.getAttribute(id, 'data-states')) ?? '').split(',');
        expect(await states('#recording')).toEqual(expect.arrayContaining(['recording', 'stopped']));
        expect(await states('#transcription')).toEqual(expect.arrayContaining(['running', 'stopped']));
      });
    },
  );
});
