/**
 * A worker thread running a TypeScript module: the sources run through tsx (no build step), so a
 * worker registers tsx's loader before importing its entry module. Under Deno (the notebooks'
 * kernel), which runs TypeScript itself and cannot load tsx, the entry module is started as is.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

export function startTsWorker(entry: URL, options: Omit<WorkerOptions, 'eval'> = {}): Worker {
  if ('Deno' in globalThis) return new Worker(entry, options);
  const require = createRequire(import.meta.url);
  const api = pathToFileURL(
    join(require.resolve('tsx/package.json'), '..', 'dist', 'esm', 'api', 'index.mjs'),
  ).href;
  const boot = `import(${JSON.stringify(api)}).then((t) => { t.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(boot, { ...options, eval: true });
}
