import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';

/** Every file below a folder, as paths relative to it. */
export function filesUnder(dir: string, base = dir): string[] {
  return readdirSync(dir).flatMap((name) =>
    statSync(join(dir, name)).isDirectory() ? filesUnder(join(dir, name), base) : [relative(base, join(dir, name))],
  );
}

/**
 * Packs a package folder with npm or pnpm into `work/<tool>-tarball/` and unpacks it into
 * `work/<tool>/package`; returns both. pnpm runs prepack (the build); npm is told not to, so the
 * same build does not run twice (its manifest and files must come out the same).
 */
export function packAndUnpack(tool: 'pnpm' | 'npm', packageDir: string, work: string): { tarball: string; dir: string } {
  const destination = join(work, `${tool}-tarball`);
  mkdirSync(destination);
  const args =
    tool === 'pnpm' ? ['pack', '--pack-destination', destination] : ['pack', '--ignore-scripts', '--pack-destination', destination];
  execFileSync(tool, args, { cwd: packageDir, stdio: 'pipe' });
  const tarball = join(destination, readdirSync(destination)[0]!);
  const into = join(work, tool);
  mkdirSync(into);
  execFileSync('tar', ['xzf', tarball, '-C', into]);
  return { tarball, dir: join(into, 'package') };
}

const leaves = (value: unknown): string[] =>
  typeof value === 'string' ? [value] : value && typeof value === 'object' ? Object.values(value).flatMap(leaves) : [];

/**
 * What would stop an unpacked package from being published and installed as it is: a `private`
 * flag, no license, a `workspace:` range, an entry point (exports, types, bin, main) that is not
 * a built file in the package, sources shipped, or a bare import in its
 * JavaScript or declarations that its dependencies do not declare.
 */
export function publishProblems(dir: string): string[] {
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
  const problems: string[] = [];
  if (manifest.private !== undefined) problems.push(`private: ${JSON.stringify(manifest.private)}`);
  if (typeof manifest.license !== 'string') problems.push('no license');
  if (JSON.stringify(manifest).includes('workspace:')) problems.push('a workspace: range');
  const targets = leaves([manifest.exports, manifest.types, manifest.bin, manifest.main]);
  if (targets.length === 0) problems.push('no entry point');
  for (const target of targets) {
    if (target !== './package.json' && !target.startsWith('./dist/')) problems.push(`entry point outside dist/: ${target}`);
    else if (!statSync(join(dir, target), { throwIfNoEntry: false })?.isFile()) problems.push(`entry point missing: ${target}`);
  }
  const files = filesUnder(dir);
  // (`.ts` is MPEG-TS too: the emulator's media/ has segments.)
  for (const file of files.filter(
    (name) => name.startsWith('src/') || (name.startsWith('dist/') && /\.[mc]?ts$/.test(name) && !name.endsWith('.d.ts')),
  ))
    problems.push(`source shipped: ${file}`);
  const declared = new Set(
    Object.keys({ ...(manifest.dependencies as object | undefined), ...(manifest.peerDependencies as object | undefined) }),
  );
  for (const file of files.filter((name) => /\.(js|d\.ts)$/.test(name))) {
    for (const [, specifier] of readFileSync(join(dir, file), 'utf8').matchAll(/(?:from|import)\s*\(?\s*["']([^"'.][^"']*)["']/g)) {
      const name = specifier!.startsWith('@') ? specifier!.split('/').slice(0, 2).join('/') : specifier!.split('/')[0]!;
      if (!specifier!.startsWith('node:') && !builtinModules.includes(name) && !declared.has(name))
        problems.push(`${file} imports ${specifier!}, not a dependency`);
    }
  }
  return problems;
}
