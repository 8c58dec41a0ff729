/**
 * Feature tables from the public datasets in ../shared/datasets (see its README), for
 * bench/real-data.ts. Read-only: nothing here is written into the repository.
 *
 * ccf2020-illegal-fundraising: one row per labelled enterprise (entprise_info.csv, 14,865),
 *   aggregates of annual_report_info, tax_info, news_info and other_info per id. Enterprises
 *   absent from a table get NaN for its features (and 0 for its row count).
 * p2p-wdzj-2018: one row per platform of status.csv. Label 1 = 问题平台 (status.csv) or 跑路 /
 *   提现困难 / 经侦介入 (company_list.csv); 0 = normal; 停业或转型 is left out. Two feature sets:
 *   'registration' — province, city, registration date, name keywords (facts known at
 *   registration); 'registration+background+monthly' adds background (民营系 …) and 2017 monthly
 *   aggregates. Caution: wdzj shows background and monthly figures almost only for platforms still
 *   operating in 2018 (369 of 370 platforms with a background are normal), so those columns
 *   encode the outcome; the second set is reported for completeness, not as a fair estimate.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCsvObjects } from '../models/csv.ts';

export interface Table {
  name: string;
  ids: string[];
  labels: Uint8Array;
  columns: string[];
  /** rows × columns, NaN = missing. */
  values: Float64Array[];
}

const num = (s: string | undefined): number => {
  if (s === undefined) return Number.NaN;
  const t = s.trim();
  return t === '' ? Number.NaN : Number(t);
};

const day = (s: string | undefined): number => {
  const m = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})/.exec((s ?? '').trim());
  return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / 86_400_000 : Number.NaN;
};

/** Per-id accumulator of named features. */
class Aggregates {
  readonly byId = new Map<string, Map<string, number[]>>();
  add(id: string, key: string, v: number): void {
    if (Number.isNaN(v)) return;
    let m = this.byId.get(id);
    if (!m) this.byId.set(id, (m = new Map<string, number[]>()));
    const list = m.get(key);
    if (list) list.push(v);
    else m.set(key, [v]);
  }
  get(id: string, key: string): number[] {
    return this.byId.get(id)?.get(key) ?? [];
  }
}

const max = (v: number[]): number => (v.length ? Math.max(...v) : Number.NaN);
const min = (v: number[]): number => (v.length ? Math.min(...v) : Number.NaN);
const mean = (v: number[]): number =>
  v.length ? v.reduce((s, x) => s + x, 0) / v.length : Number.NaN;
const sum = (v: number[]): number => (v.length ? v.reduce((s, x) => s + x, 0) : Number.NaN);

function read(dir: string, file: string): Record<string, string>[] {
  return parseCsvObjects(readFileSync(join(dir, file), 'utf8'));
}

export function ccfTable(root: string): Table {
  const dir = join(root, 'ccf2020-illegal-fundraising');
  const labels = read(dir, 'entprise_info.csv');
  const cols: string[] = [];
  const feats = new Map<string, Map<string, number>>();
  const set = (id: string, col: string, v: number): void => {
    if (!cols.includes(col)) cols.push(col);
    let m = feats.get(id);
    if (!m) feats.set(id, (m = new Map<string, number>()));
    m.set(col, v);
  };
  const ids = labels.map((r) => r['id']!);
  const idSet = new Set(ids);

  // Annual reports.
  const ar = new Aggregates();
  const arCount = new Map<string, number>();
  const numericAr = [
    'FUNDAM',
    'EMPNUM',
    'COLGRANUM',
    'RETSOLNUM',
    'DISPERNUM',
    'UNENUM',
    'COLEMPLNUM',
    'RETEMPLNUM',
    'DISEMPLNUM',
    'UNEEMPLNUM',
  ];
  const flagsAr = [
    'STATE',
    'EMPNUMSIGN',
    'WEBSITSIGN',
    'FORINVESTSIGN',
    'STOCKTRANSIGN',
    'PUBSTATE',
    'MEMNUM',
    'FARNUM',
    'ANNNEWMEMNUM',
  ];
  const business: Record<string, number> = { 开业: 1, 歇业: 2, 停业: 3, 清算: 4 };
  const latest = new Map<string, { year: number; row: Record<string, string> }>();
  for (const r of read(dir, 'annual_report_info.csv')) {
    const id = r['id']!;
    if (!idSet.has(id)) continue;
    arCount.set(id, (arCount.get(id) ?? 0) + 1);
    const year = num(r['ANCHEYEAR']);
    ar.add(id, 'year', year);
    for (const c of [...numericAr, ...flagsAr]) ar.add(id, c, num(r[c]));
    const b = business[r['BUSSTNAME'] ?? ''];
    if (b !== undefined) ar.add(id, 'BUSST', b);
    const prev = latest.get(id);
    if (!prev || year > prev.year) latest.set(id, { year, row: r });
  }
  // Tax.
  const tax = new Aggregates();
  const taxCount = new Map<string, number>();
  const taxCats = new Map<string, Set<string>>();
  const topCats = [
    '个人所得税',
    '印花税',
    '城市维护建设税',
    '营业税',
    '城镇土地使用税',
    '企业所得税',
    '土地增值税',
    '房产税',
  ];
  for (const r of read(dir, 'tax_info.csv')) {
    const id = r['id']!;
    if (!idSet.has(id)) continue;
    taxCount.set(id, (taxCount.get(id) ?? 0) + 1);
    const cats = taxCats.get(id) ?? new Set<string>();
    cats.add(r['TAX_CATEGORIES'] ?? '');
    taxCats.set(id, cats);
    tax.add(id, 'amount', num(r['TAX_AMOUNT']));
    tax.add(id, 'basis', num(r['TAXATION_BASIS']));
    tax.add(id, 'rate', num(r['TAX_RATE']));
    tax.add(id, 'deduction', num(r['DEDUCTION']));
    tax.add(id, 'start', day(r['START_DATE']));
    tax.add(id, 'end', day(r['END_DATE']));
    if ((r['TAX_ITEMS'] ?? '').includes('滞纳金')) tax.add(id, 'late', 1);
    const ci = topCats.indexOf(r['TAX_CATEGORIES'] ?? '');
    if (ci >= 0) tax.add(id, `cat${ci}`, 1);
  }
  // News.
  const news = new Aggregates();
  const sentiment: Record<string, string> = { 积极: 'pos', 中立: 'neu', 消极: 'neg' };
  for (const r of read(dir, 'news_info.csv')) {
    const id = r['id']!;
    if (!idSet.has(id)) continue;
    news.add(id, 'n', 1);
    const s = sentiment[r['positive_negtive'] ?? ''];
    if (s) news.add(id, s, 1);
    news.add(id, 'date', day(r['public_date']));
  }
  // Other.
  const other = new Aggregates();
  for (const r of read(dir, 'other_info.csv')) {
    const id = r['id']!;
    if (!idSet.has(id)) continue;
    for (const c of ['legal_judgment_num', 'brand_num', 'patent_num']) other.add(id, c, num(r[c]));
  }

  for (const id of ids) {
    const n = arCount.get(id) ?? 0;
    set(id, 'ar_count', n);
    set(id, 'ar_year_max', max(ar.get(id, 'year')));
    set(id, 'ar_year_min', min(ar.get(id, 'year')));
    for (const c of numericAr) {
      set(id, `ar_${c}_max`, max(ar.get(id, c)));
      set(id, `ar_${c}_mean`, mean(ar.get(id, c)));
    }
    for (const c of flagsAr) set(id, `ar_${c}_max`, max(ar.get(id, c)));
    for (const c of ['WEBSITSIGN', 'PUBSTATE', 'EMPNUMSIGN'])
      set(id, `ar_${c}_min`, min(ar.get(id, c)));
    set(id, 'ar_busst_max', max(ar.get(id, 'BUSST')));
    const last = latest.get(id);
    set(id, 'ar_last_EMPNUM', num(last?.row['EMPNUM']));
    set(id, 'ar_last_FUNDAM', num(last?.row['FUNDAM']));
    set(id, 'ar_last_busst', business[last?.row['BUSSTNAME'] ?? ''] ?? Number.NaN);

    set(id, 'tax_count', taxCount.get(id) ?? 0);
    set(id, 'tax_categories', taxCats.get(id)?.size ?? 0);
    set(id, 'tax_amount_sum', sum(tax.get(id, 'amount')));
    set(id, 'tax_amount_max', max(tax.get(id, 'amount')));
    set(id, 'tax_amount_mean', mean(tax.get(id, 'amount')));
    set(id, 'tax_basis_max', max(tax.get(id, 'basis')));
    set(id, 'tax_basis_mean', mean(tax.get(id, 'basis')));
    set(id, 'tax_rate_mean', mean(tax.get(id, 'rate')));
    set(id, 'tax_deduction_sum', sum(tax.get(id, 'deduction')));
    set(id, 'tax_first_start', min(tax.get(id, 'start')));
    set(id, 'tax_last_end', max(tax.get(id, 'end')));
    set(id, 'tax_span_days', max(tax.get(id, 'end')) - min(tax.get(id, 'start')));
    set(id, 'tax_late_fees', tax.get(id, 'late').length);
    topCats.forEach((_, ci) => set(id, `tax_cat${ci}`, tax.get(id, `cat${ci}`).length));

    const nn = news.get(id, 'n').length;
    set(id, 'news_count', nn);
    set(id, 'news_pos', news.get(id, 'pos').length);
    set(id, 'news_neu', news.get(id, 'neu').length);
    set(id, 'news_neg', news.get(id, 'neg').length);
    set(id, 'news_neg_share', nn > 0 ? news.get(id, 'neg').length / nn : Number.NaN);
    set(id, 'news_first', min(news.get(id, 'date')));
    set(id, 'news_last', max(news.get(id, 'date')));

    for (const c of ['legal_judgment_num', 'brand_num', 'patent_num'])
      set(id, c, max(other.get(id, c)));
  }
  return {
    name: 'ccf2020',
    ids,
    labels: Uint8Array.from(labels, (r) => (r['label'] === '1' ? 1 : 0)),
    columns: cols,
    values: ids.map((id) => Float64Array.from(cols, (c) => feats.get(id)?.get(c) ?? Number.NaN)),
  };
}

const PROBLEM = new Set(['跑路', '提现困难', '经侦介入']);
const NAME_KEYWORDS = [
  '贷',
  '金融',
  '金服',
  '财富',
  '宝',
  '投资',
  '理财',
  '网',
  '资本',
  '银',
  '融',
  '信',
  '汇',
  '通',
  '盈',
  '钱',
];
const MONTHLY = [
  'investor_0to1w',
  'investor_1to10w',
  'investor_10to100w',
  'investor_100w_up',
  'borrower_0to20w',
  'borrower_20to100w',
  'borrower_100w_up',
  'return_rate_diff_0to1m',
  'return_rate_diff_1to2m',
  'return_rate_diff_2to3m',
  'return_rate_diff_3to6m',
  'return_rate_diff_6m_up',
  'top_ten_borrower_to_repay',
  'top_ten_investor_to_receice',
  'top_fifty_borrower_to_repay',
  'top_fifty_investor_to_receice',
];

export function p2pTables(root: string): Table[] {
  const dir = join(root, 'p2p-wdzj-2018');
  const status = read(dir, 'status.csv');
  const company = new Map(
    read(dir, 'company_list.csv').map((r) => [r['wdzj_plat_id']!, r] as const),
  );
  const monthly = new Aggregates();
  for (const r of read(dir, 'monthly.csv')) {
    // 2017 only: before most of the 2018 collapses (the status columns are never used).
    if (!(r['day'] ?? '').startsWith('2017')) continue;
    const id = r['wdzj_plat_id']!;
    monthly.add(id, 'months', 1);
    for (const c of MONTHLY) monthly.add(id, c, num(r[c]));
  }
  const rows = status.flatMap((r) => {
    const id = r['wdzj_plat_id']!;
    const fine = company.get(id)?.['status'] ?? '';
    let label: number;
    if (r['status'] === '问题平台' || PROBLEM.has(fine)) label = 1;
    else if (r['status'] === 'normal') label = 0;
    else return [];
    return [{ id, label, r, c: company.get(id) }];
  });
  const freq = (key: (x: (typeof rows)[number]) => string): Map<string, number> => {
    const m = new Map<string, number>();
    for (const x of rows) m.set(key(x), (m.get(key(x)) ?? 0) + 1);
    return m;
  };
  const province = (x: (typeof rows)[number]): string =>
    (x.r['register_location'] ?? '').split('|')[0] ?? '';
  const city = (x: (typeof rows)[number]): string => x.r['register_location'] ?? '';
  const provFreq = freq(province);
  const cityFreq = freq(city);
  // Ordinal codes by frequency rank (ties by name) — the same numbers go to both forests.
  const rank = (m: Map<string, number>): Map<string, number> =>
    new Map(
      [...m.entries()]
        .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
        .map(([k], i) => [k, i] as const),
    );
  const provRank = rank(provFreq);
  const cityRank = rank(cityFreq);
  const backgrounds = ['民营系', '国资系', '上市系', '风投系', '银行系'];

  const registration: string[] = [
    'province_rank',
    'province_platforms',
    'city_rank',
    'city_platforms',
    'register_day',
    'register_year',
    'register_month',
    'name_length',
    'name_has_latin',
    'name_has_digit',
    ...NAME_KEYWORDS.map((_, i) => `name_kw${i}`),
  ];
  const extra: string[] = [
    'has_background',
    ...backgrounds.map((_, i) => `background_${i}`),
    'months_2017',
    ...MONTHLY.map((c) => `m2017_${c}_mean`),
  ];
  const regValues = rows.map((x) => {
    const d = day(x.r['register_time']);
    const date = Number.isNaN(d) ? null : new Date(d * 86_400_000);
    const name = x.r['name'] ?? '';
    const p = province(x);
    const c = city(x);
    return [
      p ? provRank.get(p)! : Number.NaN,
      p ? provFreq.get(p)! : Number.NaN,
      c ? cityRank.get(c)! : Number.NaN,
      c ? cityFreq.get(c)! : Number.NaN,
      d,
      date ? date.getUTCFullYear() : Number.NaN,
      date ? date.getUTCMonth() + 1 : Number.NaN,
      [...name].length,
      /[A-Za-z]/.test(name) ? 1 : 0,
      /\d/.test(name) ? 1 : 0,
      ...NAME_KEYWORDS.map((k) => (name.includes(k) ? 1 : 0)),
    ];
  });
  const extraValues = rows.map((x) => {
    const bg = x.c?.['background'] ?? '';
    return [
      bg ? 1 : 0,
      ...backgrounds.map((b) => (bg === b ? 1 : 0)),
      monthly.get(x.id, 'months').length,
      ...MONTHLY.map((c) => mean(monthly.get(x.id, c))),
    ];
  });
  const ids = rows.map((x) => x.id);
  const labels = Uint8Array.from(rows, (x) => x.label);
  return [
    {
      name: 'p2p-wdzj (registration)',
      ids,
      labels,
      columns: registration,
      values: regValues.map((v) => Float64Array.from(v)),
    },
    {
      name: 'p2p-wdzj (+background+monthly, leaky)',
      ids,
      labels,
      columns: [...registration, ...extra],
      values: regValues.map((v, i) => Float64Array.from([...v, ...extraValues[i]!])),
    },
  ];
}
