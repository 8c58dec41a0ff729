/** Worker thread: fits a model bundle, or scores a matrix with one (see model-thread.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import type { Matrix } from '../../models/index.ts';
import { bundleFromJson, bundleToJson, predict } from './bundle.ts';
import { fitBundle, type FitOptions, type TrainingSet } from './fit.ts';

export type ModelTask =
  | { kind: 'fit'; set: TrainingSet; options: Omit<FitOptions, 'onProgress'> }
  | { kind: 'predict'; bundle: string; x: Matrix };

export interface Fitted {
  bundle: string;
  calibrationDays: string[];
  fusionChoice?: unknown;
}

export interface Predicted {
  score: Float64Array;
  raw: Float64Array;
  forest: Float64Array;
  rules?: Float64Array;
}

export type ModelMessage =
  | { progress: string }
  | { fitted: Fitted }
  | { predicted: Predicted }
  | { failed: { name: string; message: string } };

const task = workerData as ModelTask;
const say = (m: ModelMessage, transfer: ArrayBuffer[] = []) => parentPort!.postMessage(m, transfer);
try {
  if (task.kind === 'fit') {
    const fitted = fitBundle(task.set, {
      ...task.options,
      onProgress: (progress) => say({ progress }),
    });
    say({
      fitted: {
        bundle: bundleToJson(fitted.bundle),
        calibrationDays: fitted.calibrationDays,
        ...(fitted.fusionChoice ? { fusionChoice: fitted.fusionChoice } : {}),
      },
    });
  } else {
    const p = predict(bundleFromJson(task.bundle), task.x);
    const arrays = [p.score, p.raw, p.forest, ...(p.rules ? [p.rules] : [])];
    // the arrays may share a buffer (no fusion: raw is forest): each buffer is moved once
    const buffers = [...new Set(arrays.map((a) => a.buffer as ArrayBuffer))];
    say({ predicted: p }, buffers);
  }
} catch (err) {
  const e = err as Error;
  say({ failed: { name: e.name, message: e.message } });
}
