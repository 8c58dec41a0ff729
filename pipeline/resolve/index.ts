export { resolve, type ResolveOptions, type ResolveResult, type LinkCounts } from './resolve.ts';
export {
  reviewLink,
  ResolveError,
  type ReviewLinkOptions,
  type RecordKind,
  type Verdict,
} from './review.ts';
export { REGION_PREFIXES, FORM_SUFFIXES } from './normalize.ts';
export { WEIGHTS, LINK_MIN, MARGIN, AMBIGUOUS_MIN } from './match-sql.ts';
