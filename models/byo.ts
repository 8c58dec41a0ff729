import { HistogramForest } from './forest.ts';
import type { HistogramForestOptions } from './forest.ts';
import { toBinaryLabels } from './classifier.ts';
import { ModelError } from './errors.ts';
import { assertMatrix, selectRows } from './matrix.ts';
import type { Matrix } from './matrix.ts';
import {
  averagePrecision,
  bestF1Threshold,
  foldIndices,
  metricsAtThreshold,
  rocAuc,
  stratifiedKFold,
} from './metrics.ts';

/**
 * "Bring your own features": cross-validate the histogram forest on any feature table.
 *
 * Stratified k-fold (seeded) unless fold ids are given. Per fold: fit on the other folds, score
 * the held-out fold. Reported figures are means over folds (as scikit-learn's cross_val_score),
 * plus AUCs of the pooled out-of-fold scores.
 *
 * F1 threshold: with `threshold: 'oob'` (default) it is the best-F1 threshold on the
 * **out-of-bag** scores of the training folds — chosen without touching the held-out fold and
 * without the optimism of in-sample forest scores (a forest fits its own training rows almost
 * perfectly, so a threshold picked there is useless). A number fixes the threshold (e.g. 0.5).
 */
export interface CrossValidationOptions {
  /** Default 5. */
  folds?: number;
  /** Seed for the fold split (the forest has its own `forest.seed`). Default 42. */
  seed?: number;
  /** Fold id per row (0..k−1); overrides `folds`/`seed`. */
  foldIds?: ArrayLike<number>;
  forest?: HistogramForestOptions;
  /** 'oob' (default) or a fixed threshold. */
  threshold?: 'oob' | number;
}

export interface FoldResult {
  fold: number;
  rows: number;
  positives: number;
  rocAuc: number;
  prAuc: number;
  threshold: number;
  f1: number;
  precision: number;
  recall: number;
  seconds: number;
}

export interface CrossValidationResult {
  folds: FoldResult[];
  /** Means over folds. */
  rocAuc: number;
  prAuc: number;
  f1: number;
  precision: number;
  recall: number;
  /** AUCs of the pooled out-of-fold scores. */
  pooledRocAuc: number;
  pooledPrAuc: number;
  /** Out-of-fold P(1) per row. */
  oofScores: Float64Array;
  foldIds: Int32Array;
  /** Mean decrease in impurity, averaged over folds, sorted descending. */
  importance: { name: string; importance: number }[];
  thresholdStrategy: 'oob-best-f1' | 'fixed';
  seconds: number;
}

const mean = (v: number[]): number => v.reduce((s, x) => s + x, 0) / v.length;

export function crossValidate(
  x: Matrix,
  y: ArrayLike<number>,
  options: CrossValidationOptions = {},
): CrossValidationResult {
  assertMatrix(x, 'byo');
  const labels = toBinaryLabels(y, x.rows, 'byo');
  const foldIds = options.foldIds
    ? Int32Array.from(options.foldIds)
    : stratifiedKFold(labels, options.folds ?? 5, options.seed ?? 42);
  if (foldIds.length !== x.rows)
    throw new ModelError('input_invalid', '[byo] one fold id per row is required');
  const k = Math.max(...foldIds) + 1;
  const thresholdOpt = options.threshold ?? 'oob';
  const started = performance.now();
  const oof = new Float64Array(x.rows).fill(Number.NaN);
  const importance = new Float64Array(x.cols);
  const folds: FoldResult[] = [];
  for (let fold = 0; fold < k; fold++) {
    const t0 = performance.now();
    const { train, test } = foldIndices(foldIds, fold);
    if (test.length === 0) continue;
    const yTrain = Uint8Array.from(train, (i) => labels[i]!);
    const yTest = Uint8Array.from(test, (i) => labels[i]!);
    const forest = new HistogramForest({ ...options.forest, oobScore: thresholdOpt === 'oob' }).fit(
      selectRows(x, train),
      yTrain,
    );
    const p = forest.predictProba(selectRows(x, test));
    test.forEach((row, j) => {
      oof[row] = p[j]!;
    });
    const threshold =
      thresholdOpt === 'oob' ? bestF1Threshold(yTrain, forest.oobScores!).threshold : thresholdOpt;
    const m = metricsAtThreshold(yTest, p, threshold);
    const imp = forest.featureImportance();
    for (let j = 0; j < x.cols; j++) importance[j] = importance[j]! + imp[j]! / k;
    folds.push({
      fold,
      rows: test.length,
      positives: yTest.reduce((s, v) => s + v, 0),
      rocAuc: rocAuc(yTest, p),
      prAuc: averagePrecision(yTest, p),
      threshold,
      f1: m.f1,
      precision: m.precision,
      recall: m.recall,
      seconds: (performance.now() - t0) / 1000,
    });
  }
  return {
    folds,
    rocAuc: mean(folds.map((f) => f.rocAuc)),
    prAuc: mean(folds.map((f) => f.prAuc)),
    f1: mean(folds.map((f) => f.f1)),
    precision: mean(folds.map((f) => f.precision)),
    recall: mean(folds.map((f) => f.recall)),
    pooledRocAuc: rocAuc(labels, oof),
    pooledPrAuc: averagePrecision(labels, oof),
    oofScores: oof,
    foldIds,
    importance: x.columns
      .map((name, j) => ({ name, importance: importance[j]! }))
      .sort((a, b) => b.importance - a.importance || a.name.localeCompare(b.name)),
    thresholdStrategy: thresholdOpt === 'oob' ? 'oob-best-f1' : 'fixed',
    seconds: (performance.now() - started) / 1000,
  };
}
