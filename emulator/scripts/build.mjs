// Builds the emulator into dist/ (what package.json's exports and bin point at): ES modules for
// plain Node (esbuild; zod stays a dependency; media/ is read from beside dist/ at run time) and,
// unless --no-types, declarations (tsc). `pnpm start` builds it too (the server embeds it), so
// outputs are replaced file by file (write, then rename) instead of emptying dist/ first: a build
// running while another process starts from dist/ never shows it a missing or half-written file.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = (path) => fileURLToPath(new URL(`../${path}`, import.meta.url));

/** Writes esbuild's output files atomically (a `#!` file executable) and removes the JavaScript a previous build left. */
export function writeOutputs(outputFiles, outdir) {
  const written = new Set();
  for (const file of outputFiles) {
    mkdirSync(dirname(file.path), { recursive: true });
    const temporary = `${file.path}.${process.pid}.tmp`;
    const script = file.contents[0] === 0x23 && file.contents[1] === 0x21;
    writeFileSync(temporary, file.contents, { mode: script ? 0o755 : 0o644 });
    renameSync(temporary, file.path);
    written.add(file.path);
  }
  const stale = (dir) =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory()
        ? stale(join(dir, entry.name))
        : /\.(js|map)$/.test(entry.name) && !written.has(join(dir, entry.name))
          ? [join(dir, entry.name)]
          : [],
    );
  for (const path of stale(outdir)) rmSync(path, { force: true });
}

/** The emulator's JavaScript (and its declarations with `types`) in emulator/dist. */
export async function buildEmulator({ types = true } = {}) {
  const pkg = JSON.parse(readFileSync(here('package.json'), 'utf8'));
  const result = await build({
    entryPoints: { index: here('src/index.ts'), main: here('src/main.ts') },
    outdir: here('dist'),
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Its own tsconfig: the repository's maps workspace names to sources (none are imported here).
    tsconfig: here('tsconfig.build.json'),
    external: Object.keys(pkg.dependencies ?? {}),
    write: false,
    logLevel: 'warning',
  });
  const shebang = (file) =>
    file.path.endsWith('/main.js')
      ? { path: file.path, contents: Buffer.concat([Buffer.from('#!/usr/bin/env node\n'), file.contents]) }
      : file;
  writeOutputs(result.outputFiles.map(shebang), here('dist'));
  if (types) {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    execFileSync(process.execPath, [tsc, '-p', here('tsconfig.build.json')], { stdio: 'inherit' });
  }
  return relative(process.cwd(), here('dist')) || '.';
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = await buildEmulator({ types: !process.argv.includes('--no-types') });
  process.stdout.write(`built ${out}\n`);
}
