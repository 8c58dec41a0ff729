/**
 * Training sets that scale: every example that can be positive is kept, negatives are sampled.
 *
 * Each candidate row (enterprise, as_of) falls in one stratum:
 * - `confirmed`: the enterprise has a confirmed outcome decided by the training cut-off. All its
 *   rows are kept (its positives, and its negatives from before the horizon).
 * - `hard`: any other enterprise with ads or complaints in the 90 days before as_of — the decoys
 *   that look like schemes and that the model must learn to tell apart. Kept at `hardRate`.
 * - `easy`: the rest (no ad, no complaint). Kept at `easyRate`.
 *
 * Each row is kept or not by a hash of (uscc, as_of, seed), so the sample is the same on every
 * run, and independently per day. Strata are counted per day, and a kept row weighs
 * (rows of its day and stratum) / (kept rows of its day and stratum): every day's weights add up
 * to that day's rows, stratum by stratum (post-stratification), so class weights, leaf values,
 * calibration and the held-out comparisons see the full population's proportions.
 */

/** SQL predicate on a `feature_values` row: activity in the feeds (a hard negative). */
export const HARD_NEGATIVE_SQL = `(coalesce(f.ads_90d, 0) > 0 OR coalesce(f.complaints_90d, 0) > 0)`;

export const STRATA = ['confirmed', 'hard', 'easy'] as const;
export type Stratum = (typeof STRATA)[number];

export interface SamplingOptions {
  /**
   * Share of easy negatives kept, in (0, 1], or 'auto': chosen so the training set holds about
   * `targetExamples` rows (1 when the city is small enough). Default 'auto'.
   */
  negativeRate?: number | 'auto';
  /** Hard negatives are kept at this multiple of the easy rate (at most 1). Default 4. */
  hardFactor?: number;
  /** The size 'auto' aims at. Default 250,000. */
  targetExamples?: number;
  /** Seed of the row hash. Default 20260101. */
  seed?: number;
}

export const DEFAULT_SAMPLING = {
  negativeRate: 'auto',
  hardFactor: 4,
  targetExamples: 250_000,
  seed: 20260101,
} as const satisfies Required<SamplingOptions>;

/** Rows per stratum. */
export type StratumCounts = Record<Stratum, number>;

/** What a training set was sampled with; stored in the model's registry entry. */
export interface SamplingRecord {
  easyRate: number;
  hardRate: number;
  seed: number;
  /** Candidate rows (every enterprise on every sampled day) per stratum. */
  candidates: StratumCounts;
  /** Rows read per stratum (before dropping enterprises already confirmed on the day). */
  kept: StratumCounts;
}

/** The rates: fixed, or chosen so that kept rows ≈ target. */
export function chooseRates(
  o: SamplingOptions,
  candidates: StratumCounts,
): { easyRate: number; hardRate: number } {
  const factor = o.hardFactor ?? DEFAULT_SAMPLING.hardFactor;
  if (!(factor >= 1)) throw new RangeError(`hardFactor must be ≥ 1, got ${factor}`);
  const rate = o.negativeRate ?? DEFAULT_SAMPLING.negativeRate;
  if (rate !== 'auto') {
    if (!(rate > 0 && rate <= 1))
      throw new RangeError(`the negative sampling rate must be in (0, 1], got ${rate}`);
    return { easyRate: rate, hardRate: Math.min(1, rate * factor) };
  }
  const target = o.targetExamples ?? DEFAULT_SAMPLING.targetExamples;
  const { confirmed, hard, easy } = candidates;
  if (confirmed + hard + easy <= target) return { easyRate: 1, hardRate: 1 };
  // kept(r) = confirmed + hard·min(1, factor·r) + easy·r is increasing in r: bisect
  const kept = (r: number) => confirmed + hard * Math.min(1, factor * r) + easy * r;
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (kept(mid) < target) lo = mid;
    else hi = mid;
  }
  // rates are kept in millionths (the hash threshold); never 0
  const easyRate = Math.max(1e-6, Math.round(hi * 1e6) / 1e6);
  return { easyRate, hardRate: Math.min(1, Math.round(easyRate * factor * 1e6) / 1e6) };
}

/** Hash threshold (in millionths) of a rate. */
export const ppm = (rate: number): number => Math.round(rate * 1_000_000);
