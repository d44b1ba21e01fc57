// Builds the console into dist/: index.html, app.js (+ a lazily loaded hls.js chunk) and app.css.
// One esbuild run, well under a second; `pnpm start` runs it before the server starts.
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

/** Writes the console to `outDir` (default console/dist) and returns that folder. */
export async function buildConsole(outDir = here('./dist')) {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: { app: here('./src/main.ts') },
    outdir: outDir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    chunkNames: 'chunk-[hash]',
    logLevel: 'warning',
  });
  copyFileSync(here('./src/index.html'), `${outDir}/index.html`);
  copyFileSync(here('./src/app.css'), `${outDir}/app.css`);
  return outDir;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildConsole();
