/** Worker thread of fit-model.ts `fitModelInWorker`: one fit, then it is terminated. */
import { parentPort } from 'node:worker_threads';
import type { FusionChoice, Matrix } from '../../models/index.ts';
import { fitModel, fittedToReply, type FitOptions } from './fit-model.ts';

export interface FitRequest {
  set: {
    matrix: Matrix;
    labels: Uint8Array;
    weight?: Float64Array;
    day: string[];
    days: string[];
  };
  options: Omit<FitOptions, 'onProgress' | 'onTree'>;
}

export type FitReply =
  | { kind: 'progress'; message: string }
  | { kind: 'tree'; done: number; total: number }
  | { kind: 'error'; name: string; code: string | undefined; message: string }
  | {
      kind: 'done';
      bundle: string;
      calibrationDays: string[];
      positives: number;
      fusionChoice?: FusionChoice;
    };

const port = parentPort!;
const send = (m: FitReply) => port.postMessage(m);

port.once('message', (r: FitRequest) => {
  const { matrix, labels, weight, day, days } = r.set;
  fitModel(
    { rows: { matrix, uscc: [], day, ...(weight ? { weight } : {}) }, labels, days },
    {
      ...r.options,
      onProgress: (message) => send({ kind: 'progress', message }),
      onTree: (done, total) => send({ kind: 'tree', done, total }),
    },
  ).then(
    (fitted) => send(fittedToReply(fitted)),
    (err: unknown) => {
      const e = err as { name?: string; code?: string; message?: string };
      send({
        kind: 'error',
        name: e.name ?? 'Error',
        code: e.code,
        message: e.message ?? String(err),
      });
    },
  );
});
