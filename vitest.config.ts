import { defineConfig } from 'vitest/config';

// CI asks for a JSON report next to the usual output (pnpm 12 keeps `--reporter` for itself).
const jsonReport = process.env.VITEST_JSON_REPORT;

// The published packages' exports point at their built files; tests run their sources (the same
// mapping as tsconfig.json's paths). The packed packages have their own tests (test/src/*-package.test.ts).
const source = (path: string) => new URL(path, import.meta.url).pathname;
const alias = [
  { find: /^@agora-backend\/client$/, replacement: source('./client/src/index.ts') },
  { find: /^@agora-backend\/client\/node$/, replacement: source('./client/src/node.ts') },
  { find: /^@agora-backend\/client\/react$/, replacement: source('./client/src/react.ts') },
  { find: /^@agora-backend\/emulator$/, replacement: source('./emulator/src/index.ts') },
  { find: /^@agora-backend\/server$/, replacement: source('./server/src/index.ts') },
  { find: /^@agora-backend\/server\/testing$/, replacement: source('./server/src/testing/index.ts') },
  { find: /^@agora-backend\/shared$/, replacement: source('./shared/src/index.ts') },
];

// One run over every package; each package is a project so failures name their package.
export default defineConfig({
  test: {
    ...(jsonReport ? { reporters: ['default', 'json'], outputFile: { json: jsonReport } } : {}),
    projects: ['shared', 'emulator', 'server', 'client', 'test'].map((name) => ({
      resolve: { alias },
      test: {
        name,
        root: `./${name}`,
        include: ['src/**/*.test.ts'],
        environment: 'node',
        testTimeout: 20_000,
        hookTimeout: 20_000,
      },
    })),
  },
});
