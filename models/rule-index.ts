/**
 * The rule index (冒烟指数-style): weighted indicators that need no labels. It ranks alone when no
 * model is active, and is reported beside every model.
 *
 * Each indicator maps one or more features to [0, 1]; the index is Σ weight·indicator / Σ weight,
 * so it lies in [0, 1]. Contributions are per feature (an indicator over several features shares
 * its part in proportion to them) and sum to the index exactly, so reasons read the same way as a
 * model's. The weights are a regulator's prior, written down here, not fitted:
 *
 *   indicator                          features                         → [0,1]                 weight
 *   承诺收益远高于基准                   ad_yield_ratio_90d               (ratio − 1.5) / 4.5       3
 *   保本保息 / 无风险承诺                 ad_flag_guaranteed_90d           hits / 3                 3
 *   返利、拉人头                         ad_flag_referral_90d             hits / 3                 2
 *   集资题材（养老、原始股、区块链、消费返还、  ad_flag_{elderly, equity, crypto, consumption_rebate,
 *     政府背书、会销礼品、理财产品）         gov_endorsement, seminar, wealth_product}_90d  Σ / 5       2
 *   话术种类多                           ad_flag_families_90d             families / 4             1
 *   广告激增                             ads_growth_30d (when ads_30d ≥ 5) growth / 3              1
 *   兑付困难投诉                         complaint_trouble_90d            complaints / 3           3
 *   投诉量                               complaints_30d                   complaints / 10          1
 *   无牌照使用金融字样                    finance_words_unlicensed         0 / 1                    2
 *   近期更名为金融类                      renamed_to_finance_180d          0 / 1                    2
 *   新成立                               age_days                         < 1 y: 1, < 2 y: 0.5     1
 *   实缴资本低                           paid_in_ratio                    < 10 %: 1, unknown: 0.5  1
 *   关联已认定案件                        confirmed_distance               1 step: 1, 2 steps: 0.5  2
 *
 * (Values are clamped to [0, 1]; a missing feature counts 0 unless stated.)
 */
import type { Contributions } from './classifier.ts';
import type { Matrix } from './matrix.ts';
import { ModelError } from './errors.ts';

const clamp = (v: number) => (Number.isNaN(v) ? 0 : v < 0 ? 0 : v > 1 ? 1 : v);

interface Indicator {
  label: string;
  features: readonly string[];
  weight: number;
  /** The indicator in [0, 1] from the features' values (same order as `features`). */
  value(v: readonly number[]): number;
}

const THEMES = [
  'ad_flag_elderly_90d',
  'ad_flag_equity_90d',
  'ad_flag_crypto_90d',
  'ad_flag_consumption_rebate_90d',
  'ad_flag_gov_endorsement_90d',
  'ad_flag_seminar_90d',
  'ad_flag_wealth_product_90d',
] as const;

export const RULE_INDICATORS: readonly Indicator[] = [
  {
    label: '承诺收益远高于基准',
    features: ['ad_yield_ratio_90d'],
    weight: 3,
    value: ([r]) => clamp((r! - 1.5) / 4.5),
  },
  {
    label: '保本保息/无风险承诺',
    features: ['ad_flag_guaranteed_90d'],
    weight: 3,
    value: ([h]) => clamp(h! / 3),
  },
  {
    label: '返利、拉人头',
    features: ['ad_flag_referral_90d'],
    weight: 2,
    value: ([h]) => clamp(h! / 3),
  },
  {
    label: '集资题材',
    features: THEMES,
    weight: 2,
    value: (v) => clamp(v.reduce((s, x) => s + (Number.isNaN(x) ? 0 : x), 0) / 5),
  },
  {
    label: '话术种类多',
    features: ['ad_flag_families_90d'],
    weight: 1,
    value: ([n]) => clamp(n! / 4),
  },
  {
    label: '广告激增',
    features: ['ads_growth_30d', 'ads_30d'],
    weight: 1,
    value: ([g, n]) => (n! >= 5 ? clamp(g! / 3) : 0),
  },
  {
    label: '兑付困难投诉',
    features: ['complaint_trouble_90d'],
    weight: 3,
    value: ([n]) => clamp(n! / 3),
  },
  { label: '投诉量', features: ['complaints_30d'], weight: 1, value: ([n]) => clamp(n! / 10) },
  {
    label: '无牌照使用金融字样',
    features: ['finance_words_unlicensed'],
    weight: 2,
    value: ([x]) => clamp(x!),
  },
  {
    label: '近期更名为金融类',
    features: ['renamed_to_finance_180d'],
    weight: 2,
    value: ([x]) => clamp(x!),
  },
  {
    label: '新成立',
    features: ['age_days'],
    weight: 1,
    value: ([d]) => (Number.isNaN(d!) ? 0 : d! < 365 ? 1 : d! < 730 ? 0.5 : 0),
  },
  {
    label: '实缴资本低',
    features: ['paid_in_ratio'],
    weight: 1,
    value: ([p]) => (Number.isNaN(p!) ? 0.5 : p! < 0.1 ? 1 : 0),
  },
  {
    label: '关联已认定案件',
    features: ['confirmed_distance'],
    weight: 2,
    value: ([d]) => (d === 1 ? 1 : d === 2 ? 0.5 : 0),
  },
];

const TOTAL_WEIGHT = RULE_INDICATORS.reduce((s, i) => s + i.weight, 0);

/** Features the rule index reads. */
export const RULE_FEATURES: readonly string[] = [
  ...new Set(RULE_INDICATORS.flatMap((i) => i.features)),
];

function columnIndex(x: Matrix): number[] {
  return RULE_FEATURES.map((f) => {
    const j = x.columns.indexOf(f);
    if (j < 0) throw new ModelError('input_invalid', `[rule-index] the matrix lacks feature ${f}`);
    return j;
  });
}

/** Per-feature contributions of one row (bias 0); they sum to the row's index. */
export function ruleContributions(x: Matrix, row: number): Contributions {
  const idx = columnIndex(x);
  const pos = new Map(RULE_FEATURES.map((f, k) => [f, idx[k]!]));
  const values = new Float64Array(x.cols);
  let total = 0;
  for (const ind of RULE_INDICATORS) {
    const v = ind.features.map((f) => x.data[row * x.cols + pos.get(f)!]!);
    const part = (ind.weight * ind.value(v)) / TOTAL_WEIGHT;
    if (part === 0) continue;
    total += part;
    // share among the indicator's features in proportion to their (non-negative) values
    const own =
      ind.features.length === 1 ? [1] : v.map((x2) => (Number.isNaN(x2) || x2 <= 0 ? 0 : x2));
    const sum = own.reduce((s, w) => s + w, 0);
    ind.features.forEach((f, k) => {
      const share = sum > 0 ? own[k]! / sum : k === 0 ? 1 : 0;
      values[pos.get(f)!]! += part * share;
    });
  }
  return { bias: 0, values, prediction: total, columns: x.columns };
}

/** The rule index of every row, in [0, 1]. */
export function ruleIndex(x: Matrix): Float64Array {
  const out = new Float64Array(x.rows);
  for (let i = 0; i < x.rows; i++) out[i] = ruleContributions(x, i).prediction;
  return out;
}

export const RULE_INDEX_COLUMN = 'rule_index';

/** The matrix with the rule index appended as a column (a model may learn on top of the prior). */
export function withRuleIndex(x: Matrix): Matrix {
  if (x.columns.includes(RULE_INDEX_COLUMN)) return x;
  const r = ruleIndex(x);
  const cols = x.cols + 1;
  const data = new Float32Array(x.rows * cols);
  for (let i = 0; i < x.rows; i++) {
    data.set(x.data.subarray(i * x.cols, (i + 1) * x.cols), i * cols);
    data[i * cols + x.cols] = r[i]!;
  }
  return { data, rows: x.rows, cols, columns: [...x.columns, RULE_INDEX_COLUMN] };
}
