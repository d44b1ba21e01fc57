import { execFileSync, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { createApp, decodeToken } from '@agora-backend/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filesUnder, packAndUnpack, publishProblems } from './helpers/packing.js';
import { REPO_ROOT } from './helpers/process.js';

/**
 * The client as it is published: packed by pnpm and by npm (both must make the same package),
 * then installed into an app outside the repository (outside the client's folder, where its own
 * name would resolve to itself), its dependencies linked from the client's node_modules.
 * consumer-app.test.ts installs it with npm into a real Vite app.
 */
const root = join(REPO_ROOT, 'client');
let work: string;
/** The unpacked tarballs, by the tool that packed them. */
const unpacked: Record<'pnpm' | 'npm', string> = { pnpm: '', npm: '' };
/** The pnpm tarball, installed in the app `work/consumer`. */
let installed: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'client-pack-'));
  unpacked.pnpm = packAndUnpack('pnpm', root, work).dir;
  unpacked.npm = packAndUnpack('npm', root, work).dir;
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
        compilerOptions: { strict: true, noEmit: true, module: 'ESNext', moduleResolution: 'bundler', target: 'ES2022', lib: ['ES2022', 'DOM', 'DOM.Iterable'], skipLibCheck: false, types: [] },
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
      stdin: { contents: "export { createClient, watchRecording } from '@agora-backend/client';", resolveDir: join(work, 'consumer'), loader: 'js' },
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
    const app = createApp({ host: '127.0.0.1', port: 0, appId: '970ca35de60c44645bbae8a215061b33', appCertificate: '5cfd2fd1755d40ecb72977518be15d3b' });
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
