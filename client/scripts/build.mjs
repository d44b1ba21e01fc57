// Builds the publishable client into dist/ (what package.json's exports and bin point at):
// - JavaScript: one ES module per source file (esbuild, no bundling), the shared schemas under
//   dist/shared/. Kept as modules, with "sideEffects": false, so a frontend's bundler drops every
//   schema (and with them zod) the page does not use, as it does from the sources; a pre-bundled
//   chunk of top-level `z.object(...)` calls could not be dropped (120 KB gzipped of zod).
// - Declarations: one self-contained file per entry. tsc emits them for shared, server and client
//   together, then rollup-plugin-dts inlines the workspace packages'; npm packages stay imports.
//   The router's tRPC context (logger, services, metrics: the server's business) is replaced by
//   an empty interface, so the published types need nothing beyond the client's dependencies.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { build } from 'esbuild';
import { rollup } from 'rollup';
import { dts } from 'rollup-plugin-dts';

const here = (path) => new URL(`../${path}`, import.meta.url).pathname;
const sources = (dir) =>
  readdirSync(here(dir))
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts'))
    .map((name) => here(`${dir}/${name}`));
rmSync(here('dist'), { recursive: true, force: true });
rmSync(here('.types'), { recursive: true, force: true });

const common = { bundle: false, format: 'esm', platform: 'neutral', target: 'es2022', logLevel: 'warning' };
await build({ ...common, entryPoints: sources('src'), outdir: here('dist') });
await build({ ...common, entryPoints: sources('../shared/src'), outdir: here('dist/shared') });
// The one runtime import of the shared package becomes a relative one; anything else from the
// workspace left in the output would be a bug the published package cannot resolve.
for (const file of readdirSync(here('dist')).filter((name) => name.endsWith('.js'))) {
  const path = here(`dist/${file}`);
  const code = readFileSync(path, 'utf8').replaceAll(/(["'])@agora-backend\/shared\1/g, '"./shared/index.js"');
  if (/["']@agora-backend\//.test(code)) throw new Error(`dist/${file} still imports a workspace package`);
  writeFileSync(path, code);
}
// The CLI is the package's bin: executable by plain node.
const cli = here('dist/cli.js');
writeFileSync(cli, `#!/usr/bin/env node\n${readFileSync(cli, 'utf8').replace(/^#!.*\n/, '')}`, { mode: 0o755 });

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', here('tsconfig.dts.json')], { stdio: 'inherit' });

// The client takes one type from the server, AppRouter: only the router's module is read.
const workspaceTypes = {
  '@agora-backend/server': here('.types/server/src/routers/_app.d.ts'),
  '@agora-backend/shared': here('.types/shared/src/index.d.ts'),
};
const serverContext = here('.types/server/src/trpc/context.d.ts');
const contextNames = [...readFileSync(serverContext, 'utf8').matchAll(/^export (?:interface|type) (\w+)/gm)].map((match) => match[1]);
const clientContext = [
  "/** The server's per-request context and services: none of a client's business (it never sees them). */",
  ...contextNames.map((name) => `export interface ${name} {}`),
  '',
].join('\n');
for (const name of ['index', 'node', 'react']) {
  const bundle = await rollup({
    input: here(`.types/client/src/${name}.d.ts`),
    plugins: [
      {
        name: 'workspace-types',
        resolveId: (source) => workspaceTypes[source] ?? null,
        load: (id) => (id === serverContext ? clientContext : null),
      },
      dts({ respectExternal: false }),
    ],
    external: (id) => !id.startsWith('.') && !id.startsWith('/') && !(id in workspaceTypes),
  });
  // tRPC's declarations use `Disposable` (ES2025's explicit resource management): the reference
  // brings that library in for a consumer whose `lib` stops earlier (Vite's templates do).
  await bundle.write({ file: here(`dist/${name}.d.ts`), format: 'es', banner: '/// <reference lib="esnext.disposable" />' });
}
rmSync(here('.types'), { recursive: true, force: true });
console.log('built client/dist');
