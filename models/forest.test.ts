import { describe, expect, it } from 'vitest';
import { makeClassification } from './_synthetic.ts';
import { saveArtifact, loadArtifact } from './artifact.ts';
import { HistogramForest, resolveMaxFeatures } from './forest.ts';
import { selectRows, matrixFromRows } from './matrix.ts';
import { rocAuc } from './metrics.ts';
import { ReferenceForest } from './reference-forest.ts';

function split(
  rows: number,
  cols: number,
  seed: number,
  extra: Partial<Parameters<typeof makeClassification>[0]> = {},
) {
  const { x, y } = makeClassification({ rows, cols, seed, ...extra });
  const nTrain = Math.floor(rows * 0.7);
  const train = Int32Array.from({ length: nTrain }, (_, i) => i);
  const test = Int32Array.from({ length: rows - nTrain }, (_, i) => nTrain + i);
  return {
    xTrain: selectRows(x, train),
    yTrain: y.slice(0, nTrain),
    xTest: selectRows(x, test),
    yTest: y.slice(nTrain),
  };
}

describe('HistogramForest', () => {
  const data = split(3000, 12, 11, { positiveRate: 0.15, missing: 0.03 });

  it('learns a non-linear signal (held-out AUC well above chance)', () => {
    const f = new HistogramForest({ nEstimators: 40, seed: 1 }).fit(data.xTrain, data.yTrain);
    const auc = rocAuc(data.yTest, f.predictProba(data.xTest));
    expect(auc).toBeGreaterThan(0.8);
  });

  it('is deterministic for a seed: identical artefact bytes, different seed differs', () => {
    const a = saveArtifact(
      new HistogramForest({ nEstimators: 15, seed: 7 }).fit(data.xTrain, data.yTrain),
    );
    const b = saveArtifact(
      new HistogramForest({ nEstimators: 15, seed: 7 }).fit(data.xTrain, data.yTrain),
    );
    const c = saveArtifact(
      new HistogramForest({ nEstimators: 15, seed: 8 }).fit(data.xTrain, data.yTrain),
    );
    expect(a === b).toBe(true);
    expect(c === a).toBe(false);
  });

  it('grows the same trees with the direct and the subtraction histogram strategies', () => {
    for (const minSamplesLeaf of [1, 3]) {
      const opts = { nEstimators: 8, seed: 3, maxFeatures: 'all' as const, minSamplesLeaf };
      const direct = new HistogramForest({ ...opts, histogram: 'direct' }).fit(
        data.xTrain,
        data.yTrain,
      );
      const subtract = new HistogramForest({ ...opts, histogram: 'subtract' }).fit(
        data.xTrain,
        data.yTrain,
      );
      // Same trees (params differ only in `histogram`); compare without dumping megabytes on failure.
      expect(
        JSON.stringify(subtract.toArtifact().trees) === JSON.stringify(direct.toArtifact().trees),
      ).toBe(true);
    }
  });

  it('contributions (bias + per feature) sum to the predicted probability', () => {
    const f = new HistogramForest({ nEstimators: 25, seed: 2, classWeight: 'balanced' }).fit(
      data.xTrain,
      data.yTrain,
    );
    const p = f.predictProba(data.xTest);
    for (const row of [0, 1, 17, 123, 400]) {
      const c = f.contributions(data.xTest, row);
      const sum = c.values.reduce((s, v) => s + v, c.bias);
      expect(Math.abs(sum - p[row]!)).toBeLessThan(1e-6);
      expect(Math.abs(c.prediction - p[row]!)).toBeLessThan(1e-9);
      expect(c.values.length).toBe(data.xTest.cols);
    }
    // The blocked, 4-rows-at-a-time scoring kernel agrees with a plain walk on every row.
    for (let row = 0; row < data.xTest.rows; row++) {
      expect(Math.abs(f.contributions(data.xTest, row).prediction - p[row]!)).toBeLessThan(1e-12);
    }
  });

  it('routes NaN as the lowest value and can split missing from present', () => {
    // Label = "feature is missing": only a split at bin 0 separates the classes.
    const rows: (number | null)[][] = [];
    const y: number[] = [];
    for (let i = 0; i < 200; i++) {
      const missing = i % 3 === 0;
      rows.push([missing ? null : (i % 7) - 3, i % 5]);
      y.push(missing ? 1 : 0);
    }
    const x = matrixFromRows(rows, ['a', 'b']);
    const f = new HistogramForest({
      nEstimators: 10,
      seed: 1,
      maxFeatures: 'all',
      bootstrap: 'none',
    }).fit(x, y);
    const p = f.predictProba(x);
    for (let i = 0; i < y.length; i++) expect(p[i]).toBe(y[i]);
  });

  it('respects maxDepth and minSamplesLeaf', () => {
    const shallow = new HistogramForest({ nEstimators: 5, seed: 1, maxDepth: 3 }).fit(
      data.xTrain,
      data.yTrain,
    );
    expect(shallow.stats().maxDepth).toBeLessThanOrEqual(3);
    const leafy = new HistogramForest({ nEstimators: 5, seed: 1, minSamplesLeaf: 50 }).fit(
      data.xTrain,
      data.yTrain,
    );
    const full = new HistogramForest({ nEstimators: 5, seed: 1 }).fit(data.xTrain, data.yTrain);
    expect(leafy.stats().leaves).toBeLessThan(full.stats().leaves / 5);
  });

  it('balanced bootstrap and class weights raise scores of the rare class', () => {
    const plain = new HistogramForest({ nEstimators: 20, seed: 4, minSamplesLeaf: 5 }).fit(
      data.xTrain,
      data.yTrain,
    );
    const weighted = new HistogramForest({
      nEstimators: 20,
      seed: 4,
      minSamplesLeaf: 5,
      classWeight: 'balanced',
    }).fit(data.xTrain, data.yTrain);
    const balanced = new HistogramForest({ nEstimators: 20, seed: 4, bootstrap: 'balanced' }).fit(
      data.xTrain,
      data.yTrain,
    );
    const mean = (a: Float64Array) => a.reduce((s, v) => s + v, 0) / a.length;
    const base = mean(plain.predictProba(data.xTest));
    expect(mean(weighted.predictProba(data.xTest))).toBeGreaterThan(base * 1.2);
    expect(mean(balanced.predictProba(data.xTest))).toBeGreaterThan(base * 1.5);
    // The root (bias) is the class-weighted share of positives: ≈ 0.5 when balanced.
    const rate = data.yTrain.reduce((s, v) => s + v, 0) / data.yTrain.length;
    expect(plain.contributions(data.xTest, 0).bias).toBeCloseTo(rate, 1);
    expect(weighted.contributions(data.xTest, 0).bias).toBeCloseTo(0.5, 1);
    expect(balanced.contributions(data.xTest, 0).bias).toBeCloseTo(0.5, 1);
    expect(rocAuc(data.yTest, balanced.predictProba(data.xTest))).toBeGreaterThan(0.75);
  });

  it('out-of-bag scores track held-out AUC', () => {
    const f = new HistogramForest({ nEstimators: 40, seed: 9, oobScore: true }).fit(
      data.xTrain,
      data.yTrain,
    );
    const oob = f.oobScores!;
    expect(oob.length).toBe(data.xTrain.rows);
    const heldOut = rocAuc(data.yTest, f.predictProba(data.xTest));
    expect(Math.abs(rocAuc(data.yTrain, oob) - heldOut)).toBeLessThan(0.05);
  });

  it('feature importance sums to 1 and ranks an informative feature above noise', () => {
    const f = new HistogramForest({ nEstimators: 30, seed: 5 }).fit(data.xTrain, data.yTrain);
    const imp = f.featureImportance();
    expect(imp.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 9);
    // Feature 0 is informative (a threshold), features ≥ 3 are noise in this generator.
    expect(imp[0]!).toBeGreaterThan(Math.max(...imp.slice(5)));
  });

  it('aligns input columns by name and rejects missing ones', () => {
    const f = new HistogramForest({ nEstimators: 5, seed: 1 }).fit(data.xTrain, data.yTrain);
    const p = f.predictProba(data.xTest);
    const reversedCols = [...data.xTest.columns].reverse();
    const rev = matrixFromRows(
      Array.from({ length: data.xTest.rows }, (_, i) =>
        reversedCols.map(
          (c) => data.xTest.data[i * data.xTest.cols + data.xTest.columns.indexOf(c)]!,
        ),
      ),
      reversedCols,
    );
    expect(Array.from(f.predictProba(rev))).toEqual(Array.from(p));
    const missing = matrixFromRows([[1]], ['nope']);
    expect(() => f.predictProba(missing)).toThrow(/missing columns/);
  });

  it('resolves maxFeatures like scikit-learn', () => {
    expect(resolveMaxFeatures('sqrt', 40)).toBe(6);
    expect(resolveMaxFeatures('log2', 40)).toBe(5);
    expect(resolveMaxFeatures(0.5, 40)).toBe(20);
    expect(resolveMaxFeatures(3, 40)).toBe(3);
    expect(resolveMaxFeatures('all', 40)).toBe(40);
  });
});

describe('HistogramForest vs the ml-random-forest reference', () => {
  it('reaches a similar held-out AUC on small data', () => {
    const d = split(700, 8, 5, { positiveRate: 0.3, informative: 4 });
    const ref = new ReferenceForest({ nEstimators: 25, seed: 3 }).fit(d.xTrain, d.yTrain);
    const ours = new HistogramForest({ nEstimators: 100, seed: 3 }).fit(d.xTrain, d.yTrain);
    const aucRef = rocAuc(d.yTest, ref.predictProba(d.xTest));
    const aucOurs = rocAuc(d.yTest, ours.predictProba(d.xTest));
    expect(aucRef).toBeGreaterThan(0.75);
    expect(Math.abs(aucOurs - aucRef)).toBeLessThan(0.04);
    // Reference contributions also sum to its probability, and its artefact round-trips.
    const p = ref.predictProba(d.xTest);
    for (const row of [0, 5, 9]) {
      const c = ref.contributions(d.xTest, row);
      expect(Math.abs(c.values.reduce((s, v) => s + v, c.bias) - p[row]!)).toBeLessThan(1e-9);
    }
    const again = loadArtifact(saveArtifact(ref));
    expect(Array.from(again.predictProba(d.xTest))).toEqual(Array.from(p));
  });
});
