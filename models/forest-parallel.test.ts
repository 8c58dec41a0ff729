import { describe, expect, it } from 'vitest';
import { makeClassification } from './_synthetic.ts';
import { saveArtifact } from './artifact.ts';
import { HistogramForest } from './forest.ts';
import { fitForestParallel } from './forest-parallel.ts';
import { matrixFromRows, selectRows } from './matrix.ts';

describe('fitForestParallel', () => {
  const { x, y } = makeClassification({ rows: 1500, cols: 9, seed: 5, missing: 0.02 });
  const w = Float64Array.from({ length: x.rows }, (_, i) => 1 + (i % 7));

  it('grows the same forest as fit() on one thread, whatever the number of workers', async () => {
    const opts = { nEstimators: 9, seed: 4, minSamplesLeaf: 3, classWeight: 'balanced' as const };
    const serial = saveArtifact(new HistogramForest(opts).fit(x, y, w));
    const seen: number[] = [];
    for (const threads of [1, 3]) {
      const f = await fitForestParallel(new HistogramForest(opts), x, y, w, {
        threads,
        onTree: (done) => seen.push(done),
      });
      expect(saveArtifact(f) === serial).toBe(true);
    }
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('rejects a bad weight before starting a worker', async () => {
    const bad = Float64Array.from(w);
    bad[10] = 0;
    await expect(fitForestParallel(new HistogramForest(), x, y, bad)).rejects.toThrow(
      /sample weight 10 is 0/,
    );
  });
});

describe('sample weights', () => {
  it('a row of weight k counts as k copies of it (splits and leaf values)', () => {
    // few distinct values, so the bins are the same with or without the copies
    const rows: number[][] = [];
    const labels: number[] = [];
    const weights: number[] = [];
    for (let i = 0; i < 60; i++) {
      rows.push([i % 5, (i * 7) % 3, i % 2 === 0 ? Number.NaN : i % 4]);
      labels.push((i % 5 >= 3 ? 1 : 0) ^ (i % 11 === 0 ? 1 : 0));
      weights.push(1 + (i % 3));
    }
    const xw = matrixFromRows(rows);
    const copies: number[] = [];
    weights.forEach((k, i) => {
      for (let c = 0; c < k; c++) copies.push(i);
    });
    const xc = selectRows(xw, copies);
    const opts = { nEstimators: 3, bootstrap: 'none' as const, maxFeatures: 'all' as const };
    const weighted = new HistogramForest(opts).fit(xw, labels, weights);
    const copied = new HistogramForest(opts).fit(
      xc,
      copies.map((i) => labels[i]!),
    );
    const a = weighted.predictProba(xw);
    const b = copied.predictProba(xw);
    for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i]!, 12);
  });
});
