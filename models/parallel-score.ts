import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ModelError } from './errors.ts';
import { accumulateScores } from './forest.ts';
import type { ForestTrees, HistogramForest } from './forest.ts';
import { alignColumns, assertMatrix } from './matrix.ts';
import type { Matrix } from './matrix.ts';

/**
 * Multi-threaded scoring for large batches (e.g. every enterprise of a province each morning).
 * Rows are split into contiguous chunks, one worker thread per chunk; the matrix, the trees and
 * the output live in SharedArrayBuffers, so nothing is copied per worker. Each worker runs the
 * very same `accumulateScores` function (its source is sent to the worker), and every row sums
 * its trees in the same order, so results are bit-identical to `predictProba`.
 */
export interface ParallelScoreOptions {
  /** Worker threads; default min(available cores, 8). 1 scores on the calling thread. */
  threads?: number;
}

const sharedTrees = new WeakMap<ForestTrees, ForestTrees>();

function toShared<T extends Int16Array | Int32Array | Float32Array>(
  a: T,
  make: (b: SharedArrayBuffer) => T,
): T {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const out = make(new SharedArrayBuffer(a.byteLength));
  out.set(a);
  return out;
}

function shareTrees(t: ForestTrees): ForestTrees {
  const cached = sharedTrees.get(t);
  if (cached) return cached;
  const s: ForestTrees = {
    nTrees: t.nTrees,
    offsets: toShared(t.offsets, (b) => new Int32Array(b)),
    feature: toShared(t.feature, (b) => new Int16Array(b)),
    threshold: toShared(t.threshold, (b) => new Float32Array(b)),
    child: toShared(t.child, (b) => new Int32Array(b)),
    value: toShared(t.value, (b) => new Float32Array(b)),
    weight: toShared(t.weight, (b) => new Float32Array(b)),
  };
  sharedTrees.set(t, s);
  return s;
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const accumulateScores = ${accumulateScores.toString()};
const { trees, data, rows, cols, out, rowFrom, rowTo } = workerData;
accumulateScores(trees, data, rows, cols, out, rowFrom, rowTo);
parentPort.postMessage('done');
`;

/** P(1) per row, computed on worker threads; same values as `model.predictProba(x)`. */
export async function predictProbaParallel(
  model: HistogramForest,
  x: Matrix,
  options: ParallelScoreOptions = {},
): Promise<Float64Array> {
  const trees = model.trees;
  if (!trees) throw new ModelError('not_fitted', '[forest] the model is not fitted');
  assertMatrix(x, 'forest');
  const m = alignColumns(x, model.columns);
  const threads = Math.max(
    1,
    Math.min(options.threads ?? Math.min(availableParallelism(), 8), Math.ceil(m.rows / 10_000)),
  );
  if (threads === 1) return model.predictProba(m);
  const data = toShared(m.data, (b) => new Float32Array(b));
  const out = new Float64Array(new SharedArrayBuffer(m.rows * 8));
  const shared = shareTrees(trees);
  const chunk = Math.ceil(m.rows / threads);
  const jobs: Promise<void>[] = [];
  for (let w = 0; w < threads; w++) {
    const rowFrom = w * chunk;
    const rowTo = Math.min(m.rows, rowFrom + chunk);
    if (rowFrom >= rowTo) break;
    jobs.push(
      new Promise<void>((resolve, reject) => {
        const worker = new Worker(WORKER_SOURCE, {
          eval: true,
          workerData: { trees: shared, data, rows: m.rows, cols: m.cols, out, rowFrom, rowTo },
        });
        worker.once('message', () => {
          resolve();
          void worker.terminate();
        });
        worker.once('error', (cause) =>
          reject(new ModelError('input_invalid', '[forest] scoring worker failed', { cause })),
        );
        worker.once('exit', (code) => {
          if (code !== 0)
            reject(
              new ModelError('input_invalid', `[forest] scoring worker exited with code ${code}`),
            );
        });
      }),
    );
  }
  await Promise.all(jobs);
  const result = new Float64Array(m.rows);
  const k = 1 / trees.nTrees;
  for (let i = 0; i < m.rows; i++) result[i] = out[i]! * k;
  return result;
}
