/**
 * Training: point-in-time examples (enterprise, as_of) on days sampled every `step` days, labels
 * from outcomes decided on or before `until`, a histogram forest, and an isotonic calibrator
 * fitted on the most recent quarter of the sampled days (held out in time).
 */
import type { Db } from '../db/index.ts';
import {
  fitCalibrator,
  fitRankFusion,
  fuseAll,
  HistogramForest,
  ruleIndex,
  identityCalibrator,
  chooseFusion,
  meanPrecisionAtKByGroup,
  selectRows,
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
import {
  TEXT_SCORE_COLUMN,
  textScores,
  trainAdTextScorer,
  withColumn,
  type AdTextScorer,
} from './text-score.ts';
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
  onProgress?: (message: string) => void;
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
  rows: FeatureRows;
  labels: Uint8Array;
  days: string[];
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
  const all = await loadFeatureRows(db, days);
  const confirmed = await confirmedOn(db, o.until);
  const keep: number[] = [];
  const labels: number[] = [];
  for (let i = 0; i < all.matrix.rows; i++) {
    const y = labelOf(confirmed, all.uscc[i]!, all.day[i]!, horizon);
    if (y === null) continue;
    keep.push(i);
    labels.push(y);
  }
  const rows: FeatureRows = {
    matrix: selectRows(all.matrix, keep),
    uscc: keep.map((i) => all.uscc[i]!),
    day: keep.map((i) => all.day[i]!),
  };
  return { rows, labels: Uint8Array.from(labels), days };
}

export interface TrainedModel {
  bundle: ModelBundle;
  set: TrainingSet;
  calibrationDays: string[];
  positives: number;
  /** Absent when the fusion was not allowed or there were too few held-out positives. */
  fusionChoice?: FusionChoice;
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
 * Trains the forest on the earlier days and calibrates it on the latest quarter of days; with the
 * learned text score allowed (text-score.ts), trains a forest with it and one without, and keeps
 * the text score only when the held-out days' daily top 50 is strictly more precise with it.
 */
export async function trainModelAt(db: Db, o: TrainingOptions): Promise<TrainedModel> {
  const horizon = o.horizonDays ?? 90;
  const set = await buildTrainingSet(db, o);
  const positives = set.labels.reduce((s, y) => s + y, 0);
  if (positives < 3) {
    throw new AppError(
      'model_failed',
      `[train] only ${positives} positive examples before ${o.until}: record more confirmed outcomes first`,
    );
  }
  const cut = set.days[Math.floor(set.days.length * 0.75)]!;
  const fitIdx: number[] = [];
  const calIdx: number[] = [];
  for (let i = 0; i < set.labels.length; i++) (set.rows.day[i]! < cut ? fitIdx : calIdx).push(i);
  const stacked = o.stackRuleIndex === false ? set.rows.matrix : withRuleIndex(set.rows.matrix);
  const input = o.derived === false ? stacked : withDerived(stacked);
  const split: Split = { fitIdx, calIdx, horizon };
  const plain = fitVariant(set, input, split, o, undefined);
  let chosen = plain;
  let textChoice: TextChoice | undefined;
  if (o.textScore !== false) {
    const confirmed = await confirmedOn(db, o.until);
    o.onProgress?.('training the ad-text model (4 cross-fitted folds)');
    const scorer = await trainAdTextScorer(db, addDays(set.days[0]!, -89), o.until, confirmed);
    if (scorer) {
      const col = await textScores(db, scorer, set.rows.uscc, set.rows.day);
      const withText = fitVariant(set, withColumn(input, TEXT_SCORE_COLUMN, col), split, o, scorer);
      const calY = calIdx.map((i) => set.labels[i]!);
      const calDays = calIdx.map((i) => set.rows.day[i]!);
      const k = 50;
      const withoutP = meanPrecisionAtKByGroup(calY, plain.forestRaw, calDays, k);
      const withP = meanPrecisionAtKByGroup(calY, withText.forestRaw, calDays, k);
      textChoice = {
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
      if (textChoice.kept) chosen = withText;
    }
  }
  return {
    bundle: chosen.bundle,
    set,
    calibrationDays: set.days.filter((d) => d >= cut),
    positives,
    ...(chosen.fusionChoice ? { fusionChoice: chosen.fusionChoice } : {}),
    ...(textChoice ? { textChoice } : {}),
    ...(textChoice ? { withoutText: plain.bundle } : {}),
  };
}

interface Split {
  fitIdx: number[];
  calIdx: number[];
  horizon: number;
}

interface Variant {
  bundle: ModelBundle;
  /** The forest's own probabilities on the held-out rows. */
  forestRaw: Float64Array;
  fusionChoice?: FusionChoice;
}

/** One forest on the fit rows, its fusion choice and calibrator from the held-out rows. */
function fitVariant(
  set: TrainingSet,
  input: Matrix,
  { fitIdx, calIdx, horizon }: Split,
  o: TrainingOptions,
  text: AdTextScorer | undefined,
): Variant {
  const fitY = fitIdx.map((i) => set.labels[i]!);
  const options = { ...DEFAULT_FOREST, ...o.forest };
  o.onProgress?.(
    `training ${options.nEstimators} trees on ${fitIdx.length} examples (${fitY.reduce((s, y) => s + y, 0)} positive)${text ? ' with the ad-text score' : ''}`,
  );
  const forest = new HistogramForest(options).fit(selectRows(input, fitIdx), fitY);
  const calY = calIdx.map((i) => set.labels[i]!);
  const calPositives = calY.reduce((s, y) => s + y, 0);
  const forestRaw = forest.predictProba(selectRows(input, calIdx));
  // The fusion's tail maps come from the held-out days too (the forest's scores there are
  // out-of-sample); with fewer than 2 held-out positives there is nothing to calibrate it on.
  const calRules = ruleIndex(selectRows(set.rows.matrix, calIdx));
  let fusion =
    o.fusion !== false && calPositives >= 2 ? fitRankFusion(forestRaw, calRules) : undefined;
  let fusionChoice: FusionChoice | undefined;
  if (fusion) {
    // the tail maps use no labels; the choice uses the held-out days' labels (models/ensemble.ts)
    fusionChoice = chooseFusion(
      fusion,
      forestRaw,
      calRules,
      calY,
      calIdx.map((i) => set.rows.day[i]!),
      50,
    );
    if (!fusionChoice.fused) fusion = undefined;
    o.onProgress?.(
      `fusion with the rule index ${fusionChoice.fused ? 'kept' : 'dropped'}: held-out precision@50 fused ${fusionChoice.fusedPrecisionAtK.toFixed(3)}, forest alone ${fusionChoice.forestPrecisionAtK.toFixed(3)}`,
    );
  }
  const raw = fusion ? fuseAll(fusion, forestRaw, calRules) : forestRaw;
  // Isotonic needs many positives to be more than a few flat steps; Platt is smooth with few.
  const calibrator =
    calPositives < 2
      ? identityCalibrator()
      : fitCalibrator(calPositives >= 50 ? 'isotonic' : 'platt', raw, calY);
  const bundle: ModelBundle = {
    classifier: forest,
    calibrator,
    features: forest.columns,
    horizonDays: horizon,
    ...(fusion ? { fusion } : {}),
    ...(text ? { text } : {}),
  };
  return { bundle, forestRaw, ...(fusionChoice ? { fusionChoice } : {}) };
}
