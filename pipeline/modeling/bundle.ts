/**
 * A trained model as stored in the registry: the forest artefact, its calibrator and the facts
 * needed to use it (feature order, horizon). Versioned JSON.
 */
import {
  calibratorFromJSON,
  loadArtifact,
  ModelError,
  alignColumns,
  RULE_INDEX_COLUMN,
  withRuleIndex,
  type Calibrator,
  type CalibratorJson,
  type Classifier,
  type Matrix,
  type ModelArtifact,
} from '../../models/index.ts';

export const BUNDLE_FORMAT = 'dafei-model';
export const BUNDLE_VERSION = 1;

export interface ModelBundle {
  classifier: Classifier;
  calibrator: Calibrator;
  features: readonly string[];
  horizonDays: number;
}

interface BundleJson {
  format: typeof BUNDLE_FORMAT;
  version: typeof BUNDLE_VERSION;
  features: string[];
  horizon_days: number;
  classifier: ModelArtifact;
  calibrator: CalibratorJson;
}

export function bundleToJson(b: ModelBundle): string {
  const json: BundleJson = {
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    features: [...b.features],
    horizon_days: b.horizonDays,
    classifier: b.classifier.toArtifact(),
    calibrator: b.calibrator.toJSON(),
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
  if (raw.format !== BUNDLE_FORMAT || raw.version !== BUNDLE_VERSION) {
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
  };
}

export interface Prediction {
  /** Calibrated probabilities: the `score` of the list. */
  score: Float64Array;
  /** The forest's own probabilities: the same order without the calibrator's ties, for ranking. */
  raw: Float64Array;
}

/** The model's input: the feature matrix, plus the rule index when the model was trained on it. */
export function modelInput(b: ModelBundle, x: Matrix): Matrix {
  const stacked = b.classifier.columns.includes(RULE_INDEX_COLUMN) ? withRuleIndex(x) : x;
  return alignColumns(stacked, b.classifier.columns);
}

/** Scores every row (columns aligned by name). */
export function predict(b: ModelBundle, x: Matrix): Prediction {
  const raw = b.classifier.predictProba(modelInput(b, x));
  return { score: b.calibrator.applyAll(raw), raw };
}
