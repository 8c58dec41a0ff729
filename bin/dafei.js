#!/usr/bin/env node
// Entry point for the `dafei` command. Runs the TypeScript sources directly through tsx,
// so `npx dafei …` works right after `npm install`, with no build step.
process.env.DOTENV_CONFIG_QUIET ??= 'true';
const { register } = await import('tsx/esm/api');
register();
const { main } = await import('../pipeline/cli.ts');
process.exitCode = await main(process.argv.slice(2));
