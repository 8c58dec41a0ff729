import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
          patterns: [{ regex: '^\\.\\./(\\.\\./)*api/', message: 'pipeline/ never imports api/.' }],
        },
      ],
    },
  },
  {
    files: ['bin/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
