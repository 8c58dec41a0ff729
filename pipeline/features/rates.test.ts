import { describe, expect, it } from 'vitest';
import { BENCHMARK_RATES, benchmarkOn, benchmarkRateOn, yieldDeviation } from './rates.ts';

describe('benchmarkRateOn', () => {
  it.each([
    ['2015-10-23', 4.6],
    ['2015-10-24', 4.35],
    ['2019-08-19', 4.35],
    ['2019-08-20', 4.25],
    ['2019-09-19', 4.25],
    ['2019-09-20', 4.2],
    ['2020-04-19', 4.05],
    ['2020-04-20', 3.85],
    ['2021-12-19', 3.85],
    ['2021-12-20', 3.8],
    ['2022-01-20', 3.7],
    ['2022-08-21', 3.7],
    ['2022-08-22', 3.65],
    ['2023-06-20', 3.55],
    ['2023-08-21', 3.45],
    ['2024-07-22', 3.35],
    ['2024-10-20', 3.35],
    ['2024-10-21', 3.1],
    ['2025-05-19', 3.1],
    ['2025-05-20', 3.0],
    ['2026-11-25', 3.0],
  ])('%s → %d %%', (date, pct) => {
    expect(benchmarkRateOn(date)).toBe(pct);
  });

  it('tells LPR from the old benchmark lending rate', () => {
    expect(benchmarkOn('2019-08-19').kind).toBe('benchmark_lending_1y');
    expect(benchmarkOn('2019-08-20').kind).toBe('lpr_1y');
  });

  it('table is sorted, dates valid', () => {
    for (let i = 1; i < BENCHMARK_RATES.length; i++) {
      expect(BENCHMARK_RATES[i]!.from > BENCHMARK_RATES[i - 1]!.from).toBe(true);
    }
  });

  it('rejects bad dates and dates before the table', () => {
    expect(() => benchmarkRateOn('2024/01/01')).toThrow(RangeError);
    expect(() => benchmarkRateOn('2024-02-30')).toThrow(RangeError);
    expect(() => benchmarkRateOn('2010-01-01')).toThrow(/no benchmark rate/);
  });
});

describe('yieldDeviation', () => {
  it('is a ratio to the benchmark of that day', () => {
    expect(yieldDeviation(12, '2024-01-02')).toBeCloseTo(12 / 3.45, 10);
    expect(yieldDeviation(36, '2025-06-01')).toBe(12);
    expect(yieldDeviation(0, '2020-01-01')).toBe(0);
  });
});
