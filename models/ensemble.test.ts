import { describe, expect, it } from 'vitest';
import {
  chooseFusion,
  fitRankFusion,
  fitTailMap,
  fuseAll,
  fuseOne,
  rankFusionFromJSON,
  tailFraction,
} from './ensemble.ts';
import { createRng } from './random.ts';

describe('tail maps', () => {
  it('give the share of the reference scoring at least as high', () => {
    const m = fitTailMap([5, 4, 3, 2, 1]);
    expect(tailFraction(m, 5)).toBeCloseTo(1 / 5);
    expect(tailFraction(m, 3)).toBeCloseTo(3 / 5);
    expect(tailFraction(m, 1)).toBe(1);
    expect(tailFraction(m, 0)).toBe(1);
    expect(tailFraction(m, 9)).toBeCloseTo(0.5 / 5); // above the best: half a rank
    expect(tailFraction(m, 3.5)).toBeCloseTo(2.5 / 5); // between ranks 2 and 3
  });

  it('are monotone and close to the exact rank on a large reference (log-spaced beyond the top)', () => {
    const rng = createRng(3);
    const v = Float64Array.from({ length: 20000 }, () => rng.next());
    const m = fitTailMap(v);
    expect(m.ranks.length).toBeLessThan(800);
    const sorted = [...v].sort((a, b) => b - a);
    let prev = 0;
    for (let x = 1.01; x >= -0.01; x -= 0.001) {
      const t = tailFraction(m, x);
      expect(t).toBeGreaterThanOrEqual(prev);
      prev = t;
    }
    // exact at the top, within 2 % of the rank further down
    expect(tailFraction(m, sorted[99]!)).toBeCloseTo(100 / 20000, 10);
    const r = tailFraction(m, sorted[7999]!) * 20000;
    expect(Math.abs(r - 8000) / 8000).toBeLessThan(0.02);
  });
});

describe('rank fusion', () => {
  const rng = createRng(11);
  const model = Float64Array.from({ length: 5000 }, () => rng.next());
  const rules = Float64Array.from({ length: 5000 }, () => rng.next());
  const f = fitRankFusion(model, rules);

  it('ranks an enterprise as high as its best rank (either scorer can put it on the list)', () => {
    const topModel = fuseOne(f, 0.9999, 0.5);
    const topRules = fuseOne(f, 0.5, 0.9999);
    const middle = fuseOne(f, 0.9, 0.9);
    expect(topModel.lead).toBe('model');
    expect(topRules.lead).toBe('rules');
    expect(topModel.fused).toBeGreaterThan(middle.fused);
    expect(topRules.fused).toBeGreaterThan(middle.fused);
    // the second opinion breaks ties between equally good best ranks
    expect(fuseOne(f, 0.99, 0.9).fused).toBeGreaterThan(fuseOne(f, 0.99, 0.2).fused);
  });

  it('is monotone in each scorer', () => {
    for (const r of [0.1, 0.5, 0.95]) {
      let prev = -Infinity;
      for (let m = 0; m <= 1; m += 0.01) {
        const s = fuseOne(f, m, r).fused;
        expect(s).toBeGreaterThanOrEqual(prev - 1e-12);
        prev = s;
      }
    }
  });

  it('survives JSON (missing reference values come back as -Infinity)', () => {
    const g = fitRankFusion([0.3, Number.NaN, 0.1], [0.2, 0.1, Number.NaN]);
    const back = rankFusionFromJSON(JSON.parse(JSON.stringify(g)));
    expect(Array.from(fuseAll(back, [0.3, 0.05, 0.2], [0.05, 0.2, 0.15]))).toEqual(
      Array.from(fuseAll(g, [0.3, 0.05, 0.2], [0.05, 0.2, 0.15])),
    );
    const again = rankFusionFromJSON(JSON.parse(JSON.stringify(f)));
    expect(Array.from(fuseAll(again, model.subarray(0, 50), rules.subarray(0, 50)))).toEqual(
      Array.from(fuseAll(f, model.subarray(0, 50), rules.subarray(0, 50))),
    );
    expect(() => rankFusionFromJSON({ kind: 'rank-fusion', version: 9 })).toThrow(/rank-fusion v1/);
  });
});

describe('choosing the fusion on held-out days', () => {
  // 10 days × 1,000 rows, 10 positives a day; the classifier finds 6 of them near the top
  const days = 10;
  const perDay = 1000;
  function choiceOnTop10(rulesFind: 'the missed positives' | 'nothing') {
    const rng = createRng(11);
    const labels: number[] = [];
    const model: number[] = [];
    const rules: number[] = [];
    const groups: string[] = [];
    for (let d = 0; d < days; d++) {
      for (let i = 0; i < perDay; i++) {
        const positive = i < 10;
        labels.push(positive ? 1 : 0);
        groups.push(`day${d}`);
        model.push(positive && i < 6 ? 0.9 + rng.next() * 0.1 : rng.next() * 0.8);
        const ruleHit =
          rulesFind === 'the missed positives' ? positive && i >= 6 : rng.next() < 0.01;
        rules.push(ruleHit ? 0.9 + rng.next() * 0.1 : rng.next() * 0.5);
      }
    }
    return chooseFusion(fitRankFusion(model, rules), model, rules, labels, groups, 10);
  }

  it('keeps it when the rule index lists positives the classifier misses', () => {
    const c = choiceOnTop10('the missed positives');
    expect(c.fused).toBe(true);
    expect(c.fusedPrecisionAtK).toBeGreaterThan(c.forestPrecisionAtK);
  });

  it('drops it when the rule index only crowds the list with false alarms', () => {
    const c = choiceOnTop10('nothing');
    expect(c.fused).toBe(false);
    expect(c.fusedPrecisionAtK).toBeLessThan(c.forestPrecisionAtK);
  });
});
