import { describe, expect, it } from 'vitest';
import type { Contributions } from './classifier.ts';
import { explainRow, topReasons } from './explain.ts';
import type { FeatureInfo } from './explain.ts';
import { HistogramForest } from './forest.ts';
import { matrixFromRows } from './matrix.ts';

const registry: FeatureInfo[] = [
  { name: 'promised_yield', label_zh: '承诺年化收益', format: (v) => `承诺年化收益 ${v}%` },
  { name: 'complaints_30d', label_zh: '近30天投诉', format: (v) => `近30天投诉 ${v} 件` },
  { name: 'age_days', label_zh: '成立天数' },
];

describe('explanations', () => {
  const contrib: Contributions = {
    bias: 0.1,
    values: Float64Array.from([0.3, 0.05, -0.02, 0.3]),
    prediction: 0.73,
    columns: ['promised_yield', 'complaints_30d', 'age_days', 'unregistered'],
  };
  const values = [24, 14, 120.456, Number.NaN];

  it('ranks contributions and words them with the registry formatters', () => {
    const reasons = topReasons(contrib, values, registry, { k: 3 });
    expect(reasons.map((r) => r.text)).toEqual([
      '承诺年化收益 24%',
      'unregistered 缺失',
      '近30天投诉 14 件',
    ]);
    expect(reasons[0]).toMatchObject({
      feature: 'promised_yield',
      label: '承诺年化收益',
      value: 24,
      contribution: 0.3,
    });
  });

  it('can list what lowered the score, with the default formatter', () => {
    const down = topReasons(contrib, values, registry, { direction: 'down' });
    expect(down.map((r) => r.text)).toEqual(['成立天数 120.46']);
    expect(topReasons(contrib, values, registry, { k: 1, minContribution: 0.5 })).toEqual([]);
  });

  it('explainRow: reasons come from the model contributions of that row', () => {
    const rows: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < 300; i++) {
      const yieldPct = 4 + (i % 30);
      const complaints = i % 7;
      rows.push([yieldPct, complaints, 100 + i]);
      y.push(yieldPct > 20 ? 1 : 0);
    }
    const x = matrixFromRows(rows, ['promised_yield', 'complaints_30d', 'age_days']);
    const model = new HistogramForest({ nEstimators: 20, seed: 1 }).fit(x, y);
    const row = rows.findIndex((r) => r[0] === 28);
    const { contributions, reasons } = explainRow(model, x, row, registry, { k: 1 });
    expect(reasons[0]!.text).toBe('承诺年化收益 28%');
    expect(contributions.values.reduce((s, v) => s + v, contributions.bias)).toBeCloseTo(
      model.predictProba(x)[row]!,
      6,
    );
  });
});
