import { defineConfig } from 'vitest/config';

process.env['TZ'] = 'UTC';
process.env['DOTENV_CONFIG_QUIET'] = 'true';

export default defineConfig({
  test: {
    include: ['pipeline/**/*.test.ts', 'models/**/*.test.ts', 'api/**/*.test.ts', 'data-samples/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
