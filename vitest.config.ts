import { defineConfig } from 'vitest/config';

// CI asks for a JSON report next to the usual output (pnpm 12 keeps `--reporter` for itself).
const jsonReport = process.env.VITEST_JSON_REPORT;

// One run over every package; each package is a project so failures name their package.
export default defineConfig({
  test: {
    ...(jsonReport ? { reporters: ['default', 'json'], outputFile: { json: jsonReport } } : {}),
    projects: ['shared', 'emulator', 'server', 'client', 'test'].map((name) => ({
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
