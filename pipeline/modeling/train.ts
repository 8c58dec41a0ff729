/**
 * Training: point-in-time examples (enterprise, as_of) on days sampled every `step` days, labels
 * from outcomes decided on or before `until`, negatives sampled and weighted back
 * (sampling.ts), a histogram forest, and an isotonic calibrator fitted on the most recent quarter
 * of the sampled days (held out in time; fit-model.ts).
 */
import type { Db } from '../db/index.ts';
import {
  meanPrecisionAtKByGroup,
  type HistogramForestOptions,
  type Matrix,
} from '../../models/index.ts';
import { predictParallel, type ModelBundle } from './bundle.ts';
import { addDays } from './days.ts';
import { ensureFeatures } from './ensure-features.ts';
import { loadFeatureRows, type FeatureRows } from './feature-matrix.ts';
import { confirmedOn, labelOf } from './outcomes.ts';
import { TEXT_SCORE_COLUMN, textScores, trainAdTextScorer, withColumn } from './text-score.ts';
import type { SamplingOptions, SamplingRecord } from './sampling.ts';
import { AppError } from '../errors.ts';
import { fitModelInWorker, type FittedModel } from './fit-model.ts';

export { DEFAULT_FOREST } from './fit-model.ts';

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
   * Allow the learned ad-text score (text-score.ts; default true): a forest with it and one
   * without are trained, and the text score is kept when the held-out days' daily top 50 is
   * strictly more precise with it. `false`: never (and the text model is not trained).
   */
  textScore?: boolean;
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
  const r = rows.sampling;
  const candidates = r ? r.candidates.confirmed + r.candidates.hard + r.candidates.easy : 0;
  o.onProgress?.(
    r && (r.easyRate < 1 || r.hardRate < 1)
      ? `training set: ${labels.length} examples sampled from ${candidates} candidate rows (every row of confirmed enterprises; negatives with ads or complaints kept at ${r.hardRate}, the others at ${r.easyRate}, weighted back)`
      : `training set: ${labels.length} examples (every candidate row${r ? `: under the sampling target` : ''})`,
  );
  return { rows, labels, days, ...(rows.sampling ? { sampling: rows.sampling } : {}) };
}

export interface TrainedModel extends FittedModel {
  set: TrainingSet;
  /** Absent when the text score was not allowed or too few positive ads to learn it from. */
  textChoice?: TextChoice;
  /** The model without the text score, when one with it was trained (for with / without tables). */
  withoutText?: ModelBundle;
}

/** The held-out comparison that decides whether the classifier uses the learned text score. */
export interface TextChoice {
  k: number;
  withoutPrecisionAtK: number;
  withPrecisionAtK: number;
  /** true when the text score made the held-out days' top k strictly more precise. */
  kept: boolean;
  ads: number;
  positiveAds: number;
}

/**
 * Trains the forest on the earlier days and calibrates it on the latest quarter of days. The
 * training set is read here (DuckDB reads are asynchronous); everything that computes runs on
 * worker threads (fit-model.ts), so the calling thread's event loop stays free. With the learned
 * text score allowed (text-score.ts), a second model is fitted with it, and the text score is kept
 * only when the held-out days' daily top 50 of the forest is strictly more precise with it.
 */
export async function trainModelAt(db: Db, o: TrainingOptions): Promise<TrainedModel> {
  const set = await buildTrainingSet(db, o);
  const plain = await fitModelInWorker(set, o);
  if (o.textScore === false) return { ...plain, set };
  o.onProgress?.('training the ad-text model (4 cross-fitted folds)');
  const scorer = await trainAdTextScorer(db, addDays(set.days[0]!, -89), o.until);
  if (!scorer) return { ...plain, set };
  const col = await textScores(db, scorer, set.rows.uscc, set.rows.day);
  const textSet: TrainingSet = {
    ...set,
    rows: { ...set.rows, matrix: withColumn(set.rows.matrix, TEXT_SCORE_COLUMN, col) },
  };
  const fitted = await fitModelInWorker(textSet, {
    ...o,
    ...(o.onProgress
      ? {
          onProgress: (m: string) =>
            o.onProgress!(m.startsWith('training ') ? `${m} with the ad-text score` : m),
        }
      : {}),
  });
  const withText: FittedModel = { ...fitted, bundle: { ...fitted.bundle, text: scorer } };
  // the forests' own scores on the held-out days (the latest quarter, as fit-model.ts splits)
  const cut = set.days[Math.floor(set.days.length * 0.75)]!;
  const cal: number[] = [];
  for (let i = 0; i < set.labels.length; i++) if (set.rows.day[i]! >= cut) cal.push(i);
  const from = cal[0] ?? set.labels.length;
  const heldOut = (m: Matrix) => rowRange(m, from, set.labels.length);
  const calY = set.labels.subarray(from);
  const calDays = set.rows.day.slice(from);
  const calW = set.rows.weight?.subarray(from);
  const k = 50;
  const withoutP = meanPrecisionAtKByGroup(
    calY,
    (await predictParallel(plain.bundle, heldOut(set.rows.matrix))).forest,
    calDays,
    k,
    calW,
  );
  const withP = meanPrecisionAtKByGroup(
    calY,
    (await predictParallel(withText.bundle, heldOut(textSet.rows.matrix))).forest,
    calDays,
    k,
    calW,
  );
  const textChoice: TextChoice = {
    k,
    withoutPrecisionAtK: withoutP,
    withPrecisionAtK: withP,
    kept: withP > withoutP,
    ads: scorer.trainedOn.ads,
    positiveAds: scorer.trainedOn.positives,
  };
  o.onProgress?.(
    `ad-text score ${textChoice.kept ? 'kept' : 'dropped'}: held-out precision@50 with it ${withP.toFixed(3)}, without ${withoutP.toFixed(3)} (${scorer.trainedOn.ads} ads, ${scorer.trainedOn.positives} positive)`,
  );
  const chosen = textChoice.kept ? withText : plain;
  return { ...chosen, set, textChoice, withoutText: plain.bundle };
}

/** Rows [from, to) of a matrix, without a copy (rows are ordered by day). */
function rowRange(m: Matrix, from: number, to: number): Matrix {
  return { ...m, rows: to - from, data: m.data.subarray(from * m.cols, to * m.cols) };
}
