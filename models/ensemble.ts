/**
 * Rank fusion of the classifier with the label-free rule index.
 *
 * Why: a classifier trained on a few dozen confirmed schemes ranks the kinds of scheme it has seen
 * very well (precision at the top, PR-AUC), but can rank a kind it has seen rarely — say a scheme
 * that advertises hard and has no complaints yet — below the top 50, where the rule index, a
 * regulator's prior, still has it. The fusion keeps what either scorer ranks very high.
 *
 * How: each scorer's value is turned into its *tail fraction* — the share of a reference
 * population (the held-out calibration days) scoring at least as high, i.e. its rank on a typical
 * day divided by the number of enterprises — so the two are on one scale whatever their units.
 * The fused score is
 *
 *     fused = −ln min(t_model, t_rules) − λ · ln max(t_model, t_rules)
 *
 * the first term is Tippett's combination (an enterprise is as suspicious as its best rank), the
 * second, with small λ, orders enterprises that one scorer ranks alike by the other's opinion.
 * λ = 0.25 (results were the same for λ from 0 to 0.25 on both evaluation cities; it is not
 * fitted). The fused score is then calibrated (Platt / isotonic on held-out time) like the
 * classifier's own probability would be.
 */
import { ModelError } from './errors.ts';
import { meanPrecisionAtKByGroup } from './metrics.ts';

/** A monotone map from a score to the share of a reference population scoring at least as high. */
export interface TailMap {
  /** Reference size. */
  n: number;
  /** Ranks (1-based, increasing) at which thresholds are kept. */
  ranks: number[];
  /** thresholds[j] = the ranks[j]-th highest reference value (non-increasing). */
  thresholds: number[];
}

/** Every rank up to this is kept exactly (the top of a day's list), log-spaced beyond. */
const EXACT_RANKS = 512;
const LOG_POINTS = 256;

/**
 * The tail map of a reference population. With `weights` (a sampled reference, each row standing
 * for weights[i] rows), ranks count weight: the value at rank r is the highest value whose rows,
 * with all the rows above it, weigh at least r; n is the total weight, rounded.
 */
export function fitTailMap(values: ArrayLike<number>, weights?: ArrayLike<number>): TailMap {
  if (weights) return fitWeightedTailMap(values, weights);
  const v = Float64Array.from(values, (x) => (Number.isNaN(x) ? Number.NEGATIVE_INFINITY : x))
    .sort()
    .reverse();
  const n = v.length;
  if (n === 0)
    throw new ModelError(
      'input_invalid',
      '[ensemble] a tail map needs at least one reference value',
    );
  const ranks = tailRanks(n);
  return { n, ranks, thresholds: ranks.map((r) => v[r - 1]!) };
}

function tailRanks(n: number): number[] {
  const ranks: number[] = [];
  for (let r = 1; r <= Math.min(n, EXACT_RANKS); r++) ranks.push(r);
  if (n > EXACT_RANKS) {
    const lo = Math.log(EXACT_RANKS);
    const hi = Math.log(n);
    for (let k = 1; k <= LOG_POINTS; k++) {
      const r = Math.round(Math.exp(lo + ((hi - lo) * k) / LOG_POINTS));
      if (r > ranks[ranks.length - 1]!) ranks.push(r);
    }
  }
  return ranks;
}

function fitWeightedTailMap(values: ArrayLike<number>, weights: ArrayLike<number>): TailMap {
  if (weights.length !== values.length)
    throw new ModelError(
      'input_invalid',
      `[ensemble] ${weights.length} weights for ${values.length} reference values`,
    );
  const v = Float64Array.from(values, (x) => (Number.isNaN(x) ? Number.NEGATIVE_INFINITY : x));
  const order = Int32Array.from({ length: v.length }, (_, i) => i).sort(
    (a, b) => v[b]! - v[a]! || a - b,
  );
  let total = 0;
  for (let i = 0; i < weights.length; i++) total += weights[i]!;
  const n = Math.round(total);
  if (order.length === 0 || n < 1)
    throw new ModelError(
      'input_invalid',
      '[ensemble] a tail map needs at least one reference value',
    );
  const ranks = tailRanks(n);
  const thresholds: number[] = [];
  let k = 0;
  let cum = weights[order[0]!]!;
  for (const r of ranks) {
    while (cum < r - 1e-9 && k + 1 < order.length) cum += weights[order[++k]!]!;
    thresholds.push(v[order[k]!]!);
  }
  return { n, ranks, thresholds };
}

/**
 * Share of the reference scoring ≥ x, in [0.5 / n, 1]; linear between kept ranks; above the best
 * reference value it is 0.5 / n (half a rank above the top).
 */
export function tailFraction(m: TailMap, x: number): number {
  const t = m.thresholds;
  if (Number.isNaN(x) || x > t[0]!) return Number.isNaN(x) ? 1 : 0.5 / m.n;
  // last j with t[j] >= x
  let lo = 0;
  let hi = t.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (t[mid]! >= x) lo = mid;
    else hi = mid - 1;
  }
  const j = lo;
  if (j === t.length - 1) return m.ranks[j]! === m.n ? 1 : m.ranks[j]! / m.n;
  const r0 = m.ranks[j]!;
  const r1 = m.ranks[j + 1]!;
  const count = r0 + ((r1 - r0) * (t[j]! - x)) / (t[j]! - t[j + 1]!);
  return Math.min(1, count / m.n);
}

export interface RankFusion {
  kind: 'rank-fusion';
  version: 1;
  /** Weight of the second opinion (see the module comment). */
  lambda: number;
  model: TailMap;
  rules: TailMap;
}

export const FUSION_LAMBDA = 0.25;

/** Fits the two tail maps on a reference population (the model's raw probability, the rule index). */
export function fitRankFusion(
  modelRaw: ArrayLike<number>,
  rules: ArrayLike<number>,
  lambda = FUSION_LAMBDA,
  weights?: ArrayLike<number>,
): RankFusion {
  if (modelRaw.length !== rules.length) {
    throw new ModelError(
      'input_invalid',
      `[ensemble] ${modelRaw.length} model scores for ${rules.length} rule scores`,
    );
  }
  return {
    kind: 'rank-fusion',
    version: 1,
    lambda,
    model: fitTailMap(modelRaw, weights),
    rules: fitTailMap(rules, weights),
  };
}

export interface FusedParts {
  fused: number;
  tailModel: number;
  tailRules: number;
  /** Which scorer ranks the row higher (its evidence leads the explanation). */
  lead: 'model' | 'rules';
}

export function fuseOne(f: RankFusion, modelRaw: number, rule: number): FusedParts {
  const tm = tailFraction(f.model, modelRaw);
  const tr = tailFraction(f.rules, rule);
  const lead = tm <= tr ? 'model' : 'rules';
  return {
    fused: -Math.log(Math.min(tm, tr)) - f.lambda * Math.log(Math.max(tm, tr)),
    tailModel: tm,
    tailRules: tr,
    lead,
  };
}

export function fuseAll(
  f: RankFusion,
  modelRaw: ArrayLike<number>,
  rules: ArrayLike<number>,
): Float64Array {
  const out = new Float64Array(modelRaw.length);
  for (let i = 0; i < out.length; i++) out[i] = fuseOne(f, modelRaw[i]!, rules[i]!).fused;
  return out;
}

/** Validates a fusion read from an artefact. */
export function rankFusionFromJSON(json: unknown): RankFusion {
  const o = json as Partial<RankFusion> | null;
  const okMap = (m: Partial<TailMap> | undefined) =>
    !!m &&
    typeof m.n === 'number' &&
    Array.isArray(m.ranks) &&
    Array.isArray(m.thresholds) &&
    m.ranks.length === m.thresholds.length &&
    m.ranks.length > 0;
  if (
    !o ||
    o.kind !== 'rank-fusion' ||
    o.version !== 1 ||
    typeof o.lambda !== 'number' ||
    !okMap(o.model) ||
    !okMap(o.rules)
  ) {
    throw new ModelError('artifact_invalid', '[ensemble] expected a rank-fusion v1 object');
  }
  // JSON has no -Infinity: it comes back as null (a reference value that was missing)
  const fix = (m: TailMap): TailMap => ({
    ...m,
    thresholds: m.thresholds.map((t) => (t === null ? Number.NEGATIVE_INFINITY : t)),
  });
  return {
    kind: 'rank-fusion',
    version: 1,
    lambda: o.lambda,
    model: fix(o.model!),
    rules: fix(o.rules!),
  };
}

/** The held-out comparison that decides whether a score fuses the rule index. */
export interface FusionChoice {
  /** Places on the daily list compared (precision@k per group, averaged over groups). */
  k: number;
  forestPrecisionAtK: number;
  fusedPrecisionAtK: number;
  /** true when the fusion's lists are at least as precise (a tie keeps it). */
  fused: boolean;
}

/**
 * Keep the fusion only if, on held-out rows grouped by day, its daily top k is at least as
 * precise as the classifier's alone. A tie keeps it: it guards against a kind of scheme the
 * classifier has rarely seen, which a handful of held-out days may not show.
 */
export function chooseFusion(
  fusion: RankFusion,
  modelRaw: ArrayLike<number>,
  rules: ArrayLike<number>,
  labels: ArrayLike<number>,
  groups: readonly string[],
  k = 50,
  weights?: ArrayLike<number>,
): FusionChoice {
  const forestPrecisionAtK = meanPrecisionAtKByGroup(labels, modelRaw, groups, k, weights);
  const fusedPrecisionAtK = meanPrecisionAtKByGroup(
    labels,
    fuseAll(fusion, modelRaw, rules),
    groups,
    k,
    weights,
  );
  return {
    k,
    forestPrecisionAtK,
    fusedPrecisionAtK,
    fused: fusedPrecisionAtK >= forestPrecisionAtK,
  };
}
