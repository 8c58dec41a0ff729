import { describe, expect, it } from 'vitest';
import { makeClassification } from './_synthetic.ts';
import { crossValidate } from './byo.ts';

describe('crossValidate (bring your own features)', () => {
  it('runs stratified k-fold, reports AUC / F1 / importance, deterministic for a seed', () => {
    const { x, y } = makeClassification({
      rows: 1500,
      cols: 8,
      seed: 3,
      positiveRate: 0.2,
      informative: 4,
    });
    const opts = { folds: 4, seed: 1, forest: { nEstimators: 30, seed: 2 } };
    const a = crossValidate(x, y, opts);
    expect(a.folds).toHaveLength(4);
    expect(a.rocAuc).toBeGreaterThan(0.75);
    expect(a.f1).toBeGreaterThan(0.3);
    expect(a.thresholdStrategy).toBe('oob-best-f1');
    expect(a.oofScores.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(a.importance.reduce((s, f) => s + f.importance, 0)).toBeCloseTo(1, 9);
    // Informative features (0..3) outrank the noise features on average.
    const rank = new Map(a.importance.map((f, i) => [f.name, i] as const));
    expect((rank.get('f0')! + rank.get('f1')!) / 2).toBeLessThan(
      (rank.get('f6')! + rank.get('f7')!) / 2,
    );
    const b = crossValidate(x, y, opts);
    expect(b.rocAuc).toBe(a.rocAuc);
    expect(Array.from(b.foldIds)).toEqual(Array.from(a.foldIds));
    // Fixed threshold and explicit fold ids.
    const c = crossValidate(x, y, {
      foldIds: a.foldIds,
      threshold: 0.5,
      forest: { nEstimators: 30, seed: 2 },
    });
    expect(c.thresholdStrategy).toBe('fixed');
    expect(c.folds.every((f) => f.threshold === 0.5)).toBe(true);
    expect(c.rocAuc).toBe(a.rocAuc);
  });
});
