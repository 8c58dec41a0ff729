/**
 * models/ — pure ML: arrays in, models and scores out (no DuckDB, HTTP or cron).
 */
export { ModelError } from './errors.ts';
export type { ModelErrorCode } from './errors.ts';
export {
  alignColumns,
  assertMatrix,
  columnValues,
  createMatrix,
  matrixFromRows,
  selectRows,
} from './matrix.ts';
export type { Matrix } from './matrix.ts';
export { createRng, sfc32 } from './random.ts';
export type { Rng } from './random.ts';
export type { Classifier, Contributions } from './classifier.ts';
export { DEFAULT_FOREST_OPTIONS, HistogramForest, resolveMaxFeatures } from './forest.ts';
export type { ForestTrees, HistogramForestOptions, ResolvedForestOptions } from './forest.ts';
export { MISSING_VALUE, ReferenceForest } from './reference-forest.ts';
export type { ReferenceForestOptions } from './reference-forest.ts';
export { applyBins, binOf, fitBins } from './binning.ts';
export type { BinEdges, BinnedMatrix, BinOptions } from './binning.ts';
export {
  ARTIFACT_VERSION,
  loadArtifact,
  parseArtifact,
  saveArtifact,
  saveArtifactBuffer,
  validateArtifact,
} from './artifact.ts';
export type {
  HistogramForestArtifact,
  ModelArtifact,
  ReferenceForestArtifact,
} from './artifact.ts';
export type { EncodedArray } from './typed-codec.ts';
export {
  calibratorFromJSON,
  fitCalibrator,
  fitIsotonic,
  fitPlatt,
  identityCalibrator,
} from './calibration.ts';
export type { Calibrator, CalibratorJson } from './calibration.ts';
export {
  createLevels,
  DEFAULT_LEVEL_THRESHOLDS,
  LEVEL_LABELS_ZH,
  levelCounts,
  levelFor,
  validateLevelThresholds,
} from './levels.ts';
export type { Level, LevelThresholds } from './levels.ts';
export {
  averagePrecision,
  bestF1Threshold,
  brierScore,
  DEFAULT_LEAD_TIME_BUCKETS,
  f1Score,
  foldIndices,
  leadTimeSummary,
  logLoss,
  metricsAtThreshold,
  prAuc,
  precision,
  precisionAtK,
  meanPrecisionAtKByGroup,
  weightedPrecisionAtK,
  rankByScore,
  recall,
  recallAtK,
  rocAuc,
  stratifiedKFold,
} from './metrics.ts';
export type { LeadTimeBucket, LeadTimeSummary, ThresholdMetrics } from './metrics.ts';
export {
  ruleIndex,
  ruleContributions,
  withRuleIndex,
  RULE_INDEX_COLUMN,
  RULE_INDICATORS,
  RULE_FEATURES,
} from './rule-index.ts';
export { topReasons, explainRow, defaultFormat } from './explain.ts';
export type { FeatureInfo, Reason, ReasonOptions } from './explain.ts';
export { crossValidate } from './byo.ts';
export type { CrossValidationOptions, CrossValidationResult, FoldResult } from './byo.ts';
export { csvField, featureTableFromCsv, parseCsv, parseCsvObjects, toCsv } from './csv.ts';
export type { FeatureTable, FeatureTableOptions } from './csv.ts';
export { predictProbaParallel } from './parallel-score.ts';
export type { ParallelScoreOptions } from './parallel-score.ts';
export { fitForestParallel } from './forest-parallel.ts';
export type { ParallelFitOptions } from './forest-parallel.ts';
export { runTsWorker } from './ts-worker.ts';
export {
  chooseFusion,
  fitRankFusion,
  fitTailMap,
  fuseAll,
  fuseOne,
  FUSION_LAMBDA,
  rankFusionFromJSON,
  tailFraction,
} from './ensemble.ts';
export type { FusedParts, FusionChoice, RankFusion, TailMap } from './ensemble.ts';
export { pairedBootstrap } from './bootstrap.ts';
export type { BootstrapInterval, PairedBootstrapResult, PairedUnit } from './bootstrap.ts';
