import { describe, expect, it } from 'vitest';
import { createMatrix } from '../../models/index.ts';
import { FEATURE_NAMES } from '../features/registry.ts';
import { DERIVED_FEATURES, DERIVED_NAMES, withDerived } from './derived.ts';

describe('derived indicators', () => {
  it('read only registry features of the same row', () => {
    for (const f of DERIVED_FEATURES) for (const c of f.of) expect(FEATURE_NAMES).toContain(c);
  });

  it('are ratios of the row’s own values (denominator at least 1; missing stays missing); rows are independent', () => {
    const cols = [
      'ads_7d',
      'ads_30d',
      'ads_90d',
      'complaints_7d',
      'complaints_30d',
      'complaints_90d',
      'complaint_trouble_90d',
    ];
    const x = createMatrix(3, cols.length, cols);
    x.data.set([3, 12, 30, 0, 0, 0, 0], 0);
    x.data.set([1, 1, 1, 2, 4, 8, 6], cols.length);
    x.data.set([Number.NaN, 5, 5, 0, 0, 0, 0], 2 * cols.length);
    const d = withDerived(x);
    expect(d.columns).toEqual([...cols, ...DERIVED_NAMES]);
    const v = (r: number, name: string) => d.data[r * d.cols + d.columns.indexOf(name)]!;
    expect(v(0, 'ads_7d_share_30d')).toBeCloseTo(0.25);
    expect(v(0, 'complaints_7d_share_30d')).toBe(0);
    expect(v(1, 'complaints_30d_share_90d')).toBeCloseTo(0.5);
    expect(v(1, 'trouble_share_90d')).toBeCloseTo(0.75);
    expect(Number.isNaN(v(2, 'ads_7d_share_30d'))).toBe(true);
    // one row alone gives the same values as within the matrix (no information across rows or days)
    const one = createMatrix(1, cols.length, cols);
    one.data.set(x.data.subarray(cols.length, 2 * cols.length));
    expect(Array.from(withDerived(one).data)).toEqual(
      Array.from(d.data.subarray(d.cols, 2 * d.cols)),
    );
    expect(withDerived(d)).toBe(d);
  });
});
