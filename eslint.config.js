import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Node modules that do I/O: banned in models/. */
const IO_MODULES = [
  'fs',
  'fs/promises',
  'net',
  'http',
  'https',
  'http2',
  'dgram',
  'dns',
  'tls',
  'child_process',
  'cluster',
  'readline',
  'inspector',
];
/** Across layers (api → pipeline → models), import a module's index.ts, never a file inside it. */
const ACROSS_LAYERS =
  "import the module's index.ts across layers (api → pipeline → models), not a file inside it";
// across layers only a folder's index.ts (its API) or its _fixtures.ts (what its tests build on)
const DEEP_PIPELINE = '^(\\.\\./)+pipeline/[^/]+/(?!index\\.ts$|_fixtures\\.ts$)';
const DEEP_MODELS = '^(\\.\\./)+models/(?!index\\.ts$)';

export default tseslint.config(
  { ignores: ['node_modules', 'var', 'dist', 'notebooks', 'bench/out', 'eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['models/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['@duckdb/node-api', 'hono', 'node-cron', 'natural'],
          patterns: [
            {
              regex: '^\\.\\./(\\.\\./)*(pipeline|api)/',
              message: 'models/ is pure: no pipeline or api imports.',
            },
            {
              // I/O belongs to pipeline/: models/ gets arrays and bytes, never files or sockets
              regex: `^(node:)?(${IO_MODULES.join('|')})(/.*)?$`,
              message:
                'models/ is pure: no file, network or process I/O (read and write in pipeline/).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['pipeline/**/*.ts'],
    ignores: ['pipeline/db/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['@duckdb/node-api', 'hono'],
          patterns: [
            { regex: '^\\.\\./(\\.\\./)*api/', message: 'pipeline/ never imports api/.' },
            { regex: DEEP_MODELS, message: ACROSS_LAYERS },
          ],
        },
      ],
    },
  },
  {
    files: ['api/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: DEEP_PIPELINE, message: ACROSS_LAYERS },
            { regex: DEEP_MODELS, message: ACROSS_LAYERS },
          ],
        },
      ],
    },
  },
  {
    files: ['bin/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
