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

/** What a reply of a worker run by `runTsWorker` means: go on (undefined), its result, or a failure. */
export type WorkerStep<T> = { done: T } | { error: Error } | undefined;

/**
 * Runs one request on a fresh worker (`startTsWorker`): posts it, hands every reply to `onReply`
 * until one settles the run, and terminates the worker whatever happened. A worker that fails or
 * exits before settling rejects with `failure('failed', cause)` / `failure('exited with code N')`.
 */
export async function runTsWorker<R, T>(
  entry: URL,
  request: unknown,
  onReply: (reply: R) => WorkerStep<T>,
  failure: (what: string, cause?: unknown) => Error,
): Promise<T> {
  const worker = startTsWorker(entry);
  try {
    return await new Promise<T>((resolve, reject) => {
      worker.on('message', (m: R) => {
        const step = onReply(m);
        if (step === undefined) return;
        if ('error' in step) reject(step.error);
        else resolve(step.done);
      });
      worker.on('error', (cause) => reject(failure('failed', cause)));
      worker.on('exit', (code) => reject(failure(`exited with code ${code}`)));
      worker.postMessage(request);
    });
  } finally {
    await worker.terminate();
  }
}
