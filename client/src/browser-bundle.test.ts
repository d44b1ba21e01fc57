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

// The size budget is measured on the built, packed package: dist.test.ts.
