import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/process.js';

/**
 * docs/architecture.md sends a newcomer to files: every path it names in backticks must exist.
 * A path is a name with an extension or a folder ending in `/` (`tasks/poller.ts`, `http/rest/`);
 * the page is about server/src, and names the emulator's and the console's files within their
 * own source folders, so each is looked for there and from the repository's root.
 */
const ROOTS = ['', 'server/src', 'emulator/src', 'emulator/src/stt', 'console/src', 'console/src/views'];

/** The paths a Markdown page names in backticks: `a/b.ts`, `c.ts`, `d/` (not URLs, MIME types or words like LISTEN/NOTIFY). */
function namedPaths(markdown: string): string[] {
  const tokens = [...markdown.matchAll(/`([^`\s]+)`/g)].map((match) => match[1]!);
  return [
    ...new Set(
      tokens.filter(
        (token) =>
          /^[\w.-]+(\/[\w.-]+)*\/?$/.test(token) && (token.endsWith('/') || /\.(ts|js|mjs|cjs|md|json|ya?ml|css|html|sh)$/.test(token)),
      ),
    ),
  ];
}

describe('docs/architecture.md', () => {
  it('names only files and folders that exist', async () => {
    const paths = namedPaths(await readFile(join(REPO_ROOT, 'docs', 'architecture.md'), 'utf8'));
    // The check itself must see the page's paths (a broken pattern would pass on nothing).
    expect(paths).toEqual(
      expect.arrayContaining(['tasks/poller.ts', 'http/rest/', 'storage/embedded.ts', 'console/build.mjs', 'eslint.config.js']),
    );
    const missing = paths.filter((path) => !ROOTS.some((root) => existsSync(join(REPO_ROOT, root, path))));
    expect(missing).toEqual([]);
  });

  it('would notice a moved file', () => {
    expect(namedPaths('A poller per recording (`recording/poller.ts`), see `LISTEN/NOTIFY` and `text/plain`.')).toEqual([
      'recording/poller.ts',
    ]);
    expect(ROOTS.some((root) => existsSync(join(REPO_ROOT, root, 'recording/poller.ts')))).toBe(false);
  });
});
