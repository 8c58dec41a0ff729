/**
 * Derived indicators: ratios of the day's own features that say whether activity is accelerating
 * (this week vs this month, this month vs this quarter) and how much of the complaining is about
 * withdrawals. They use only the row's features as of its day, so they are point in time like
 * them; a forest splits on one feature at a time, so a ratio is new information for it.
 */
import type { Matrix } from '../../models/index.ts';

export interface DerivedFeature {
  readonly name: string;
  readonly label_zh: string;
  /** numerator, denominator (the denominator is at least 1) */
  readonly of: readonly [string, string];
  readonly describe: (v: number) => string;
}

const pct = (v: number) => `${(v * 100).toFixed(0)}%`;

export const DERIVED_FEATURES: readonly DerivedFeature[] = [
  {
    name: 'ads_7d_share_30d',
    label_zh: '近7天广告占近30天比例',
    of: ['ads_7d', 'ads_30d'],
    describe: (v) => `近30天广告中 ${pct(v)} 出现在最近7天`,
  },
  {
    name: 'ads_30d_share_90d',
    label_zh: '近30天广告占近90天比例',
    of: ['ads_30d', 'ads_90d'],
    describe: (v) => `近90天广告中 ${pct(v)} 出现在最近30天`,
  },
  {
    name: 'complaints_7d_share_30d',
    label_zh: '近7天投诉占近30天比例',
    of: ['complaints_7d', 'complaints_30d'],
    describe: (v) => `近30天投诉中 ${pct(v)} 发生在最近7天`,
  },
  {
    name: 'complaints_30d_share_90d',
    label_zh: '近30天投诉占近90天比例',
    of: ['complaints_30d', 'complaints_90d'],
    describe: (v) => `近90天投诉中 ${pct(v)} 发生在最近30天`,
  },
  {
    name: 'trouble_share_90d',
    label_zh: '兑付困难投诉占比',
    of: ['complaint_trouble_90d', 'complaints_90d'],
    describe: (v) => `近90天投诉中 ${pct(v)} 涉及提现困难/无法兑付`,
  },
];

export const DERIVED_NAMES: readonly string[] = DERIVED_FEATURES.map((f) => f.name);

/** The matrix with the derived indicators appended (missing inputs give missing values). */
export function withDerived(x: Matrix): Matrix {
  if (x.columns.includes(DERIVED_NAMES[0]!)) return x;
  const src = DERIVED_FEATURES.map((f) => f.of.map((c) => x.columns.indexOf(c)));
  const cols = x.cols + DERIVED_FEATURES.length;
  const data = new Float32Array(x.rows * cols);
  for (let i = 0; i < x.rows; i++) {
    data.set(x.data.subarray(i * x.cols, (i + 1) * x.cols), i * cols);
    src.forEach(([a, b], k) => {
      const num = a! < 0 ? Number.NaN : x.data[i * x.cols + a!]!;
      const den = b! < 0 ? Number.NaN : x.data[i * x.cols + b!]!;
      data[i * cols + x.cols + k] =
        Number.isNaN(num) || Number.isNaN(den) ? Number.NaN : num / Math.max(1, den);
    });
  }
  return { data, rows: x.rows, cols, columns: [...x.columns, ...DERIVED_NAMES] };
}
