import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

/** What the core ring may not import (docs/architecture.md, "Rings"). */
const CORE_RING = [
  {
    group: ['**/trpc/*', '**/routers/*', '**/http/*', '**/http/**', '**/app.js', '**/compose.js', '**/main.js', '**/config.js'],
    message: 'The core imports nothing from the API or edge rings (docs/architecture.md).',
  },
  { group: ['@trpc/*'], message: 'The core knows nothing of tRPC (docs/architecture.md).' },
];

/** The kinds of task, each a folder of server/src: none imports another. */
const TASK_KINDS = ['recording', 'transcription', 'agents'];

/** Folders and the kinds they must not import: each kind its siblings; the shared runtime and the registry every kind. */
const TASK_KIND_FOLDERS = Object.fromEntries([
  ...TASK_KINDS.map((kind) => [kind, TASK_KINDS.filter((other) => other !== kind)]),
  ['tasks', TASK_KINDS],
  ['store', TASK_KINDS],
]);

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', 'data/**', '**/.scratch/**', '**/*.js', '**/*.mjs', 'emulator/media/**'] },
  eslint.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Tests and server code throw typed errors; tRPC's own API uses non-Error rejections nowhere.
      '@typescript-eslint/only-throw-error': 'error',
      'no-console': 'error',
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      // noUncheckedIndexedAccess makes every `list[i]` possibly undefined; after a bounds check,
      // `list[i]!` is the clearest way to say so.
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  // The rings (docs/architecture.md): nothing imports from a ring outside its own.
  {
    files: [
      'server/src/{tokens,agora,recording,transcription,agents,channels,tasks,store,storage,events,cluster,auth}/**/*.ts',
      'server/src/{errors,clock,logger,agent-profiles}.ts',
    ],
    ignores: ['**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: CORE_RING }] },
  },
  // Kinds of task (docs/architecture.md, "Adding a kind of task"): each is a configuration of the
  // runtime in tasks/ and never imports a sibling kind; tasks/ and the registry import no kind.
  ...Object.entries(TASK_KIND_FOLDERS).map(([folder, siblings]) => ({
    files: [`server/src/${folder}/**/*.ts`],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...CORE_RING,
            {
              group: siblings.flatMap((kind) => [`**/${kind}/*`, `**/${kind}/**`]),
              message: `${folder}/ imports no kind of task (${siblings.join(', ')}): what kinds share lives in tasks/ (docs/architecture.md, "Adding a kind of task").`,
            },
          ],
        },
      ],
    },
  })),
  {
    files: ['server/src/{trpc,routers}/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'node:http', message: 'The API ring knows no requests or sockets: that is the edge (docs/architecture.md).' }],
          patterns: [
            {
              group: ['**/http/*', '**/http/**', '**/app.js', '**/compose.js', '**/main.js'],
              message: 'The API ring imports nothing from the edge (docs/architecture.md).',
            },
          ],
        },
      ],
    },
  },
  {
    // tRPC's internals (the router's `_def`, calling a procedure by path, error shapes, response
    // transforms, its HTTP helpers) live behind one module of the edge (docs/architecture.md).
    files: ['server/src/**/*.ts', 'bench/**/*.ts', 'test/**/*.ts'],
    ignores: ['server/src/http/trpc-internals.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        ...[
          'ImportDeclaration[source.value=/^@trpc\\/server/] > ImportSpecifier[imported.name=/^(callTRPCProcedure|callProcedure|getErrorShape|transformTRPCResponse|getHTTPStatusCode|getHTTPStatusCodeFromError|createCallerFactory)$/]',
          'ImportDeclaration[source.value=/^@trpc\\/server\\/(http|unstable-core-do-not-import)/]',
          "MemberExpression[property.name='_def']",
          "Literal[value='_def']",
        ].map((selector) => ({
          selector,
          message: "tRPC's internals are used only in server/src/http/trpc-internals.ts (docs/architecture.md).",
        })),
      ],
    },
  },
  {
    // The emulator is Agora's side, a package of its own: it imports nothing of ours (its tests neither).
    files: ['emulator/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@agora-backend/*', '**/server/**', '**/shared/**', '**/client/**'],
              message: 'The emulator is a standalone package: it imports nothing from the other packages (docs/architecture.md).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      'no-console': 'off',
    },
  },
);
