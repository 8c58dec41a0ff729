/**
 * Training: point-in-time examples (enterprise, as_of) on days sampled every `step` days, labels
 * from outcomes decided on or before `until`, a histogram forest, and an isotonic calibrator
 * fitted on the most recent quarter of the sampled days (held out in time).
 */
import type { Db } from '../db/index.ts';
import { selectRows, type FusionChoice, type HistogramForestOptions } from '../../models/index.ts';
import type { ModelBundle } from './bundle.ts';
import { addDays } from './days.ts';
import { DEFAULT_FOREST, fitBundle, type TrainingSet } from './fit.ts';
import { fitBundleInWorker } from './model-thread.ts';
import { ensureFeatures } from './ensure-features.ts';
import { loadFeatureRows, type FeatureRows } from './feature-matrix.ts';
import { confirmedOn, labelOf } from './outcomes.ts';
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
  onProgress?: (message: string) => void;
  /**
   * Fit on a worker thread (pipeline/modeling/model-thread.ts), so that the calling thread — the
   * API of `dafei serve` — keeps answering while the forest grows (default false).
   */
  worker?: boolean;
}

export { DEFAULT_FOREST };

export type { TrainingSet };

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
}

/** Builds the training set, then fits the bundle (pipeline/modeling/fit.ts) here or on a worker thread. */
export async function trainModelAt(db: Db, o: TrainingOptions): Promise<TrainedModel> {
  const set = await buildTrainingSet(db, o);
  const positives = set.labels.reduce((s, y) => s + y, 0);
  if (positives < 3) {
    throw new AppError(
      'model_failed',
      `[train] only ${positives} positive examples before ${o.until}: record more confirmed outcomes first`,
    );
  }
  const fitted = o.worker ? await fitBundleInWorker(set, o) : fitBundle(set, o);
  return {
    bundle: fitted.bundle,
    set,
    calibrationDays: fitted.calibrationDays,
    positives,
    ...(fitted.fusionChoice ? { fusionChoice: fitted.fusionChoice } : {}),
  };
}
