// ESLint flat config (`npm run lint` = `tsc --noEmit && eslint .`).
// TypeScript files are linted with type information (projectService over tsconfig.json), so the
// promise rules can see what is a Promise; plain JS files (bin/, scripts/, jest.config.js, this
// file) are linted without type information.
import { builtinModules } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import prettierConfig from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const TS_FILES = ['**/*.ts', '**/*.tsx', '**/*.cts', '**/*.mts'];
const JS_FILES = ['**/*.js', '**/*.cjs', '**/*.mjs'];

// Workflow code runs in Temporal's deterministic sandbox and is bundled by Temporal's webpack:
// it (and the sandbox-safe domain modules it imports) may not pull in Node built-ins or the
// non-workflow Temporal packages, not even as types.
const nodeBuiltins = builtinModules.filter((m) => !m.startsWith('_'));
const sandboxRestrictedImports = {
  paths: nodeBuiltins.map((name) => ({
    name,
    message: 'Node built-ins are not available in the workflow sandbox; keep I/O in activities.',
  })),
  patterns: [
    {
      group: ['node:*'],
      message: 'Node built-ins are not available in the workflow sandbox; keep I/O in activities.',
    },
    {
      group: [
        '@temporalio/activity',
        '@temporalio/activity/*',
        '@temporalio/client',
        '@temporalio/client/*',
        '@temporalio/worker',
        '@temporalio/worker/*',
        '@temporalio/testing',
        '@temporalio/testing/*',
        '@temporalio/common/lib/internal-non-workflow',
        '@temporalio/common/lib/internal-non-workflow/*',
      ],
      message: 'Not sandbox-safe: workflow code may use @temporalio/workflow and @temporalio/common only.',
    },
    {
      // Workflows reach activities through a typed proxy; activity and worker code itself is never bundled.
      group: ['**/activities', '**/activities/*', '**/workers', '**/workers/*'],
      allowTypeImports: true,
      message: 'Workflow code may import activities/workers as types only (`import type`).',
    },
  ],
};

export default defineConfig(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'dashboard/dist/',
      'coverage/',
      '.temporal/',
      '.trainyard/',
      'bench/results/',
      'clients/python/.venv/',
      'clients/python/build/',
    ],
  },

  js.configs.recommended,

  {
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.cts', '.mts', '.js', '.cjs', '.mjs'],
      'import-x/external-module-folders': ['node_modules', 'node_modules/@types'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.cts', '.mts'] },
      'import-x/resolver-next': [
        createNodeResolver({ extensions: ['.ts', '.cts', '.mts', '.js', '.cjs', '.mjs', '.json', '.node'] }),
      ],
    },
    rules: {
      // Type-only imports are erased at compile time and are ignored by this rule.
      'import-x/no-cycle': 'error',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },

  // TypeScript: typescript-eslint `recommended` plus the type-aware promise rules.
  {
    files: TS_FILES,
    extends: [tseslint.configs.recommended],
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: dirname(fileURLToPath(import.meta.url)),
      },
      globals: { ...globals.node },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'inline-type-imports' },
      ],
      // `import { type X }` alone would leave a side-effect import behind; use `import type { X }`.
      '@typescript-eslint/no-import-type-side-effects': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
    },
  },

  // Workflow sandbox and the sandbox-safe domain modules it shares.
  {
    files: ['workflows/**/*.ts', 'src/domain/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', sandboxRestrictedImports],
    },
  },

  // Layers: src/ is the ground floor everything imports; the step activities (activities/), the
  // worker processes (workers/) and the dev composition root (dev/) sit above it and import it,
  // never the other way round — not even as types.
  {
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/activities', '**/activities/**', '**/workers', '**/workers/**', '**/dev', '**/dev/**'],
              message:
                'src/ is the bottom layer: it may not import activities/, workers/ or dev/ (they compose src/, not the reverse).',
            },
          ],
        },
      ],
    },
  },

  // The environment is read in the config modules only; everything else gets the parsed Config
  // (or its options) passed in. Tests, benchmarks and scripts are harnesses and may read their knobs.
  {
    files: [
      'src/**/*.ts',
      'dev/**/*.ts',
      'activities/**/*.ts',
      'workers/**/*.ts',
      'workflows/**/*.ts',
      'deploy/**/*.ts',
    ],
    ignores: ['src/config.ts', 'src/sdk/env.ts', 'dev/dev-env.ts', 'deploy/prod-local/config.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message:
            'Read the environment in a config module (src/config.ts, src/sdk/env.ts, dev/dev-env.ts) and pass the result in.',
        },
      ],
    },
  },

  // The dashboard runs in the browser (its layout worker too).
  {
    files: ['dashboard/src/**/*.ts', 'dashboard/src/**/*.tsx'],
    languageOptions: { globals: { ...globals.browser } },
  },

  // Tests may use `any` for loosely-typed fixtures and API payloads.
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },

  // Plain JavaScript (bin/, scripts/, jest.config.js, *.mjs): no type information.
  {
    files: JS_FILES,
    languageOptions: {
      globals: { ...globals.node },
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
  },

  // Formatting is Prettier's (`prettier --check` in `npm run lint`); turn off rules that fight it.
  prettierConfig,
);
