// Builds the publishable client into dist/: ESM bundles (esbuild) and one self-contained declaration
// file per entry. Declarations are emitted by tsc for shared, server and client together (so the
// router's type is named from the server's own dependencies), then rollup-plugin-dts inlines the
// workspace packages' declarations; npm packages stay imports.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { build } from 'esbuild';
import { rollup } from 'rollup';
import { dts } from 'rollup-plugin-dts';

const here = (path) => new URL(`../${path}`, import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(here('package.json'), 'utf8'));
const npmDependencies = Object.keys(pkg.dependencies ?? {}).filter((name) => !name.startsWith('@agora-backend/'));
rmSync(here('dist'), { recursive: true, force: true });
rmSync(here('.types'), { recursive: true, force: true });

await build({
  entryPoints: { index: here('src/index.ts'), node: here('src/node.ts'), cli: here('src/cli.ts') },
  outdir: here('dist'),
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  external: [...npmDependencies, ...npmDependencies.map((name) => `${name}/*`), 'node:*'],
  logLevel: 'warning',
});

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', here('tsconfig.dts.json')], { stdio: 'inherit' });

const workspaceTypes = {
  '@agora-backend/server': here('.types/server/src/index.d.ts'),
  '@agora-backend/shared': here('.types/shared/src/index.d.ts'),
};
for (const name of ['index', 'node']) {
  const bundle = await rollup({
    input: here(`.types/client/src/${name}.d.ts`),
    plugins: [
      {
        name: 'workspace-types',
        resolveId: (source) => workspaceTypes[source] ?? null,
      },
      dts({ respectExternal: false }),
    ],
    external: (id) => !id.startsWith('.') && !id.startsWith('/') && !(id in workspaceTypes),
  });
  await bundle.write({ file: here(`dist/${name}.d.ts`), format: 'es' });
}
rmSync(here('.types'), { recursive: true, force: true });
console.log('built client/dist');
