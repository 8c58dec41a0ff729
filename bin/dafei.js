#!/usr/bin/env node
// Entry point for the `dafei` command. Runs the TypeScript sources directly through tsx,
// so `npx dafei …` works right after `npm install`, with no build step. The HTTP server comes
// from api/ and is wired in here: pipeline/ never imports api/ (api → pipeline → models).
/* global process */
process.env.DOTENV_CONFIG_QUIET ??= 'true';
const { register } = await import('tsx/esm/api');
register();
const { main } = await import('../pipeline/cli.ts');
process.exitCode = await main(process.argv.slice(2), undefined, {
  startServer: async (options) => (await import('../api/index.ts')).startServer(options),
});
