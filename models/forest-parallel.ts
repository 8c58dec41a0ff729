/**
 * Fitting a HistogramForest on worker threads. The matrix is binned once on the calling thread
 * (trainContext); the binned codes, labels and weights go to the workers in SharedArrayBuffers
 * (no copy per worker), and each worker grows whole trees, one at a time, as the main thread hands
 * out tree indices. Every tree has its own PRNG stream (seed, tree), so the forest is the same
 * tree for tree as `fit()` on one thread, whatever the number of workers or who grew which tree.
 * The calling thread's event loop stays free while the trees grow (a server keeps answering).
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { ModelError } from './errors.ts';
import { trainContext, type HistogramForest, type TrainContext, type TreeNodes } from './forest.ts';
import type { FromWorker, ToWorker } from './forest-worker.ts';
import type { Matrix } from './matrix.ts';
import { startTsWorker } from './ts-worker.ts';

export interface ParallelFitOptions {
  /** Worker threads; default: the available cores (at most one per tree). */
  threads?: number;
  /** Called on the calling thread after each tree (for progress and an ETA). */
  onTree?: (done: number, total: number) => void;
}

function shared<T extends Uint8Array | Uint16Array | Float64Array>(
  a: T,
  make: (b: SharedArrayBuffer) => T,
): T {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const out = make(new SharedArrayBuffer(a.byteLength));
  out.set(a);
  return out;
}

function shareContext(ctx: TrainContext): TrainContext {
  return {
    ...ctx,
    codes: shared(ctx.codes, (b) => new Uint8Array(b)),
    y: shared(ctx.y, (b) => new Uint8Array(b)),
    sampleWeight: ctx.sampleWeight ? shared(ctx.sampleWeight, (b) => new Float64Array(b)) : null,
    nBins: shared(ctx.nBins, (b) => new Uint16Array(b)),
  };
}

/**
 * Fits `forest` on `x`, `y` (and optional per-row sample weights) on worker threads; resolves to
 * the same forest, fitted. Out-of-bag scores are not computed here (use `fit`).
 */
export async function fitForestParallel(
  forest: HistogramForest,
  x: Matrix,
  y: ArrayLike<number>,
  sampleWeight?: ArrayLike<number>,
  options: ParallelFitOptions = {},
): Promise<HistogramForest> {
  if (forest.options.oobScore)
    throw new ModelError('input_invalid', '[forest] out-of-bag scores need fit() on one thread');
  const total = forest.options.nEstimators;
  const threads = Math.max(1, Math.min(options.threads ?? availableParallelism(), total));
  const ctx = shareContext(trainContext(forest.options, x, y, sampleWeight));
  const grown: TreeNodes[] = new Array<TreeNodes>(total);
  const workers: Worker[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      let next = 0;
      let done = 0;
      let failed = false;
      const fail = (err: unknown) => {
        if (failed) return;
        failed = true;
        reject(
          err instanceof ModelError
            ? err
            : new ModelError('input_invalid', '[forest] a training worker failed', { cause: err }),
        );
      };
      const give = (w: Worker) => {
        if (next >= total) return;
        const m: ToWorker = { kind: 'grow', tree: next++ };
        w.postMessage(m);
      };
      for (let i = 0; i < threads; i++) {
        const w = startTsWorker(new URL('./forest-worker.ts', import.meta.url));
        workers.push(w);
        w.on('message', (m: FromWorker) => {
          grown[m.tree] = m;
          done++;
          options.onTree?.(done, total);
          if (done === total) resolve();
          else give(w);
        });
        w.on('error', fail);
        w.on('exit', (code) => {
          if (done < total)
            fail(
              new ModelError(
                'input_invalid',
                `[forest] a training worker exited with code ${code}`,
              ),
            );
        });
        const c: ToWorker = { kind: 'context', ctx };
        w.postMessage(c);
        give(w);
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  forest.setTrees(grown, x.columns);
  return forest;
}
