/**
 * Promised-yield extraction: finds the returns an ad promises and annualises them.
 *
 * Runs on `normalizeText` output (half-width, Chinese numerals as digits: 百分之二十 → 20%,
 * 千分之三 → 3‰, 两分 → 2分, 一年 → 1年) and maps every mention back to ORIGINAL offsets.
 *
 * Recognised (in priority order; a later pattern never overlaps an earlier match):
 *  1. per-amount:  每万元每月返300元, 投1万每月返800, 每万元日收益10元, 投资10万元年收益2万元
 *                  → amount / principal per period
 *  2. doubling / payback: 1年翻倍 (100 %), 半年翻倍 (200 %), 3个月回本 (400 %); 翻N倍 counts as
 *                  +N×100 % (N ≥ 2; the colloquial reading is ambiguous — this is the upper one)
 *  3. keyword + rate: 年化 / 年收益 / 年利率 / 年息 / 月息 / 月利率 / 月收益 / 日息 / 日收益 / 周收益 /
 *                  季度收益 / 收益率 / 回报率 / 利息 / 分红 … followed (within 12 characters of filler
 *                  such as 高达, 可达, 为, ：) by a number with a unit %, ‰, ‱, 分 or 厘
 *     and rate + keyword: 12%的年化收益, 15%年收益
 *  Ranges (8%-12%, 8-12%, 8%~12%, 8%至12%) take the UPPER bound and set `range: true`.
 *  分 / 厘 follow the folk convention: 年息1分 = 10 %/yr, 月息1分 = 1 %/month, 日息1分 = 0.1 %/day;
 *  厘 is a tenth of that. N分利 without a period word is monthly (民间借贷 usage).
 *  Annualisation is simple (no compounding): day × 365, week × 52, month × 12, quarter × 4.
 *
 * Deliberately NOT yields (see yield.test.ts): numbers with no yield word (phone numbers, dates,
 * 100%正品, 满100减20, 打8折, 98%好评, 首付30%, 60岁以上), changes rather than levels (增长20%,
 * 年利率上调0.5%, 降息), masked digits (xx%), and LOAN COSTS: 利率 / 利息 / 月息 / 年息 / 日息 within
 * a clause that mentions 贷 / 借款 / 按揭 / 分期 / 房贷 before the keyword (贷款利率4.35%, 借款日息
 * 万分之五) — those are prices charged to borrowers, not returns promised to investors. Words that
 * only promise returns (年化, 收益, 回报) are kept even near 贷 (网贷平台年化12% is a yield). Rates
 * in a clause naming a reference (银行, 存款, 基准, LPR, 国债, 余额宝) are comparisons, skipped.
 */
import { normalizeText, type NormalizedText } from './normalize-text.ts';

export type YieldKind =
  'annual' | 'monthly' | 'daily' | 'weekly' | 'quarterly' | 'per_amount' | 'doubling' | 'payback';

export type YieldPeriod = 'year' | 'quarter' | 'month' | 'week' | 'day' | 'span';

export interface YieldMention {
  /** Simple annualised rate in percent. */
  readonly annualRatePct: number;
  /** The original text of the mention. */
  readonly phrase: string;
  /** Offsets in the ORIGINAL text, end exclusive. */
  readonly start: number;
  readonly end: number;
  readonly kind: YieldKind;
  /** Rate per `period` in percent (for 'span': gain over `spanYears`). */
  readonly periodRatePct: number;
  readonly period: YieldPeriod;
  /** True when the text gave a range and the upper bound was taken. */
  readonly range: boolean;
}

const NUM = String.raw`(\d+(?:\.\d+)?)`;
const UNIT = '(%|‰|‱|分|厘)';
const RANGE_SEP = String.raw`\s*(?:-|~|至|到|—)\s*`;

const PERIODS_PER_YEAR: Readonly<Record<Exclude<YieldPeriod, 'span'>, number>> = {
  year: 1,
  quarter: 4,
  month: 12,
  week: 52,
  day: 365,
};

interface Keyword {
  readonly word: string;
  readonly period: Exclude<YieldPeriod, 'span'>;
  /** A cost word (利率, 利息, 息): skipped in a loan clause. */
  readonly cost: boolean;
}

const KEYWORDS: readonly Keyword[] = [
  ...[
    '预期年化收益率',
    '预期年化收益',
    '预期年化',
    '年化收益率',
    '年化回报率',
    '年化收益',
    '年化回报',
    '年化利率',
    '年化率',
    '年化',
    '年收益率',
    '年回报率',
    '年收益',
    '年回报',
    '年均收益',
    '每年收益',
    '年分红',
    '每年分红',
    '年返',
    '每年返',
    '年利',
    '年化息',
  ].map((word) => ({ word, period: 'year' as const, cost: false })),
  ...['年利率', '年息'].map((word) => ({ word, period: 'year' as const, cost: true })),
  ...[
    '月收益率',
    '月收益',
    '月回报率',
    '月回报',
    '每月收益',
    '月分红',
    '每月分红',
    '每月返',
    '月返',
    '月化',
    '月化收益',
  ].map((word) => ({ word, period: 'month' as const, cost: false })),
  ...['月利率', '月息', '月利'].map((word) => ({ word, period: 'month' as const, cost: true })),
  ...[
    '日收益率',
    '日收益',
    '日回报',
    '每日收益',
    '每天收益',
    '每日返',
    '每天返',
    '日返',
    '天天返',
    '日化',
    '日化收益',
  ].map((word) => ({ word, period: 'day' as const, cost: false })),
  ...['日利率', '日息'].map((word) => ({ word, period: 'day' as const, cost: true })),
  ...['周收益率', '周收益', '周回报', '每周收益', '周返', '周化'].map((word) => ({
    word,
    period: 'week' as const,
    cost: false,
  })),
  ...['周息', '周利率'].map((word) => ({ word, period: 'week' as const, cost: true })),
  ...['季度收益率', '季度收益', '季收益', '季度回报', '季度分红', '每季度收益', '季度返'].map(
    (word) => ({ word, period: 'quarter' as const, cost: false }),
  ),
  ...['季息', '季度利息'].map((word) => ({ word, period: 'quarter' as const, cost: true })),
  // No period word: read as annual (收益率12% in an ad means a yearly rate).
  // 返利 is left out: 消费返利5% is a purchase rebate, not a rate of return.
  ...['预期收益率', '预期收益', '收益率', '回报率', '投资回报', '收益', '回报', '分红'].map(
    (word) => ({ word, period: 'year' as const, cost: false }),
  ),
  ...['利率', '利息'].map((word) => ({ word, period: 'year' as const, cost: true })),
];
const KEYWORD_BY_WORD = new Map(KEYWORDS.map((k) => [k.word, k]));
const KEYWORD_ALT = [...KEYWORDS]
  .map((k) => k.word)
  .sort((a, b) => b.length - a.length)
  .join('|');

/** Words between keyword and number (or in the clause) that make it a change, not a level. */
const CHANGE_WORDS =
  /排名|占比|比重|份额|增长|增加|增幅|提高|提升|上涨|上升|上调|下调|下降|下跌|降低|减少|同比|环比|涨幅|跌幅|降息|加息|超过了/;
const LOAN_CONTEXT = /贷|借款|借钱|按揭|分期|放款|还款/;
const REFERENCE_CONTEXT = /银行|存款|基准|lpr|国债|余额宝|央行|同期/;
/** After the rate: 100%保本 / 100%安全 / 100%到账 are assurances, not rates. */
const ASSURANCE_AFTER = /^\s*(?:的)?(?:保本|保障|有保障|安全|兑付|到账|正品|真实|透明|本金)/;
const CLAUSE_BREAK = /[,，.。;；!！?？\n]/;

const KEYWORD_RE = new RegExp(
  `(${KEYWORD_ALT})([^\\d%。;!?\\n]{0,12}?)${NUM}\\s*${UNIT}?(?:${RANGE_SEP}${NUM}\\s*${UNIT})?`,
  'g',
);
const REVERSE_RE = new RegExp(
  `${NUM}\\s*(%|‰|‱)(?:${RANGE_SEP}${NUM}\\s*(%|‰|‱))?\\s*(?:的|之)?\\s*(?:稳定|固定|超高|高额)?(${KEYWORD_ALT})`,
  'g',
);
const REVERSE_RANGE_RE = new RegExp(
  `${NUM}${RANGE_SEP}${NUM}\\s*(%|‰|‱)\\s*(?:的|之)?\\s*(?:稳定|固定|超高|高额)?(${KEYWORD_ALT})`,
  'g',
);
const FEN_LI_RE = new RegExp(`${NUM}\\s*分(?:利|息|利息)`, 'g');

const PRINCIPAL_VERB = '(?:每|投资?|投入|存入?|认购|购买|买入?|入金|出借|借出|拿出)';
const PERIOD_WORD = '(每个?月|每天|每日|每年|每周|每季度?|一个月|1个月|月|日|天|年|周|季度)';
const RETURN_VERB =
  '(?:可|能|就|即可|稳)?(?:返还|返息|返利|返|收益|利息|分红|回报|领取|领|拿|赚|得|收入|获利|获得)(?:约|高达|可达|为|是|了)?';
const AMOUNT_RE = new RegExp(
  `(${PRINCIPAL_VERB})?\\s*${NUM}?\\s*(万|千)?\\s*(元|块)?\\s*(?:的)?\\s*[,，]?\\s*${PERIOD_WORD}\\s*${RETURN_VERB}\\s*${NUM}\\s*(万|千)?\\s*(元|块)?`,
  'g',
);
const SPAN_RE = new RegExp(
  `(半年|${NUM}\\s*(?:个)?\\s*(年|月|天|日|周|星期))\\s*(?:之内|以内|内|就|即可|可|能|便|左右|就能|就可以|即)*\\s*(翻倍|翻番|翻一倍|翻${NUM}倍|回本|收回本金|本金翻倍)`,
  'g',
);

const GATE_AMOUNT_UNIT = /[万千元块]/;
const GATE_AMOUNT_RETURN = /返|收益|利息|分红|回报|领|拿|赚|得|收入|获/;
const GATE_SPAN = /翻|回本|收回本金/;
const GATE_PERCENT = /[%‰‱]/;
const GATE_FEN = /分(?:利|息)/;

function periodOf(word: string): Exclude<YieldPeriod, 'span'> {
  if (word.includes('月')) return 'month';
  if (word.includes('日') || word.includes('天')) return 'day';
  if (word.includes('周')) return 'week';
  if (word.includes('季')) return 'quarter';
  return 'year';
}

function kindOf(period: Exclude<YieldPeriod, 'span'>): YieldKind {
  switch (period) {
    case 'year':
      return 'annual';
    case 'month':
      return 'monthly';
    case 'day':
      return 'daily';
    case 'week':
      return 'weekly';
    case 'quarter':
      return 'quarterly';
  }
}

/** Rate per period in percent from a number and its unit (分/厘 depend on the period). */
function toPercent(
  value: number,
  unit: string,
  period: Exclude<YieldPeriod, 'span'>,
): number | undefined {
  switch (unit) {
    case '%':
      return value;
    case '‰':
      return value / 10;
    case '‱':
      return value / 100;
    case '分':
      return period === 'year' ? value * 10 : period === 'day' ? value / 10 : value;
    case '厘':
      return period === 'year' ? value : period === 'day' ? value / 100 : value / 10;
    default:
      return undefined;
  }
}

const round = (x: number): number => Math.round(x * 1e6) / 1e6;

/** The clause (between punctuation) containing position `at`, up to `at`. */
function clauseBefore(s: string, at: number, max = 12): string {
  let p = at;
  while (p > 0 && at - p < max && !CLAUSE_BREAK.test(s[p - 1]!)) p--;
  return s.slice(p, at);
}

/** Does the number starting at `a` continue a longer number or masked digits (12x3, x5%)? */
function glued(s: string, a: number): boolean {
  const prev = a > 0 ? s[a - 1]! : '';
  return /[\dx.]/.test(prev);
}

function amountValue(num: string | undefined, mult: string | undefined): number | undefined {
  if (num === undefined && mult === undefined) return undefined;
  const n = num === undefined ? 1 : Number(num);
  return n * (mult === '万' ? 1e4 : mult === '千' ? 1e3 : 1);
}

/**
 * Extracts promised yields from `text` (raw or normalised), sorted by start. Offsets refer to the
 * original text.
 */
export function extractYields(text: string | NormalizedText): YieldMention[] {
  const norm = typeof text === 'string' ? normalizeText(text) : text;
  const s = norm.text;
  if (!/[\d半]/.test(s)) return [];
  const taken = new Uint8Array(s.length);
  const found: YieldMention[] = [];
  const isFree = (a: number, b: number): boolean => {
    for (let p = a; p < b; p++) if (taken[p] === 1) return false;
    return true;
  };
  const add = (
    a: number,
    b: number,
    kind: YieldKind,
    period: YieldPeriod,
    periodRatePct: number,
    annual: number,
    range: boolean,
  ): void => {
    if (!Number.isFinite(annual) || annual <= 0 || !isFree(a, b)) return;
    taken.fill(1, a, b);
    const span = norm.toOriginal(a, b);
    found.push({
      annualRatePct: round(annual),
      phrase: norm.original.slice(span.start, span.end),
      start: span.start,
      end: span.end,
      kind,
      periodRatePct: round(periodRatePct),
      period,
      range,
    });
  };

  // 1. Per-amount returns (gated: the full regex can start anywhere, so it is the slowest).
  const amountGate = GATE_AMOUNT_UNIT.test(s) && GATE_AMOUNT_RETURN.test(s);
  for (const m of amountGate ? s.matchAll(AMOUNT_RE) : []) {
    const [whole, verb, pNum, pMult, pYuan, periodWord, aNum, aMult, aYuan] = m;
    const a = m.index;
    // The principal must be explicit: 每万元, 投1万, 10000元, 投资10万元.
    if (pNum === undefined && pMult === undefined) continue;
    if (verb === undefined && pMult === undefined && pYuan === undefined) continue;
    if (verb === '每' && pNum !== undefined && pMult === undefined && pYuan === undefined) continue;
    if (aYuan === undefined && verb === undefined) continue;
    const principal = amountValue(pNum, pMult);
    const amount = amountValue(aNum, aMult);
    if (principal === undefined || amount === undefined || principal < 100) continue;
    const start = verb === undefined ? a + (whole.length - whole.trimStart().length) : a;
    if (pNum !== undefined && verb === undefined && glued(s, start)) continue;
    const period = periodOf(periodWord!);
    const rate = (amount / principal) * 100;
    add(
      start,
      a + whole.length,
      'per_amount',
      period,
      rate,
      rate * PERIODS_PER_YEAR[period],
      false,
    );
  }

  // 2. Doubling / payback over a span.
  for (const m of GATE_SPAN.test(s) ? s.matchAll(SPAN_RE) : []) {
    const [whole, spanWord, spanNum, spanUnit, outcome, times] = m;
    const a = m.index;
    if (spanNum !== undefined && glued(s, a)) continue;
    let years: number;
    if (spanWord === '半年') years = 0.5;
    else {
      const n = Number(spanNum);
      const unit = spanUnit!;
      years =
        unit === '年'
          ? n
          : unit === '月'
            ? n / 12
            : unit === '周' || unit === '星期'
              ? (n * 7) / 365
              : n / 365;
    }
    if (!(years > 0)) continue;
    const payback = outcome === '回本' || outcome === '收回本金';
    const gain = times !== undefined && Number(times) >= 2 ? Number(times) * 100 : 100;
    add(a, a + whole.length, payback ? 'payback' : 'doubling', 'span', gain, gain / years, false);
  }

  // 3a. Keyword then rate.
  for (const m of s.matchAll(KEYWORD_RE)) {
    const [whole, word, filler, n1, u1, n2, u2] = m;
    const a = m.index;
    const kw = KEYWORD_BY_WORD.get(word!)!;
    const numStart = a + word!.length + filler!.length;
    if (glued(s, numStart)) continue;
    // A 年/月/日 keyword glued to a preceding digit is a date (2026年利率, 3月收益): re-read as
    // the generic word that follows it, if any.
    let period = kw.period;
    let cost = kw.cost;
    if (/^[年月日周]/.test(word!) && a > 0 && /\d/.test(s[a - 1]!)) {
      const rest = word!.slice(1);
      const generic = KEYWORD_BY_WORD.get(rest);
      if (!generic || /^[年月日周]/.test(rest)) continue;
      period = generic.period;
      cost = generic.cost;
    }
    if (CHANGE_WORDS.test(filler!)) continue;
    const clause = clauseBefore(s, a) + word! + filler!;
    if (CHANGE_WORDS.test(clause)) continue;
    if (cost && LOAN_CONTEXT.test(clause)) continue;
    if (REFERENCE_CONTEXT.test(clause)) continue;
    let value = Number(n1);
    let unit = u1;
    let range = false;
    if (n2 !== undefined && u2 !== undefined) {
      range = true;
      value = Math.max(Number(n1), Number(n2));
      unit = u2;
      if (u1 !== undefined && u1 !== u2) {
        // 8%-1分 is nonsense; use the first number and its unit only.
        value = Number(n1);
        unit = u1;
        range = false;
      }
    }
    if (unit === undefined) continue;
    if (ASSURANCE_AFTER.test(s.slice(a + whole.length, a + whole.length + 5))) continue;
    const pct = toPercent(value, unit, period);
    if (pct === undefined) continue;
    add(a, a + whole.length, kindOf(period), period, pct, pct * PERIODS_PER_YEAR[period], range);
  }

  // 3b. Rate then keyword (12%的年化收益), incl. 8-12%年化.
  for (const re of GATE_PERCENT.test(s) ? [REVERSE_RANGE_RE, REVERSE_RE] : []) {
    for (const m of s.matchAll(re)) {
      const a = m.index;
      if (glued(s, a)) continue;
      let value: number;
      let unit: string;
      let word: string;
      let range = false;
      if (re === REVERSE_RANGE_RE) {
        value = Math.max(Number(m[1]), Number(m[2]));
        unit = m[3]!;
        word = m[4]!;
        range = true;
      } else {
        value = Number(m[1]);
        unit = m[2]!;
        word = m[5]!;
        if (m[3] !== undefined && m[4] !== undefined) {
          value = Math.max(value, Number(m[3]));
          unit = m[4];
          range = true;
        }
      }
      const kw = KEYWORD_BY_WORD.get(word)!;
      const clause = clauseBefore(s, a);
      if (CHANGE_WORDS.test(clause)) continue;
      if (kw.cost && LOAN_CONTEXT.test(clause)) continue;
      if (REFERENCE_CONTEXT.test(clause)) continue;
      const pct = toPercent(value, unit, kw.period);
      if (pct === undefined) continue;
      add(
        a,
        a + m[0].length,
        kindOf(kw.period),
        kw.period,
        pct,
        pct * PERIODS_PER_YEAR[kw.period],
        range,
      );
    }
  }

  // 3c. N分利 / N分息 with no period word: monthly (民间借贷).
  for (const m of GATE_FEN.test(s) ? s.matchAll(FEN_LI_RE) : []) {
    const a = m.index;
    if (glued(s, a)) continue;
    const clause = clauseBefore(s, a);
    if (LOAN_CONTEXT.test(clause) || CHANGE_WORDS.test(clause)) continue;
    const pct = Number(m[1]);
    add(a, a + m[0].length, 'monthly', 'month', pct, pct * 12, false);
  }

  found.sort((x, y) => x.start - y.start);
  return found;
}

/** The highest annualised promised yield in `text`, or undefined when none is promised. */
export function maxAnnualYield(text: string | NormalizedText): number | undefined {
  let best: number | undefined;
  for (const y of extractYields(text)) {
    if (best === undefined || y.annualRatePct > best) best = y.annualRatePct;
  }
  return best;
}
