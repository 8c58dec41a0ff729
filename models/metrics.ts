import { ModelError } from './errors.ts';
import { createRng } from './random.ts';

/**
 * Evaluation metrics for a binary score. Labels are 0/1; higher scores mean "more likely 1".
 * Ties in scores are handled exactly (ROC-AUC by mid-ranks, AP by grouping equal scores, as
 * scikit-learn does); rankings break ties by row order (stable), so results are deterministic.
 */

function check(labels: ArrayLike<number>, scores: ArrayLike<number>, where: string): void {
  if (labels.length !== scores.length) {
    throw new ModelError(
      'input_invalid',
      `[metrics:${where}] ${labels.length} labels for ${scores.length} scores`,
    );
  }
}

/** Row indices sorted by score descending, ties by index ascending. */
export function rankByScore(scores: ArrayLike<number>): Int32Array {
  const idx = new Int32Array(scores.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  const s = Float64Array.from(scores, (v) => (Number.isNaN(v) ? Number.NEGATIVE_INFINITY : v));
  return idx.sort((a, b) => s[b]! - s[a]! || a - b);
}

/** Area under the ROC curve (Mann–Whitney U with mid-ranks for ties). NaN if one class is absent. */
export function rocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  check(labels, scores, 'rocAuc');
  const n = labels.length;
  const idx = rankByScore(scores);
  // Ascending ranks with ties averaged.
  let nPos = 0;
  let rankSumPos = 0;
  let i = 0;
  while (i < n) {
    let j = i;
    const s = scores[idx[i]!]!;
    while (j + 1 < n && scores[idx[j + 1]!]! === s) j++;
    // Positions i..j in descending order = ascending ranks n-j .. n-i (1-based).
    const midRank = (n - j + (n - i)) / 2;
    for (let k = i; k <= j; k++) {
      if (labels[idx[k]!] === 1) {
        nPos++;
        rankSumPos += midRank;
      }
    }
    i = j + 1;
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) return Number.NaN;
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/**
 * Average precision (area under the precision–recall curve, step-wise, scikit-learn's
 * `average_precision_score`): Σ (R_k − R_{k−1}) · P_k over distinct score thresholds.
 */
export function averagePrecision(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  check(labels, scores, 'averagePrecision');
  const n = labels.length;
  let totalPos = 0;
  for (let i = 0; i < n; i++) if (labels[i] === 1) totalPos++;
  if (totalPos === 0) return Number.NaN;
  const idx = rankByScore(scores);
  let tp = 0;
  let ap = 0;
  let prevRecall = 0;
  let i = 0;
  while (i < n) {
    let j = i;
    const s = scores[idx[i]!]!;
    while (j + 1 < n && scores[idx[j + 1]!]! === s) j++;
    for (let k = i; k <= j; k++) if (labels[idx[k]!] === 1) tp++;
    const recall = tp / totalPos;
    const precision = tp / (j + 1);
    ap += (recall - prevRecall) * precision;
    prevRecall = recall;
    i = j + 1;
  }
  return ap;
}

/** Alias: PR-AUC reported as average precision. */
export const prAuc = averagePrecision;

/** Share of positives among the k highest scores (ties broken by row order). */
export function precisionAtK(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  k: number,
): number {
  check(labels, scores, 'precisionAtK');
  const kk = Math.min(k, labels.length);
  if (kk <= 0) return Number.NaN;
  const idx = rankByScore(scores);
  let tp = 0;
  for (let i = 0; i < kk; i++) if (labels[idx[i]!] === 1) tp++;
  return tp / kk;
}

/**
 * Precision@k when each row stands for `weights[i]` rows (a sampled set): the k places are filled
 * in score order by whole rows' weights (the last one in part), and precision is the labelled
 * weight among them over the places filled. With weights all 1 it equals precisionAtK.
 */
export function weightedPrecisionAtK(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  weights: ArrayLike<number>,
  k: number,
): number {
  check(labels, scores, 'weightedPrecisionAtK');
  if (weights.length !== labels.length)
    throw new ModelError(
      'input_invalid',
      `[metrics:weightedPrecisionAtK] ${weights.length} weights for ${labels.length} labels`,
    );
  const idx = rankByScore(scores);
  let places = 0;
  let tp = 0;
  for (let i = 0; i < idx.length && places < k; i++) {
    const r = idx[i]!;
    const take = Math.min(weights[r]!, k - places);
    places += take;
    if (labels[r] === 1) tp += take;
  }
  return places > 0 ? tp / places : Number.NaN;
}

/**
 * Mean over groups (e.g. days) of precision@k within each group: how a daily list of k places
 * would have done. Groups without a positive count too (their precision is 0). With `weights`
 * (a sampled set), each group's precision is weightedPrecisionAtK.
 */
export function meanPrecisionAtKByGroup(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  groups: readonly string[],
  k: number,
  weights?: ArrayLike<number>,
): number {
  check(labels, scores, 'meanPrecisionAtKByGroup');
  if (groups.length !== labels.length)
    throw new ModelError(
      'input_invalid',
      `[metrics:meanPrecisionAtKByGroup] ${groups.length} groups for ${labels.length} labels`,
    );
  const rows = new Map<string, number[]>();
  groups.forEach((g, i) => {
    let r = rows.get(g);
    if (!r) rows.set(g, (r = []));
    r.push(i);
  });
  let sum = 0;
  for (const idx of rows.values()) {
    const l = idx.map((i) => labels[i]!);
    const sc = idx.map((i) => scores[i]!);
    sum += weights
      ? weightedPrecisionAtK(
          l,
          sc,
          idx.map((i) => weights[i]!),
          k,
        )
      : precisionAtK(l, sc, k);
  }
  return rows.size ? sum / rows.size : Number.NaN;
}

/** Share of all positives found among the k highest scores. */
export function recallAtK(labels: ArrayLike<number>, scores: ArrayLike<number>, k: number): number {
  check(labels, scores, 'recallAtK');
  let totalPos = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === 1) totalPos++;
  if (totalPos === 0) return Number.NaN;
  const idx = rankByScore(scores);
  let tp = 0;
  for (let i = 0; i < Math.min(k, labels.length); i++) if (labels[idx[i]!] === 1) tp++;
  return tp / totalPos;
}

export interface ThresholdMetrics {
  threshold: number;
  tp: number;
  fp: number;
  fn: number;
  tn: number;
  precision: number;
  recall: number;
  f1: number;
}

/** Confusion counts and precision / recall / F1 when predicting 1 for score ≥ threshold. */
export function metricsAtThreshold(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  threshold: number,
): ThresholdMetrics {
  check(labels, scores, 'metricsAtThreshold');
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = scores[i]! >= threshold;
    if (labels[i] === 1) {
      if (p) tp++;
      else fn++;
    } else if (p) fp++;
    else tn++;
  }
  const precision = tp + fp > 0 ? tp / (tp + fp) : 0;
  const recall = tp + fn > 0 ? tp / (tp + fn) : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { threshold, tp, fp, fn, tn, precision, recall, f1 };
}

export function precision(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  threshold: number,
): number {
  return metricsAtThreshold(labels, scores, threshold).precision;
}
export function recall(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  threshold: number,
): number {
  return metricsAtThreshold(labels, scores, threshold).recall;
}
export function f1Score(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  threshold: number,
): number {
  return metricsAtThreshold(labels, scores, threshold).f1;
}

/**
 * The threshold (one of the scores) that maximises F1 for "score ≥ threshold"; ties go to the
 * higher threshold. NaN scores are ignored.
 */
export function bestF1Threshold(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
): ThresholdMetrics {
  check(labels, scores, 'bestF1Threshold');
  const keep: number[] = [];
  for (let i = 0; i < scores.length; i++) if (!Number.isNaN(scores[i]!)) keep.push(i);
  const s = keep.map((i) => scores[i]!);
  const l = keep.map((i) => labels[i]!);
  const idx = rankByScore(s);
  let totalPos = 0;
  for (const v of l) if (v === 1) totalPos++;
  let best: ThresholdMetrics = metricsAtThreshold(l, s, Number.POSITIVE_INFINITY);
  let tp = 0;
  let i = 0;
  const n = s.length;
  while (i < n) {
    let j = i;
    const th = s[idx[i]!]!;
    while (j + 1 < n && s[idx[j + 1]!]! === th) j++;
    for (let k = i; k <= j; k++) if (l[idx[k]!] === 1) tp++;
    const predicted = j + 1;
    const fp = predicted - tp;
    const fn = totalPos - tp;
    const prec = tp / predicted;
    const rec = totalPos > 0 ? tp / totalPos : 0;
    const f1 = prec + rec > 0 ? (2 * prec * rec) / (prec + rec) : 0;
    if (f1 > best.f1)
      best = {
        threshold: th,
        tp,
        fp,
        fn,
        tn: n - predicted - fn,
        precision: prec,
        recall: rec,
        f1,
      };
    i = j + 1;
  }
  return best;
}

/** Mean log-loss with probabilities clipped to [eps, 1 − eps]. */
export function logLoss(labels: ArrayLike<number>, probs: ArrayLike<number>, eps = 1e-15): number {
  check(labels, probs, 'logLoss');
  let s = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = Math.min(1 - eps, Math.max(eps, probs[i]!));
    s -= labels[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return s / labels.length;
}

/** Mean squared error of probabilities (Brier score). */
export function brierScore(labels: ArrayLike<number>, probs: ArrayLike<number>): number {
  check(labels, probs, 'brierScore');
  let s = 0;
  for (let i = 0; i < labels.length; i++) s += (probs[i]! - labels[i]!) ** 2;
  return s / labels.length;
}

/**
 * Stratified k-fold assignment: returns fold ids 0..k−1 per row. Each class is shuffled with
 * the seeded PRNG and dealt round-robin, so fold sizes per class differ by at most one.
 */
export function stratifiedKFold(labels: ArrayLike<number>, k: number, seed = 42): Int32Array {
  if (!Number.isInteger(k) || k < 2)
    throw new ModelError('input_invalid', '[metrics:stratifiedKFold] k must be an integer ≥ 2');
  const rng = createRng(seed, 0xf01d);
  const folds = new Int32Array(labels.length);
  const classes = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i]!;
    const list = classes.get(c) ?? [];
    list.push(i);
    classes.set(c, list);
  }
  let offset = 0;
  for (const c of [...classes.keys()].sort((a, b) => a - b)) {
    const list = classes.get(c)!;
    for (let i = list.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      const t = list[i]!;
      list[i] = list[j]!;
      list[j] = t;
    }
    // Continue the round-robin across classes so total fold sizes stay balanced too.
    list.forEach((row, p) => {
      folds[row] = (p + offset) % k;
    });
    offset = (offset + list.length) % k;
  }
  return folds;
}

/** Train / test row indices of fold `fold`. */
export function foldIndices(
  folds: ArrayLike<number>,
  fold: number,
): { train: Int32Array; test: Int32Array } {
  const train: number[] = [];
  const test: number[] = [];
  for (let i = 0; i < folds.length; i++) (folds[i] === fold ? test : train).push(i);
  return { train: Int32Array.from(train), test: Int32Array.from(test) };
}

export interface LeadTimeBucket {
  label: string;
  /** Inclusive lower bound in days (−Infinity for the first bucket). */
  from: number;
  /** Exclusive upper bound in days (Infinity for the last bucket). */
  to: number;
  count: number;
}

export interface LeadTimeSummary {
  count: number;
  /** Cases with a positive lead time (flagged before the event). */
  early: number;
  median: number;
  q1: number;
  q3: number;
  mean: number;
  min: number;
  max: number;
  histogram: LeadTimeBucket[];
}

export const DEFAULT_LEAD_TIME_BUCKETS: readonly number[] = [0, 7, 30, 90, 180];

/**
 * Summary of lead times in days (event day − first flagged day; positive = flagged earlier).
 * Quartiles use linear interpolation between order statistics (numpy's default). `edges`
 * give the bucket bounds: [−∞, e0), [e0, e1), …, [e_last, ∞). NaN values are ignored.
 */
export function leadTimeSummary(
  days: ArrayLike<number>,
  edges: readonly number[] = DEFAULT_LEAD_TIME_BUCKETS,
): LeadTimeSummary {
  const v = Array.from(days)
    .filter((d) => !Number.isNaN(d))
    .sort((a, b) => a - b);
  const q = (p: number): number => {
    if (v.length === 0) return Number.NaN;
    const pos = p * (v.length - 1);
    const lo = Math.floor(pos);
    const hi = Math.ceil(pos);
    return v[lo]! + (v[hi]! - v[lo]!) * (pos - lo);
  };
  const bounds = [Number.NEGATIVE_INFINITY, ...edges, Number.POSITIVE_INFINITY];
  const histogram: LeadTimeBucket[] = [];
  for (let b = 0; b + 1 < bounds.length; b++) {
    const from = bounds[b]!;
    const to = bounds[b + 1]!;
    const label = !Number.isFinite(from)
      ? `< ${to}`
      : !Number.isFinite(to)
        ? `≥ ${from}`
        : `${from}–${to - 1}`;
    histogram.push({ label, from, to, count: v.filter((d) => d >= from && d < to).length });
  }
  return {
    count: v.length,
    early: v.filter((d) => d > 0).length,
    median: q(0.5),
    q1: q(0.25),
    q3: q(0.75),
    mean: v.length > 0 ? v.reduce((s, d) => s + d, 0) / v.length : Number.NaN,
    min: v.length > 0 ? v[0]! : Number.NaN,
    max: v.length > 0 ? v[v.length - 1]! : Number.NaN,
    histogram,
  };
}
