import { build } from 'esbuild';
import { builtinModules } from 'node:module';
import { describe, expect, it } from 'vitest';

describe('the browser entry', () => {
  it('bundles for the browser platform with no Node built-in', async () => {
    const nodeImports: string[] = [];
    const result = await build({
      entryPoints: [new URL('./index.ts', import.meta.url).pathname],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      logLevel: 'silent',
      plugins: [
        {
          name: 'refuse-node-builtins',
          setup(pluginBuild) {
            pluginBuild.onResolve({ filter: /.*/ }, (args) => {
              const name = args.path.replace(/^node:/, '');
              if (args.path.startsWith('node:') || builtinModules.includes(name)) {
                nodeImports.push(`${args.path} (from ${args.importer})`);
                return { path: args.path, external: true };
              }
              return undefined;
            });
          },
        },
      ],
    });
    expect(nodeImports).toEqual([]);
    expect(result.errors).toEqual([]);
    const code = result.outputFiles[0]!.text;
    expect(code).toContain('createTRPCClient');
    // ws and eventsource belong to the Node entry only.
    expect(code).not.toMatch(/from\s*["']ws["']/);
  });
});

describe('the browser bundle budget', () => {
  it('createClient + watchRecording + getAgoraError, minified, stay within 60 KB gzipped', async () => {
    const { gzipSync } = await import('node:zlib');
    const result = await build({
      stdin: { contents: "export { createClient, watchRecording, getAgoraError } from './index.ts';", resolveDir: new URL('.', import.meta.url).pathname, loader: 'ts' },
      bundle: true,
      platform: 'browser',
      format: 'esm',
      minify: true,
      write: false,
      logLevel: 'silent',
    });
    const gzipped = gzipSync(result.outputFiles[0]!.contents).length;
    // The shared package is side-effect free, so its zod schemas stay out unless a frontend uses them.
    expect(gzipped).toBeLessThanOrEqual(60 * 1024);
    expect(result.outputFiles[0]!.text).not.toContain('ZodObject');
  });
});
