import { describe, expect, it } from 'vitest';
import { makeClassification } from './_synthetic.ts';
import { HistogramForest } from './forest.ts';
import { predictProbaParallel } from './parallel-score.ts';

describe('predictProbaParallel', () => {
  it('gives bit-identical scores to predictProba', async () => {
    const { x, y } = makeClassification({ rows: 2000, cols: 8, seed: 2, missing: 0.02 });
    const f = new HistogramForest({ nEstimators: 10, seed: 1 }).fit(x, y);
    const big = makeClassification({ rows: 25_001, cols: 8, seed: 3, missing: 0.02 }).x;
    const a = f.predictProba(big);
    const b = await predictProbaParallel(f, big, { threads: 3 });
    expect(b.length).toBe(a.length);
    expect(b.every((v, i) => v === a[i])).toBe(true);
  });
});
