import { describe, expect, it } from 'vitest';
import {
  averagePrecision,
  bestF1Threshold,
  brierScore,
  foldIndices,
  leadTimeSummary,
  logLoss,
  metricsAtThreshold,
  meanPrecisionAtKByGroup,
  precisionAtK,
  recallAtK,
  rocAuc,
  stratifiedKFold,
} from './metrics.ts';

// Ranking: + − + − − (scores descending).
const labels = [1, 0, 1, 0, 0];
const scores = [0.9, 0.8, 0.7, 0.6, 0.5];

describe('metrics', () => {
  it('ROC-AUC of a known ranking: 5 of 6 positive–negative pairs ordered', () => {
    expect(rocAuc(labels, scores)).toBeCloseTo(5 / 6, 12);
    expect(rocAuc([1, 1, 0, 0], [0.9, 0.8, 0.2, 0.1])).toBe(1);
    expect(rocAuc([0, 0, 1, 1], [0.9, 0.8, 0.2, 0.1])).toBe(0);
    // Ties count one half.
    expect(rocAuc([1, 0], [0.5, 0.5])).toBe(0.5);
    expect(rocAuc([1, 0, 1, 0], [0.5, 0.5, 0.9, 0.1])).toBeCloseTo(0.875, 12);
    expect(Number.isNaN(rocAuc([1, 1], [0.2, 0.3]))).toBe(true);
  });

  it('average precision: Σ ΔR·P = 0.5·1 + 0.5·2/3', () => {
    expect(averagePrecision(labels, scores)).toBeCloseTo(0.5 + (0.5 * 2) / 3, 12);
    // Tied block at the top: one step with precision 1/2.
    expect(averagePrecision([1, 0], [0.5, 0.5])).toBeCloseTo(0.5, 12);
  });

  it('precision@k and recall@k', () => {
    expect(precisionAtK(labels, scores, 1)).toBe(1);
    expect(precisionAtK(labels, scores, 2)).toBe(0.5);
    expect(precisionAtK(labels, scores, 3)).toBeCloseTo(2 / 3, 12);
    expect(precisionAtK(labels, scores, 50)).toBeCloseTo(2 / 5, 12);
    expect(recallAtK(labels, scores, 1)).toBe(0.5);
    expect(recallAtK(labels, scores, 3)).toBe(1);
  });

  it('precision@k per group, averaged over the groups (a daily list of k places)', () => {
    // day a: top 2 = rows 1 (pos), 0 (neg) → 0.5; day b: top 2 = rows 4 (pos), 3 (pos) → 1;
    // day c: no positive → 0
    const labels = [0, 1, 0, 1, 1, 0, 0];
    const scores = [0.8, 0.9, 0.1, 0.5, 0.7, 0.3, 0.2];
    const groups = ['a', 'a', 'a', 'b', 'b', 'c', 'c'];
    expect(meanPrecisionAtKByGroup(labels, scores, groups, 2)).toBeCloseTo((0.5 + 1 + 0) / 3, 12);
    expect(() => meanPrecisionAtKByGroup(labels, scores, groups.slice(1), 2)).toThrow(/groups/);
  });

  it('precision, recall and F1 at a threshold (score ≥ threshold)', () => {
    const m = metricsAtThreshold(labels, scores, 0.7);
    expect(m).toMatchObject({ tp: 2, fp: 1, fn: 0, tn: 2, recall: 1 });
    expect(m.precision).toBeCloseTo(2 / 3, 12);
    expect(m.f1).toBeCloseTo(0.8, 12);
    const best = bestF1Threshold(labels, scores);
    expect(best.threshold).toBe(0.7);
    expect(best.f1).toBeCloseTo(0.8, 12);
  });

  it('log-loss and Brier score', () => {
    expect(logLoss([1, 0], [0.8, 0.2])).toBeCloseTo(-Math.log(0.8), 12);
    expect(brierScore([1, 0], [0.8, 0.4])).toBeCloseTo((0.04 + 0.16) / 2, 12);
  });

  it('stratified k-fold: balanced classes per fold, seeded, covers every row once', () => {
    const y = Array.from({ length: 103 }, (_, i) => (i % 10 === 0 ? 1 : 0)); // 11 positives
    const folds = stratifiedKFold(y, 5, 1);
    expect(Array.from(stratifiedKFold(y, 5, 1))).toEqual(Array.from(folds));
    expect(Array.from(stratifiedKFold(y, 5, 2))).not.toEqual(Array.from(folds));
    let total = 0;
    for (let k = 0; k < 5; k++) {
      const { train, test } = foldIndices(folds, k);
      expect(train.length + test.length).toBe(103);
      const pos = Array.from(test).filter((i) => y[i] === 1).length;
      expect(pos === 2 || pos === 3).toBe(true);
      expect(test.length === 20 || test.length === 21 || test.length === 22).toBe(true);
      total += test.length;
    }
    expect(total).toBe(103);
  });

  it('lead-time summary: quartiles and buckets', () => {
    const s = leadTimeSummary([1, 2, 3, 4, 100, Number.NaN, -5]);
    expect(s.count).toBe(6);
    expect(s.early).toBe(5);
    expect(s.median).toBe(2.5);
    expect(s.q1).toBe(1.25);
    expect(s.q3).toBe(3.75);
    expect(s.min).toBe(-5);
    expect(s.max).toBe(100);
    expect(s.histogram.map((b) => [b.label, b.count])).toEqual([
      ['< 0', 1],
      ['0–6', 4],
      ['7–29', 0],
      ['30–89', 0],
      ['90–179', 1],
      ['≥ 180', 0],
    ]);
    expect(Number.isNaN(leadTimeSummary([]).median)).toBe(true);
  });
});
