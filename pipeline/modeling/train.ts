/**
 * Training: point-in-time examples (enterprise, as_of) on days sampled every `step` days, labels
 * from outcomes decided on or before `until`, a histogram forest, and an isotonic calibrator
 * fitted on the most recent quarter of the sampled days (held out in time).
 */
import type { Db } from '../db/index.ts';
import {
  fitCalibrator,
  fitForestParallel,
  fitRankFusion,
  fuseAll,
  HistogramForest,
  predictProbaParallel,
  ruleIndex,
  identityCalibrator,
  chooseFusion,
  withRuleIndex,
  type FusionChoice,
  type HistogramForestOptions,
  type Matrix,
} from '../../models/index.ts';
import type { ModelBundle } from './bundle.ts';
import { addDays } from './days.ts';
import { withDerived } from './derived.ts';
import { ensureFeatures } from './ensure-features.ts';
import { loadFeatureRows, type FeatureRows } from './feature-matrix.ts';
import { confirmedOn, labelOf } from './outcomes.ts';
import type { SamplingOptions, SamplingRecord } from './sampling.ts';
import { AppError } from '../errors.ts';

export interface TrainingOptions {
  /** Outcomes decided on or before this day are used; examples have as_of before it. */
  until: string;
  horizonDays?: number;
  /** Days between sampled as_of days. */
  stepDays?: number;
  /** Days of data needed before the first as_of (the longest feature window). */
  warmupDays?: number;
  forest?: HistogramForestOptions;
  /** Give the forest the rule index as one more feature (default true). */
  stackRuleIndex?: boolean;
  /** Add the derived ratio indicators (pipeline/modeling/derived.ts; default true). */
  derived?: boolean;
  /**
   * Allow the rank fusion of the forest and the rule index (models/ensemble.ts; default true). It
   * is kept when its daily top 50 on the held-out days is at least as precise as the forest's
   * alone, else the score is the calibrated forest alone. `false`: never fuse.
   */
  fusion?: boolean;
  /**
   * Negative sampling of the training set (pipeline/modeling/sampling.ts); default 'auto' rates.
   * `false`: every example (the full training set).
   */
  sampling?: SamplingOptions | false;
  /** Worker threads growing the trees (default: every core; 1 still runs off the event loop). */
  threads?: number;
  onProgress?: (message: string) => void;
  /** After each tree grown: for a progress bar with an ETA. */
  onTree?: (done: number, total: number) => void;
}

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

export interface TrainingSet {
  /** Ordered by day, then uscc; `rows.weight` is set when negatives were sampled. */
  rows: FeatureRows;
  labels: Uint8Array;
  days: string[];
  /** The rates and counts of the sampling (absent with `sampling: false`). */
  sampling?: SamplingRecord;
}

/** First day with any ad or complaint: the start of the data. */
export async function firstDataDay(db: Db): Promise<string | null> {
  const r = await db.one<{ d: string | null }>(
    `SELECT least((SELECT min(seen_day) FROM ads), (SELECT min(received_day) FROM complaints))::VARCHAR AS d`,
  );
  return r?.d ?? null;
}

/** The sampled as_of days: every `step` days back from the day before `until`. */
export function sampleDays(first: string, until: string, step: number, warmup: number): string[] {
  const days: string[] = [];
  const start = addDays(first, warmup);
  for (let d = addDays(until, -1); d >= start; d = addDays(d, -step)) days.push(d);
  return days.reverse();
}

export async function buildTrainingSet(db: Db, o: TrainingOptions): Promise<TrainingSet> {
  const horizon = o.horizonDays ?? 90;
  const first = await firstDataDay(db);
  if (first === null)
    throw new AppError('model_failed', '[train] there is no ad or complaint data yet');
  const days = sampleDays(first, o.until, o.stepDays ?? 7, o.warmupDays ?? 30);
  if (days.length < 4) {
    throw new AppError(
      'model_failed',
      `[train] too little history before ${o.until}: ${days.length} sample days`,
    );
  }
  await ensureFeatures(db, days, (d, i, n) => o.onProgress?.(`features ${d} (${i + 1}/${n})`));
  const confirmed = await confirmedOn(db, o.until);
  // an enterprise already confirmed on the day is no example
  const rows = await loadFeatureRows(db, days, {
    keep: (uscc, day) => labelOf(confirmed, uscc, day, horizon) !== null,
    ...(o.sampling === false ? {} : { sample: { ...o.sampling, until: o.until } }),
  });
  const labels = new Uint8Array(rows.uscc.length);
  for (let i = 0; i < labels.length; i++)
    labels[i] = labelOf(confirmed, rows.uscc[i]!, rows.day[i]!, horizon)!;
  if (rows.sampling) {
    const r = rows.sampling;
    o.onProgress?.(
      `training set: ${labels.length} examples from ${r.candidates.confirmed + r.candidates.hard + r.candidates.easy} candidate rows (every row of confirmed enterprises; negatives with ads or complaints kept at ${r.hardRate}, the others at ${r.easyRate}, weighted back)`,
    );
  }
  return { rows, labels, days, ...(rows.sampling ? { sampling: rows.sampling } : {}) };
}

/** Rows [from, to) of a matrix, without a copy. */
function rowRange(m: Matrix, from: number, to: number): Matrix {
  return { ...m, rows: to - from, data: m.data.subarray(from * m.cols, to * m.cols) };
}

export interface TrainedModel {
  bundle: ModelBundle;
  set: TrainingSet;
  calibrationDays: string[];
  positives: number;
  /** Absent when the fusion was not allowed or there were too few held-out positives. */
  fusionChoice?: FusionChoice;
}

/** Trains the forest on the earlier days and calibrates it on the latest quarter of days. */
export async function trainModelAt(db: Db, o: TrainingOptions): Promise<TrainedModel> {
  return fitModel(await buildTrainingSet(db, o), o);
}

/**
 * Fits the model on a training set (no database): the forest on worker threads, then the
 * calibration and the fusion choice on the held-out days, every step weighted when the set is
 * sampled.
 */
export async function fitModel(
  set: TrainingSet,
  o: Omit<TrainingOptions, 'until' | 'stepDays' | 'warmupDays' | 'sampling'> & { until: string },
): Promise<TrainedModel> {
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
    set,
    calibrationDays: set.days.filter((d) => d >= cut),
    positives,
    ...(fusionChoice ? { fusionChoice } : {}),
  };
}
