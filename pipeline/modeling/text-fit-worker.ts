/**
 * Worker thread of text-score.ts `trainAdTextScorer`: fits the cross-fitted text models (one per
 * fold, each on the other folds' ads) off the calling thread, then it is terminated.
 */
import { parentPort } from 'node:worker_threads';
import { createTextModel, type TextModelJSON, type TextModelOptions } from '../features/text.ts';

export interface TextFitRequest {
  /** Tokens of each ad, its label, and its enterprise's fold. */
  tokens: string[][];
  labels: number[];
  folds: number[];
  nFolds: number;
  options: TextModelOptions;
}

export type TextFitReply =
  { kind: 'done'; models: TextModelJSON[] } | { kind: 'error'; message: string };

const port = parentPort!;

port.once('message', (r: TextFitRequest) => {
  try {
    const models: TextModelJSON[] = [];
    for (let f = 0; f < r.nFolds; f++) {
      const idx: number[] = [];
      for (let i = 0; i < r.folds.length; i++) if (r.folds[i] !== f) idx.push(i);
      const model = createTextModel(r.options);
      model.train(
        idx.map((i) => r.tokens[i]!),
        idx.map((i) => r.labels[i]!),
      );
      models.push(model.toJSON());
    }
    port.postMessage({ kind: 'done', models } satisfies TextFitReply);
  } catch (err) {
    port.postMessage({ kind: 'error', message: (err as Error).message } satisfies TextFitReply);
  }
});
