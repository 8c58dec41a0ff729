/** Simulator knobs. */
import type { TraitOptions } from './traits.ts';

export interface SimOptions {
  enterprises: number;
  days: number;
  seed: number;
  out: string;
  /** First simulated day, YYYY-MM-DD. */
  start: string;
  /** Share of enterprises that are fundraising schemes. */
  schemeRate: number;
  /** Share of rows in every feed that are deliberately malformed. */
  malformedRate: number;
  /** Share of rows delivered twice, byte-identical (not malformed: the ingest dedupes them). */
  duplicateRate: number;
  /** Share of ads captured again (same text, new ad_id and seen_at). */
  recaptureRate: number;
  gzip: boolean;
  quiet: boolean;
  /**
   * Quiet-scheme traits and loud decoys (sim/traits.ts). Absent or all zero: the city is byte for
   * byte the one the simulator wrote before traits existed.
   */
  traits?: TraitOptions;
}

export const DEFAULTS: Omit<SimOptions, 'out'> = {
  enterprises: 5000,
  days: 180,
  seed: 20260101,
  start: '2026-01-01',
  schemeRate: 0.006,
  malformedRate: 0.002,
  duplicateRate: 0.002,
  recaptureRate: 0.06,
  gzip: false,
  quiet: false,
};

/** Derived, read-only context every generator sees. */
export interface SimContext {
  opts: SimOptions;
  seed: number;
  /** Day numbers (days since 1970-01-01) of the first and last simulated day. */
  start: number;
  end: number;
  n: number;
  /** Size of the pool of people who sit on many companies, and of scheme operators. */
  personPool: number;
  operatorPool: number;
}
