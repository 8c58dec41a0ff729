export {
  ingest,
  formatCounts,
  DEFAULT_LIMITS,
  defaultFilesDir,
  type IngestOptions,
  type IngestResult,
  type IngestLimits,
  type BatchResult,
  type IngestCounts,
} from './ingest.ts';
export { DEFAULT_HOLD, type HeldBatch, type HoldPolicy } from './held-store.ts';
export { listHeld, releaseHeld, discardHeld, type HeldRow, type DecideOptions } from './held.ts';
export { REJECTED_DIR, type RejectedFile } from './reject.ts';
export {
  FEEDS,
  FEED_NAMES,
  isFeedName,
  dataColumns,
  type FeedName,
  type FeedSpec,
} from './specs.ts';
export { isValidUscc, usccProblem, normaliseUscc, withUsccCheckChar } from './uscc.ts';
export {
  checkMapping,
  inferMapping,
  isTemplateId,
  listTemplates,
  loadTemplate,
  parseMapping,
  peekRows,
  CheckReport,
  Inference,
  MappingSchema,
  TemplateInfo,
  type Mapping,
} from './mapping/index.ts';
