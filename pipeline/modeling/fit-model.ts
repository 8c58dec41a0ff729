/**
 * Fitting a model on a training set (no database): the forest (trees on worker threads), then on
 * the held-out latest quarter of days the fusion choice and the calibration, every step weighted
 * when the set is sampled. `fitModelInWorker` runs all of it on a worker thread of its own, so
 * the thread that asked (a server, the scheduler) keeps answering: stacking the rule index,
 * binning the matrix and calibrating take seconds on a large training set.
 */
import {
  chooseFusion,
  fitCalibrator,
  fitForestParallel,
  fitRankFusion,
  fuseAll,
  HistogramForest,
  identityCalibrator,
  ModelError,
  predictProbaParallel,
  ruleIndex,
  runTsWorker,
  withRuleIndex,
  type FusionChoice,
  type HistogramForestOptions,
  type Matrix,
} from '../../models/index.ts';
import { AppError } from '../errors.ts';
import { bundleFromJson, bundleToJson, type ModelBundle } from './bundle.ts';
import { withDerived } from './derived.ts';
import type { FitRequest, FitReply } from './fit-worker.ts';
import type { TrainingOptions, TrainingSet } from './train.ts';

/**
 * Chosen on the sample city's walk-forward evaluation (few positives: shallow trees with large
 * leaves generalise better there than grown trees; measured in bench/evaluate-city.ts too).
 */
export const DEFAULT_FOREST: HistogramForestOptions = {
  nEstimators: 200,
  minSamplesLeaf: 20,
  maxDepth: 8,
  maxFeatures: 'sqrt',
  classWeight: 'balanced',
  seed: 20260101,
};

export type FitOptions = Pick<
  TrainingOptions,
  | 'until'
  | 'horizonDays'
  | 'forest'
  | 'stackRuleIndex'
  | 'derived'
  | 'fusion'
  | 'threads'
  | 'onProgress'
  | 'onTree'
>;

export interface FittedModel {
  bundle: ModelBundle;
  calibrationDays: string[];
  positives: number;
  /** Absent when the fusion was not allowed or there were too few held-out positives. */
  fusionChoice?: FusionChoice;
}

/** Rows [from, to) of a matrix, without a copy. */
function rowRange(m: Matrix, from: number, to: number): Matrix {
  return { ...m, rows: to - from, data: m.data.subarray(from * m.cols, to * m.cols) };
}

/** Fits on this thread (the trees still grow on worker threads). */
export async function fitModel(set: TrainingSet, o: FitOptions): Promise<FittedModel> {
  const horizon = o.horizonDays ?? 90;
  const positives = set.labels.reduce((s, y) => s + y, 0);
  if (positives < 3) {
    throw new AppError(
      'model_failed',
      `[train] only ${positives} positive examples before ${o.until}: record more confirmed outcomes first`,
    );
  }
  // rows are ordered by day: the earlier days fit the forest, the latest quarter calibrates it
  const cut = set.days[Math.floor(set.days.length * 0.75)]!;
  let nFit = 0;
  while (nFit < set.labels.length && set.rows.day[nFit]! < cut) nFit++;
  const n = set.labels.length;
  const w = set.rows.weight;
  const fitY = set.labels.subarray(0, nFit);
  const options = { ...DEFAULT_FOREST, ...o.forest };
  o.onProgress?.(
    `training ${options.nEstimators} trees on ${nFit} examples (${fitY.reduce((s, y) => s + y, 0)} positive)`,
  );
  const stacked = o.stackRuleIndex === false ? set.rows.matrix : withRuleIndex(set.rows.matrix);
  const input = o.derived === false ? stacked : withDerived(stacked);
  const forest = await fitForestParallel(
    new HistogramForest(options),
    rowRange(input, 0, nFit),
    fitY,
    w?.subarray(0, nFit),
    { ...(o.threads ? { threads: o.threads } : {}), ...(o.onTree ? { onTree: o.onTree } : {}) },
  );
  const calY = set.labels.subarray(nFit);
  const calW = w?.subarray(nFit);
  let calPositives = 0;
  for (let i = 0; i < calY.length; i++) calPositives += calY[i]!;
  const forestRaw = await predictProbaParallel(forest, rowRange(input, nFit, n));
  // The fusion's tail maps come from the held-out days too (the forest's scores there are
  // out-of-sample); with fewer than 2 held-out positives there is nothing to calibrate it on.
  const calRules =
    o.fusion !== false && calPositives >= 2 ? ruleIndex(rowRange(set.rows.matrix, nFit, n)) : null;
  let fusion = calRules ? fitRankFusion(forestRaw, calRules, undefined, calW) : undefined;
  let fusionChoice: FusionChoice | undefined;
  if (fusion && calRules) {
    // the tail maps use no labels; the choice uses the held-out days' labels (models/ensemble.ts)
    fusionChoice = chooseFusion(
      fusion,
      forestRaw,
      calRules,
      calY,
      set.rows.day.slice(nFit),
      50,
      calW,
    );
    if (!fusionChoice.fused) fusion = undefined;
    o.onProgress?.(
      `fusion with the rule index ${fusionChoice.fused ? 'kept' : 'dropped'}: held-out precision@50 fused ${fusionChoice.fusedPrecisionAtK.toFixed(3)}, forest alone ${fusionChoice.forestPrecisionAtK.toFixed(3)}`,
    );
  }
  const raw = fusion && calRules ? fuseAll(fusion, forestRaw, calRules) : forestRaw;
  // Isotonic needs many positives to be more than a few flat steps; Platt is smooth with few.
  const calibrator =
    calPositives < 2
      ? identityCalibrator()
      : fitCalibrator(calPositives >= 50 ? 'isotonic' : 'platt', raw, calY, calW);
  const bundle: ModelBundle = {
    classifier: forest,
    calibrator,
    features: forest.columns,
    horizonDays: horizon,
    ...(fusion ? { fusion } : {}),
  };
  return {
    bundle,
    calibrationDays: set.days.filter((d) => d >= cut),
    positives,
    ...(fusionChoice ? { fusionChoice } : {}),
  };
}

/**
 * Fits on a worker thread of its own (which grows the trees on further workers): same model as
 * `fitModel`. Progress and tree counts come back as messages; errors keep their class and code.
 */
export async function fitModelInWorker(set: TrainingSet, o: FitOptions): Promise<FittedModel> {
  const { onProgress, onTree, ...options } = o;
  const request: FitRequest = {
    set: {
      matrix: set.rows.matrix,
      labels: set.labels,
      day: set.rows.day,
      days: set.days,
      ...(set.rows.weight ? { weight: set.rows.weight } : {}),
    },
    options,
  };
  return runTsWorker<FitReply, FittedModel>(
    new URL('./fit-worker.ts', import.meta.url),
    request,
    (m) => {
      if (m.kind === 'progress') onProgress?.(m.message);
      else if (m.kind === 'tree') onTree?.(m.done, m.total);
      else if (m.kind === 'error') {
        const Err = m.name === 'ModelError' ? ModelError : AppError;
        return { error: new (Err as typeof AppError)(m.code as never, m.message) };
      } else
        return {
          done: {
            bundle: bundleFromJson(m.bundle),
            calibrationDays: m.calibrationDays,
            positives: m.positives,
            ...(m.fusionChoice ? { fusionChoice: m.fusionChoice } : {}),
          },
        };
      return undefined;
    },
    (what, cause) =>
      new AppError('model_failed', `[train] the training worker ${what}`, cause ? { cause } : {}),
  );
}

/** Replies of a fit worker (fit-worker.ts), as plain data. */
export function fittedToReply(f: FittedModel): FitReply {
  return {
    kind: 'done',
    bundle: bundleToJson(f.bundle),
    calibrationDays: f.calibrationDays,
    positives: f.positives,
    ...(f.fusionChoice ? { fusionChoice: f.fusionChoice } : {}),
  };
}
