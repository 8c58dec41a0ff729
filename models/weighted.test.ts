import { describe, expect, it } from 'vitest';
import { fitPlatt } from './calibration.ts';
import { fitTailMap } from './ensemble.ts';
import { precisionAtK, weightedPrecisionAtK } from './metrics.ts';
import { createRng } from './random.ts';

/**
 * Weights stand for copies (a sampled-down negative of weight k stands for k rows): every
 * weighted fit must equal the unweighted fit on the copies.
 */
function sample(n: number, seed: number) {
  const rng = createRng(seed);
  const scores = Float64Array.from({ length: n }, () => Math.round(rng.next() * 40) / 40);
  const labels = Uint8Array.from(scores, (s) => (rng.next() < s * 0.6 ? 1 : 0));
  const weights = Float64Array.from(labels, (y) => (y === 1 ? 1 : 1 + Math.floor(rng.next() * 4)));
  const copies: number[] = [];
  weights.forEach((k, i) => {
    for (let c = 0; c < k; c++) copies.push(i);
  });
  return { scores, labels, weights, copies };
}

describe('weighted fits equal fits on copies', () => {
  const { scores, labels, weights, copies } = sample(400, 3);
  const cs = copies.map((i) => scores[i]!);
  const cl = copies.map((i) => labels[i]!);

  it('Platt scaling', () => {
    const a = fitPlatt(scores, labels, weights).toJSON();
    const b = fitPlatt(cs, cl).toJSON();
    if (a.kind !== 'platt' || b.kind !== 'platt') throw new Error('expected Platt');
    expect(a.a).toBeCloseTo(b.a, 6);
    expect(a.b).toBeCloseTo(b.b, 6);
  });

  it('tail maps (the fusion’s ranks)', () => {
    const a = fitTailMap(scores, weights);
    const b = fitTailMap(cs);
    expect(a.n).toBe(b.n);
    expect(a.ranks).toEqual(b.ranks);
    expect(a.thresholds).toEqual(b.thresholds);
  });

  it('precision@k: by places filled with weight, equal to precision@k with weights 1', () => {
    expect(weightedPrecisionAtK(labels, scores, new Float64Array(400).fill(1), 50)).toBe(
      precisionAtK(labels, scores, 50),
    );
    // 3 places: a positive (weight 1), then a negative standing for 4 rows fills the other 2
    expect(weightedPrecisionAtK([1, 0, 1], [0.9, 0.8, 0.7], [1, 4, 1], 3)).toBeCloseTo(1 / 3, 12);
  });
});
