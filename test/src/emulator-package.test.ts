import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filesUnder, packAndUnpack, publishProblems } from './helpers/packing.js';
import { REPO_ROOT } from './helpers/process.js';

/**
 * The emulator as any test suite (Python, Go, Java…) gets it: packed by pnpm and by npm, installed
 * from the tarball with npm into a folder outside the repository, started with `npx agora-emulator`
 * (plain Node, no TypeScript loader) and called over HTTP as Agora is.
 */
let work: string;
const packed: Record<'pnpm' | 'npm', { tarball: string; dir: string }> = { pnpm: { tarball: '', dir: '' }, npm: { tarball: '', dir: '' } };

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'emulator-pack-'));
  packed.pnpm = packAndUnpack('pnpm', join(REPO_ROOT, 'emulator'), work);
  packed.npm = packAndUnpack('npm', join(REPO_ROOT, 'emulator'), work);
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the packed emulator (npm pack, pnpm pack)', () => {
  for (const tool of ['pnpm', 'npm'] as const) {
    it(`${tool} pack: a publishable manifest pointing at built files only, every runtime import declared`, () => {
      expect(publishProblems(packed[tool].dir)).toEqual([]);
    });
  }

  it('npm and pnpm pack the same files, the media and the declarations included', () => {
    const files = filesUnder(packed.pnpm.dir).sort();
    expect(filesUnder(packed.npm.dir).sort()).toEqual(files);
    expect(files).toEqual(
      expect.arrayContaining([
        'dist/main.js',
        'dist/index.js',
        'dist/index.d.ts',
        'media/recording.mp4',
        'media/snapshot.jpg',
        'README.md',
        'LICENSE',
      ]),
    );
  });

  it('installs from the tarball and answers as Agora does under `npx agora-emulator`', async () => {
    const app = join(work, 'suite');
    const dataDir = join(work, 'data');
    execFileSync('mkdir', ['-p', app]);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'a-test-suite', private: true }));
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', packed.pnpm.tarball], {
      cwd: app,
      stdio: 'pipe',
      timeout: 120_000,
    });
    expect(existsSync(join(app, 'node_modules/tsx'))).toBe(false);

    const child = spawn('npx', ['agora-emulator'], {
      cwd: app,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', EMULATOR_PORT: '0', DATA_DIR: dataDir },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    try {
      await expect.poll(() => /"url":"(http:[^"]+)"/.exec(output)?.[1], { timeout: 30_000, interval: 100 }).toBeDefined();
      const url = /"url":"(http:[^"]+)"/.exec(output)![1]!;
      const { appId } = JSON.parse(readFileSync(join(dataDir, 'dev-credentials.json'), 'utf8')) as { appId: string };
      const response = await fetch(`${url}/v1/apps/${appId}/cloud_recording/acquire`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Basic ${Buffer.from('emulator:emulator-secret').toString('base64')}`,
        },
        body: JSON.stringify({ cname: 'room1', uid: '527841', clientRequest: {} }),
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ cname: 'room1', uid: '527841', resourceId: expect.any(String) as unknown });
      const state = (await (await fetch(`${url}/_emulator/state`)).json()) as { tasks: unknown[] };
      expect(state.tasks).toEqual([]);
    } finally {
      if (child.exitCode === null && child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
    }
  }, 180_000);
});
