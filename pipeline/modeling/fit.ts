/**
 * The CPU part of training, with no database: from a training set, the forest on the earlier
 * days, the fusion with the rule index and the calibrator on the latest quarter of days (held out
 * in time). Pure and deterministic (seeded), so it runs the same on the calling thread or on a
 * worker thread (model-thread.ts).
 */
import {
  chooseFusion,
  fitCalibrator,
  fitRankFusion,
  fuseAll,
  HistogramForest,
  identityCalibrator,
  ruleIndex,
  selectRows,
  withRuleIndex,
  type FusionChoice,
  type HistogramForestOptions,
} from '../../models/index.ts';
import type { ModelBundle } from './bundle.ts';
import { withDerived } from './derived.ts';
import type { FeatureRows } from './feature-matrix.ts';

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

export interface FitOptions {
  horizonDays?: number;
  forest?: HistogramForestOptions;
  /** Give the forest the rule index as one more feature (default true). */
  stackRuleIndex?: boolean;
  /** Add the derived ratio indicators (pipeline/modeling/derived.ts; default true). */
  derived?: boolean;
  /** Allow the rank fusion of the forest and the rule index (default true). */
  fusion?: boolean;
  onProgress?: (message: string) => void;
}

export interface FittedBundle {
  bundle: ModelBundle;
  /** The held-out days the calibrator (and the fusion's choice) were fitted on. */
  calibrationDays: string[];
  /** Absent when the fusion was not allowed or there were too few held-out positives. */
  fusionChoice?: FusionChoice;
}

/** Trains the forest on the earlier days and calibrates it on the latest quarter of days. */
export function fitBundle(set: TrainingSet, o: FitOptions): FittedBundle {
  const horizon = o.horizonDays ?? 90;
  const cut = set.days[Math.floor(set.days.length * 0.75)]!;
  const fitIdx: number[] = [];
  const calIdx: number[] = [];
  for (let i = 0; i < set.labels.length; i++) (set.rows.day[i]! < cut ? fitIdx : calIdx).push(i);
  const fitY = fitIdx.map((i) => set.labels[i]!);
  const options = { ...DEFAULT_FOREST, ...o.forest };
  o.onProgress?.(
    `training ${options.nEstimators} trees on ${fitIdx.length} examples (${fitY.reduce((s, y) => s + y, 0)} positive)`,
  );
  const stacked = o.stackRuleIndex === false ? set.rows.matrix : withRuleIndex(set.rows.matrix);
  const input = o.derived === false ? stacked : withDerived(stacked);
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
  };
  return {
    bundle,
    calibrationDays: set.days.filter((d) => d >= cut),
    ...(fusionChoice ? { fusionChoice } : {}),
  };
}
