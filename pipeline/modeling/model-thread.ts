/**
 * Model work on a worker thread, so that the thread that asked — in `dafei serve`, the one that
 * answers the API — keeps answering while a forest grows or scores a large batch (the weekly
 * training job fits and evaluates for minutes of CPU). The inputs are copied to the worker
 * (structured clone); a bundle travels as its JSON (bundle.ts), the format the registry stores, so
 * a model fitted there scores exactly as one fitted on the calling thread (tested).
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FusionChoice, Matrix } from '../../models/index.ts';
import { AppError } from '../errors.ts';
import { bundleFromJson, bundleToJson, type ModelBundle, type Prediction } from './bundle.ts';
import type { FitOptions, FittedBundle, TrainingSet } from './fit.ts';
import type { Fitted, ModelMessage, ModelTask, Predicted } from './model-worker.ts';

function run<T>(
  task: ModelTask,
  pick: (m: ModelMessage) => T | undefined,
  onProgress?: (m: string) => void,
): Promise<T> {
  const require = createRequire(import.meta.url);
  // the worker loads TypeScript through tsx, as the NDJSON pool's workers do
  const tsx = pathToFileURL(
    join(require.resolve('tsx/package.json'), '..', 'dist', 'esm', 'api', 'index.mjs'),
  ).href;
  const entry = new URL('./model-worker.ts', import.meta.url).href;
  const boot = `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(entry)}); });`;
  const worker = new Worker(boot, { eval: true, workerData: task });
  const done = new Promise<T>((resolve, reject) => {
    worker.on('message', (m: ModelMessage) => {
      if ('progress' in m) onProgress?.(m.progress);
      else if ('failed' in m) reject(new AppError('model_failed', `[train] ${m.failed.message}`));
      else {
        const r = pick(m);
        if (r !== undefined) resolve(r);
      }
    });
    worker.on('error', (err) =>
      reject(
        new AppError('model_failed', `[train] the model thread failed: ${err.message}`, {
          cause: err,
        }),
      ),
    );
    worker.on('exit', (code) =>
      reject(
        new AppError(
          'model_failed',
          `[train] the model thread ended (exit ${code}) without an answer`,
        ),
      ),
    );
  });
  return done.finally(() => worker.terminate());
}

/** fitBundle (fit.ts) on a worker thread. */
export async function fitBundleInWorker(set: TrainingSet, o: FitOptions): Promise<FittedBundle> {
  const { onProgress, ...options } = o;
  const r = await run<Fitted>(
    { kind: 'fit', set: { rows: set.rows, labels: set.labels, days: set.days }, options },
    (m) => ('fitted' in m ? m.fitted : undefined),
    onProgress,
  );
  return {
    bundle: bundleFromJson(r.bundle),
    calibrationDays: r.calibrationDays,
    ...(r.fusionChoice ? { fusionChoice: r.fusionChoice as FusionChoice } : {}),
  };
}

/** predict (bundle.ts) on a worker thread. */
export async function predictInWorker(b: ModelBundle, x: Matrix): Promise<Prediction> {
  const p = await run<Predicted>(
    {
      kind: 'predict',
      bundle: bundleToJson(b),
      x: { data: x.data, rows: x.rows, cols: x.cols, columns: x.columns },
    },
    (m) => ('predicted' in m ? m.predicted : undefined),
  );
  return { score: p.score, raw: p.raw, forest: p.forest, ...(p.rules ? { rules: p.rules } : {}) };
}
