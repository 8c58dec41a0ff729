import { describe, expect, it } from 'vitest';
import { calibratorFromJSON, fitIsotonic, fitPlatt } from './calibration.ts';
import { brierScore, logLoss, rocAuc } from './metrics.ts';
import { createRng } from './random.ts';

/** Scores that are a monotone but badly calibrated function of the true probability. */
function miscalibrated(n: number, seed: number): { scores: Float64Array; labels: Uint8Array } {
  const rng = createRng(seed);
  const scores = new Float64Array(n);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const p = rng.next() ** 2 * 0.5; // true probability in [0, 0.5], mostly small
    scores[i] = Math.sqrt(p) * 1.3; // over-confident, non-linear
    labels[i] = rng.next() < p ? 1 : 0;
  }
  return { scores, labels };
}

describe('calibration', () => {
  const fit = miscalibrated(4000, 1);
  const test = miscalibrated(4000, 2);

  for (const [name, fitter] of [
    ['isotonic', fitIsotonic],
    ['platt', fitPlatt],
  ] as const) {
    it(`${name}: monotone non-decreasing, improves log-loss and Brier on held-out data`, () => {
      const c = fitter(fit.scores, fit.labels);
      const grid = Array.from({ length: 501 }, (_, i) => -0.2 + (i / 500) * 1.6);
      const out = grid.map((s) => c.apply(s));
      for (let i = 1; i < out.length; i++) expect(out[i]!).toBeGreaterThanOrEqual(out[i - 1]!);
      for (const v of out) expect(v >= 0 && v <= 1).toBe(true);
      const raw = Float64Array.from(test.scores, (s) => Math.min(1, s));
      const cal = c.applyAll(test.scores);
      expect(logLoss(test.labels, cal)).toBeLessThan(logLoss(test.labels, raw) - 0.05);
      expect(brierScore(test.labels, cal)).toBeLessThan(brierScore(test.labels, raw));
      // Ranking is kept (up to ties merged by isotonic).
      expect(rocAuc(test.labels, cal)).toBeGreaterThan(rocAuc(test.labels, raw) - 0.01);
      // Serialisable: the JSON round trip gives the same function.
      const again = calibratorFromJSON(JSON.parse(JSON.stringify(c.toJSON())));
      for (const s of [0, 0.1, 0.33, 0.7, 2]) expect(again.apply(s)).toBe(c.apply(s));
    });
  }

  it('isotonic pools adjacent violators exactly', () => {
    const c = fitIsotonic([1, 2, 3, 4], [0, 1, 0, 1]);
    // Blocks: {1}: 0, {2,3}: 0.5 at x = 2.5, {4}: 1.
    expect(c.toJSON()).toEqual({ kind: 'isotonic', version: 1, x: [1, 2.5, 4], y: [0, 0.5, 1] });
    expect(c.apply(0)).toBe(0);
    expect(c.apply(2.5)).toBe(0.5);
    expect(c.apply(3.25)).toBeCloseTo(0.75, 12);
    expect(c.apply(9)).toBe(1);
  });

  it('rejects malformed or future calibrator JSON', () => {
    expect(() => calibratorFromJSON({ kind: 'platt', version: 2, a: 1, b: 0 })).toThrow(
      /unsupported version 2/,
    );
    expect(() =>
      calibratorFromJSON({ kind: 'isotonic', version: 1, x: [1, 2], y: [0.5, 0.1] }),
    ).toThrow(/non-decreasing/);
  });
});
