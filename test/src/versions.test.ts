import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/process.js';

/** The root's and every workspace package's version (pnpm-workspace.yaml lists the packages). */
function versions(): Record<string, unknown> {
  const workspace = readFileSync(join(REPO_ROOT, 'pnpm-workspace.yaml'), 'utf8');
  const packages = [...workspace.matchAll(/^\s+-\s+(\S+)\s*$/gm)].map((match) => match[1]!);
  const read = (dir: string) => (JSON.parse(readFileSync(join(REPO_ROOT, dir, 'package.json'), 'utf8')) as { version?: unknown }).version;
  return Object.fromEntries(['.', ...packages].map((dir) => [dir, read(dir)]));
}

describe('one version across the packages', () => {
  it('every package has the version of the newest CHANGELOG entry', () => {
    const changelog = readFileSync(join(REPO_ROOT, 'CHANGELOG.md'), 'utf8');
    const newest = /^## \[(\d+\.\d+\.\d+)\]/m.exec(changelog)?.[1];
    expect(newest).toMatch(/^\d+\.\d+\.\d+$/);
    const found = versions();
    expect(Object.keys(found)).toEqual(expect.arrayContaining(['.', 'client', 'emulator', 'server', 'shared', 'console', 'test']));
    expect(found).toEqual(Object.fromEntries(Object.keys(found).map((dir) => [dir, newest])));
  });
});
