/**
 * A trained model as stored in the registry: the forest artefact, its calibrator and the facts
 * needed to use it (feature order, horizon), and — from v2 — the rank fusion with the rule index
 * that production scores with (models/ensemble.ts). Versioned JSON; v1 artefacts (no fusion) load.
 */
import {
  calibratorFromJSON,
  loadArtifact,
  ModelError,
  alignColumns,
  fuseAll,
  HistogramForest,
  predictProbaParallel,
  rankFusionFromJSON,
  ruleIndex,
  RULE_INDEX_COLUMN,
  type RankFusion,
  withRuleIndex,
  type Calibrator,
  type CalibratorJson,
  type Classifier,
  type Matrix,
  type ModelArtifact,
  type ParallelScoreOptions,
} from '../../models/index.ts';

import { DERIVED_NAMES, withDerived } from './derived.ts';
import {
  adTextScorerFromJson,
  adTextScorerToJson,
  TEXT_SCORE_COLUMN,
  type AdTextScorer,
  type AdTextScorerJson,
} from './text-score.ts';

export const BUNDLE_FORMAT = 'dafei-model';
/** v3 adds the learned ad-text score (text-score.ts); v1 and v2 artefacts load. */
export const BUNDLE_VERSION = 3;

export interface ModelBundle {
  classifier: Classifier;
  calibrator: Calibrator;
  features: readonly string[];
  horizonDays: number;
  /**
   * When present, the score is the calibrated rank fusion of the classifier and the rule index
   * (the calibrator maps the fused score); when absent, the calibrated classifier probability.
   */
  fusion?: RankFusion;
  /**
   * When present, the classifier reads the learned ad-text score (column TEXT_SCORE_COLUMN), which
   * callers add to the feature matrix with text-score.ts `withTextScore` before `predict`.
   */
  text?: AdTextScorer;
}

interface BundleJson {
  format: typeof BUNDLE_FORMAT;
  version: 1 | 2 | 3;
  features: string[];
  horizon_days: number;
  classifier: ModelArtifact;
  calibrator: CalibratorJson;
  fusion?: RankFusion;
  text?: AdTextScorerJson;
}

export function bundleToJson(b: ModelBundle): string {
  const json: BundleJson = {
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    features: [...b.features],
    horizon_days: b.horizonDays,
    classifier: b.classifier.toArtifact(),
    calibrator: b.calibrator.toJSON(),
    ...(b.fusion ? { fusion: b.fusion } : {}),
    ...(b.text ? { text: adTextScorerToJson(b.text) } : {}),
  };
  return JSON.stringify(json);
}

export function bundleFromJson(text: string): ModelBundle {
  let raw: Partial<BundleJson>;
  try {
    raw = JSON.parse(text) as Partial<BundleJson>;
  } catch (cause) {
    throw new ModelError('artifact_invalid', '[model] artefact is not valid JSON', { cause });
  }
  if (
    raw.format !== BUNDLE_FORMAT ||
    (raw.version !== 1 && raw.version !== 2 && raw.version !== BUNDLE_VERSION)
  ) {
    throw new ModelError(
      'artifact_invalid',
      `[model] expected ${BUNDLE_FORMAT} v${BUNDLE_VERSION}, got ${String(raw.format)} v${String(raw.version)}`,
    );
  }
  return {
    classifier: loadArtifact(raw.classifier as ModelArtifact),
    calibrator: calibratorFromJSON(raw.calibrator),
    features: raw.features ?? [],
    horizonDays: raw.horizon_days ?? 90,
    ...(raw.fusion ? { fusion: rankFusionFromJSON(raw.fusion) } : {}),
    ...(raw.text ? { text: adTextScorerFromJson(raw.text) } : {}),
  };
}

export interface Prediction {
  /** Calibrated probabilities: the `score` of the list. */
  score: Float64Array;
  /**
   * The ranking key before calibration: the fused score (or, with no fusion, the forest's own
   * probability) — the same order as `score` without the calibrator's ties.
   */
  raw: Float64Array;
  /** The forest's own probabilities. */
  forest: Float64Array;
  /** The rule index of every row (computed once here when the model fuses it). */
  rules?: Float64Array;
}

/** The model's input: the feature matrix, plus the rule index when the model was trained on it. */
export function modelInput(b: ModelBundle, x: Matrix): Matrix {
  const stacked = b.classifier.columns.includes(RULE_INDEX_COLUMN) ? withRuleIndex(x) : x;
  const derived = b.classifier.columns.includes(DERIVED_NAMES[0]!) ? withDerived(stacked) : stacked;
  return alignColumns(derived, b.classifier.columns);
}

/** A bundle with a text score needs its column in `x` (text-score.ts `withTextScore`). */
function checkInput(b: ModelBundle, x: Matrix): void {
  if (b.text && !x.columns.includes(TEXT_SCORE_COLUMN))
    throw new ModelError(
      'input_invalid',
      `[model] this model reads the ad-text score: add the ${TEXT_SCORE_COLUMN} column (withTextScore) before predict`,
    );
}

/** Scores every row (columns aligned by name), on this thread. */
export function predict(b: ModelBundle, x: Matrix): Prediction {
  checkInput(b, x);
  return fromForest(b, x, b.classifier.predictProba(modelInput(b, x)));
}

/**
 * Scores every row like `predict`, the forest's trees walked on worker threads (the same
 * numbers): how production scores a day (run-day.ts) and the evaluation scores its test days.
 */
export async function predictParallel(
  b: ModelBundle,
  x: Matrix,
  options: ParallelScoreOptions = {},
): Promise<Prediction> {
  checkInput(b, x);
  const input = modelInput(b, x);
  const forest =
    b.classifier instanceof HistogramForest
      ? await predictProbaParallel(b.classifier, input, options)
      : b.classifier.predictProba(input);
  return fromForest(b, x, forest);
}

function fromForest(b: ModelBundle, x: Matrix, forest: Float64Array): Prediction {
  if (!b.fusion) return { score: b.calibrator.applyAll(forest), raw: forest, forest };
  const rules = ruleIndex(x);
  const raw = fuseAll(b.fusion, forest, rules);
  return { score: b.calibrator.applyAll(raw), raw, forest, rules };
}
