// `pnpm build` (and the first step of `pnpm start`): the server and what it serves, as JavaScript
// for plain Node. The console into console/dist, the emulator it embeds into emulator/dist (its
// declarations too with --types), then the server bundled into server/dist/main.js: the server's
// and the shared package's sources inlined, npm packages and the emulator left as imports (they
// resolve from server/node_modules; the emulator reads its media from beside its own dist/).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { buildConsole } from '../../console/build.mjs';
import { buildEmulator, writeOutputs } from '../../emulator/scripts/build.mjs';

const here = (path) => fileURLToPath(new URL(`../${path}`, import.meta.url));

/** Builds the console, the emulator and the server; returns the server's entry point. */
export async function buildServer({ types = false } = {}) {
  await buildConsole();
  await buildEmulator({ types });
  const pkg = JSON.parse(readFileSync(here('package.json'), 'utf8'));
  const external = Object.keys(pkg.dependencies).filter((name) => name !== '@agora-backend/shared');
  const result = await build({
    entryPoints: { main: here('src/main.ts') },
    outdir: here('dist'),
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: [...external, ...external.map((name) => `${name}/*`)],
    sourcemap: 'linked',
    write: false,
    logLevel: 'warning',
  });
  // Replaced file by file: a server already starting from server/dist is never shown half a file.
  writeOutputs(result.outputFiles, here('dist'));
  return here('dist/main.js');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildServer({ types: process.argv.includes('--types') });
  process.stdout.write('built console/dist, emulator/dist and server/dist\n');
}
