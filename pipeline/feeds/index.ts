export {
  ingest,
  formatCounts,
  type IngestOptions,
  type IngestResult,
  type BatchResult,
  type IngestCounts,
} from './ingest.ts';
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
