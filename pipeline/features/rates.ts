/**
 * Benchmark rates for judging promised yields: a dated table of China's 1-year reference rate.
 *
 *  - From 2019-08-20: the 1-year Loan Prime Rate (贷款市场报价利率, LPR), published by the National
 *    Interbank Funding Center on the 20th of each month (next business day if a holiday). Listed
 *    only where it changed. Source: PBoC / NIFC monthly LPR announcements (chinamoney.com.cn
 *    "LPR 历史数据"), transcribed by hand — this machine has no internet, so the table could not be
 *    re-checked here; re-verify when extending it.
 *  - Before: the PBoC 1-year benchmark lending rate (金融机构人民币贷款基准利率, 一年以内(含一年);
 *    before 2014-11-22 the 六个月至一年 band), effective dates as announced by PBoC.
 *
 * Dates are Asia/Shanghai business days as 'YYYY-MM-DD'; a rate applies from its effective date
 * (inclusive) until the next entry. Dates after the last entry get the last rate: extend the table
 * when a new LPR is published (last known change here: 2025-05-20, 3.00 %).
 */

export interface BenchmarkRate {
  /** First day (Asia/Shanghai) on which the rate applies, 'YYYY-MM-DD'. */
  readonly from: string;
  /** Annual rate in percent. */
  readonly ratePct: number;
  readonly kind: 'benchmark_lending_1y' | 'lpr_1y';
}

export const BENCHMARK_RATES: readonly BenchmarkRate[] = [
  { from: '2012-07-06', ratePct: 6.0, kind: 'benchmark_lending_1y' },
  { from: '2014-11-22', ratePct: 5.6, kind: 'benchmark_lending_1y' },
  { from: '2015-03-01', ratePct: 5.35, kind: 'benchmark_lending_1y' },
  { from: '2015-05-11', ratePct: 5.1, kind: 'benchmark_lending_1y' },
  { from: '2015-06-28', ratePct: 4.85, kind: 'benchmark_lending_1y' },
  { from: '2015-08-26', ratePct: 4.6, kind: 'benchmark_lending_1y' },
  { from: '2015-10-24', ratePct: 4.35, kind: 'benchmark_lending_1y' },
  { from: '2019-08-20', ratePct: 4.25, kind: 'lpr_1y' },
  { from: '2019-09-20', ratePct: 4.2, kind: 'lpr_1y' },
  { from: '2019-11-20', ratePct: 4.15, kind: 'lpr_1y' },
  { from: '2020-02-20', ratePct: 4.05, kind: 'lpr_1y' },
  { from: '2020-04-20', ratePct: 3.85, kind: 'lpr_1y' },
  { from: '2021-12-20', ratePct: 3.8, kind: 'lpr_1y' },
  { from: '2022-01-20', ratePct: 3.7, kind: 'lpr_1y' },
  { from: '2022-08-22', ratePct: 3.65, kind: 'lpr_1y' },
  { from: '2023-06-20', ratePct: 3.55, kind: 'lpr_1y' },
  { from: '2023-08-21', ratePct: 3.45, kind: 'lpr_1y' },
  { from: '2024-07-22', ratePct: 3.35, kind: 'lpr_1y' },
  { from: '2024-10-21', ratePct: 3.1, kind: 'lpr_1y' },
  { from: '2025-05-20', ratePct: 3.0, kind: 'lpr_1y' },
];

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

function checkDate(date: string): void {
  const m = DATE_RE.exec(date);
  if (!m) throw new RangeError(`[rates] date must be 'YYYY-MM-DD', got ${JSON.stringify(date)}`);
  const d = new Date(`${date}T00:00:00Z`);
  if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== date) {
    throw new RangeError(`[rates] not a calendar date: ${date}`);
  }
}

/** The benchmark entry in force on `date` ('YYYY-MM-DD', Asia/Shanghai day). */
export function benchmarkOn(date: string): BenchmarkRate {
  checkDate(date);
  const first = BENCHMARK_RATES[0]!;
  if (date < first.from) {
    throw new RangeError(`[rates] no benchmark rate before ${first.from}, asked for ${date}`);
  }
  // Binary search for the last entry with from <= date (ISO dates compare as strings).
  let lo = 0;
  let hi = BENCHMARK_RATES.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (BENCHMARK_RATES[mid]!.from <= date) lo = mid;
    else hi = mid - 1;
  }
  return BENCHMARK_RATES[lo]!;
}

/** The 1-year benchmark rate in percent in force on `date` ('YYYY-MM-DD'). */
export function benchmarkRateOn(date: string): number {
  return benchmarkOn(date).ratePct;
}

/**
 * How many times the benchmark a promised annual yield is: yieldPct / benchmark on `date`.
 * 12 % on 2024-01-02 (LPR 3.45 %) → 3.48. A ratio, not a spread, so that it stays comparable
 * across years of falling rates; 4× the LPR is the ceiling Chinese courts protect for private
 * lending since 2020, so ratios above 4 are a strong signal.
 */
export function yieldDeviation(yieldPct: number, date: string): number {
  return yieldPct / benchmarkRateOn(date);
}

/** Court-protected ceiling for private lending (民间借贷) since 2020-08-20: 4 × the 1-year LPR. */
export const PRIVATE_LENDING_CAP_MULTIPLE = 4;
