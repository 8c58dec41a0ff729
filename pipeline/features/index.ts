/**
 * pipeline/features — what other layers use: the feature registry and the benchmark rates.
 * (The text model is not exported here: importing it loads `natural`.)
 */
export { FEATURE_NAMES, featureByName } from './registry.ts';
export { benchmarkOn, PRIVATE_LENDING_CAP_MULTIPLE } from './rates.ts';
