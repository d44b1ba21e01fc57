import { defineConfig } from 'vitest/config';

// One run over every package; each package is a project so failures name their package.
export default defineConfig({
  test: {
    projects: ['shared', 'server', 'client', 'test'].map((name) => ({
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
