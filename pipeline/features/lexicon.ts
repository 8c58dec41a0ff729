/**
 * The red-flag lexicon (非法集资 warning phrases) and a fast matcher that returns hits with offsets
 * in the ORIGINAL text, so the dashboard can highlight them.
 *
 * Matching: one Aho-Corasick automaton over all terms (normalised with `normalizeText`, so
 * full-width and Chinese-numeral variants match), run on the normalised text; spaces inside a
 * term are skipped ("保 本 保 息" matches 保本保息). Overlaps resolve to the longest match (ties: the
 * leftmost). A few BLOCKERS are matched like terms but produce no hit: they exist only to win the
 * longest-match contest, e.g. 人民币 / 货币 beat the crypto term 币. Latin terms (usdt, ico, p2p)
 * only match as whole words: ico does not match inside GEICO.
 *
 * Negation and warnings (cheap, local, documented rather than clever):
 *  - handled: a negator immediately before the term (spaces and quote marks skipped):
 *    不 非 无 未 没 没有 不是 并非 并不 绝非 不会 不能 不得 不可 不承诺 不保证 不提供 不搞 禁止 严禁 杜绝
 *    → 不保本, 非保本, 不承诺保本保息, 不保证收益 do not count.
 *  - handled: warning context — 谨防 警惕 防范 提防 当心 小心 远离 识破 打击 严打 切勿 莫信 别信 拒绝
 *    举报 揭露 以…为诱饵 up to 16 characters before the term within the same sentence
 *    (no 。.!?;！？； or line break in between): "警惕高额回报、保本保息等陷阱" counts nothing.
 *    Not applied to the trouble family (complaints say "举报…跑路", "拒绝兑付后失联").
 *    Anti-fraud publicity is full of red-flag words; scoring it as an ad would be wrong.
 *  - NOT handled: negation after the term (保本？不存在的), double negation (不是不保本), scope
 *    across clauses (我们不是银行，但保本保息 counts 保本保息, which is right, but 不，保本 does
 *    too), irony, and negation of the trouble family in complaints (没有跑路 is negated like any
 *    other term; 至今没有兑付 is not: 兑付 alone is not a term, and 没有兑付 is listed as trouble).
 *  - Terms that contain their own negation (稳赚不赔, 无风险, 无法兑付) are whole terms and are not
 *    affected by the rules above unless preceded by a negator themselves.
 */
import { normalizeText, type NormalizedText } from './normalize-text.ts';

export type RedFlagFamilyId =
  | 'guaranteed'
  | 'high_yield'
  | 'referral'
  | 'elderly'
  | 'equity'
  | 'crypto'
  | 'consumption_rebate'
  | 'gov_endorsement'
  | 'trouble'
  | 'seminar'
  | 'wealth_product';

export interface RedFlagFamily {
  readonly id: RedFlagFamilyId;
  readonly label_zh: string;
  readonly description: string;
  /** Relative importance for a rule index (1 = weak context signal, 3 = strong). A hint only. */
  readonly weight: number;
  readonly terms: readonly string[];
}

export interface RedFlagHit {
  readonly family: RedFlagFamilyId;
  /** The lexicon term as listed (not the matched surface form). */
  readonly term: string;
  /** Offsets in the ORIGINAL text (UTF-16 code units), end exclusive. */
  readonly start: number;
  readonly end: number;
  /** True only when returned with `includeNegated`: the term was negated or in a warning. */
  readonly negated: boolean;
}

export interface FindRedFlagsOptions {
  /** Also return negated / warning-context hits (flagged `negated: true`). Default false. */
  readonly includeNegated?: boolean;
}

// prettier-ignore
export const RED_FLAG_FAMILIES: readonly RedFlagFamily[] = [
  {
    id: 'guaranteed',
    label_zh: '保本保息',
    description: 'Promises that principal and interest are safe: the defining mark of illegal fundraising (承诺还本付息).',
    weight: 3,
    terms: [
      '保本', '保息', '保本保息', '保本付息', '还本付息', '保底', '保底收益', '保本保收益', '零风险',
      '无风险', '稳赚不赔', '只赚不赔', '稳赚', '本金无忧', '本金安全', '本息保障', '本息无忧',
      '刚性兑付', '刚兑', '承诺回购', '到期回购', '保证收益', '固定回报', '保本保值', '百分百安全',
      '100%安全', '包赚', '保证本金', '本金保障', '兜底', '担保公司全额担保', '风险保障金',
      '100%本息保障', '零风险高回报',
    ],
  },
  {
    id: 'high_yield',
    label_zh: '高收益',
    description: 'Promised returns, interest or dividends, typically far above bank deposit and LPR rates.',
    weight: 2,
    terms: [
      '高额回报', '高回报', '高收益', '高息', '高利', '年化', '年化收益', '年化收益率', '年化利率',
      '日息', '月息', '周息', '日收益', '月收益', '日返', '月返', '稳定收益', '固定收益', '每月分红',
      '分红', '利滚利', '复利', '躺赚', '坐享收益', '一年翻倍', '翻倍', '回本快', '收益可观',
      '收益翻番', '月入过万', '高息揽储', '超高收益', '收益稳定', '每日返息', '按月付息', '先息后本',
    ],
  },
  {
    id: 'referral',
    label_zh: '返利/拉人头',
    description: 'Rewards for recruiting investors and multi-level structures (pyramid / Ponzi mechanics).',
    weight: 3,
    terms: [
      '推荐奖励', '推荐奖', '拉新', '拉人头', '发展下线', '拉下线', '上下线', '下线提成', '团队奖', '团队奖励',
      '层级', '层级奖励', '静态收益', '动态收益', '直推', '间推', '见点奖', '对碰奖', '管理奖',
      '级差', '代理返佣', '返佣', '返利', '邀请奖励', '分享赚钱', '躺赚佣金', '会员等级', '多级分销',
      '人传人', '裂变', '排单', '互助盘', '资金盘', '公排', '滑落', '拆分盘', '锁粉',
    ],
  },
  {
    id: 'elderly',
    label_zh: '养老',
    description: 'Schemes aimed at the elderly: prepaid care beds, pension products, 以房养老.',
    weight: 2,
    terms: [
      '养老公寓', '以房养老', '养老床位', '床位认购', '养老服务', '养老投资', '养老项目', '养老基金',
      '养老产业', '候鸟式养老', '旅居养老', '养老会员', '养老保障', '颐养', '康养', '养老理财',
      '养老院入住权', '老年公寓',
    ],
  },
  {
    id: 'equity',
    label_zh: '原始股/上市',
    description: 'Sale of unlisted "original shares" and claims of imminent listing.',
    weight: 2,
    terms: [
      '原始股', '即将上市', '上市前', '准备上市', '上市公司原始股', '股权认购', '股权众筹', '认购股权',
      '内部股', '干股', '股权投资', '挂牌上市', '新三板', '海外上市', '股权转让', '期权激励',
      '上市后翻倍', 'pre-ipo', '股东名额',
    ],
  },
  {
    id: 'crypto',
    label_zh: '区块链/虚拟币',
    description: 'Blockchain, virtual currency, mining and token schemes.',
    weight: 2,
    terms: [
      '区块链', '数字货币', '虚拟货币', '虚拟币', '加密货币', '挖矿', '矿机', '空投', '币', '比特币',
      '以太坊', '泰达币', 'usdt', 'ico', '发币', '代币', '通证', '数字资产', '链上', '元宇宙',
      'nft', '数字藏品', '去中心化', '钱包地址', '币圈', '主流币', '平台币', '算力', '质押挖矿',
    ],
  },
  {
    id: 'consumption_rebate',
    label_zh: '消费返还',
    description: 'Spend-and-get-it-all-back schemes (消费返利, 消费全返).',
    weight: 2,
    terms: [
      '消费全返', '购物返现', '消费养老', '消费返利', '消费返现', '全额返还', '消费积分', '积分返现',
      '购物返利', '消费即投资', '消费增值', '消费资本', '返现', '免费领取', '零元购', '消费入股',
      '买多少返多少',
    ],
  },
  {
    id: 'gov_endorsement',
    label_zh: '政府背书',
    description: 'Claims of government, state or central-enterprise backing to borrow credibility.',
    weight: 1.5,
    terms: [
      '政府支持', '国家扶持', '央企合作', '领导视察', '政府背书', '国家支持', '国资背景', '央企背景',
      '政府批准', '政府扶持', '国家项目', '国家战略', '政策扶持', '政府监管', '银行托管', '银行存管',
      '国家认证', '扶贫项目', '国家政策', '领导莅临', '与政府合作',
    ],
  },
  {
    id: 'trouble',
    label_zh: '提现困难/兑付',
    description: 'Withdrawal and repayment trouble — used for complaints (a collapsing scheme).',
    weight: 3,
    terms: [
      '提现困难', '延期兑付', '无法兑付', '跑路', '失联', '爆雷', '暴雷', '无法提现', '提不出来',
      '逾期未兑付', '拒绝兑付', '停止兑付', '不能提现', '老板跑路', '人去楼空', '关门', '血本无归',
      '联系不上', '没有兑付', '拖欠本金', '到期不还', '退不了钱', '被骗', '诈骗', '立案', '报案',
      '维权', '逾期', '提现失败', '资金链断裂',
    ],
  },
  {
    id: 'seminar',
    label_zh: '会销/礼品',
    description: 'Seminar-style sales and free gifts used to draw in (mostly elderly) investors.',
    weight: 1,
    terms: [
      '免费旅游', '送鸡蛋', '讲座', '答谢会', '免费体检', '免费礼品', '赠送礼品', '推介会', '说明会',
      '茶话会', '老年旅游', '免费午餐', '健康讲座', '投资讲座', '理财讲座', '领鸡蛋', '送米送油',
      '免费领', '签到送礼', '实地考察', '免费考察', '参观基地',
    ],
  },
  {
    id: 'wealth_product',
    label_zh: '供应链金融/理财',
    description: 'Finance-product language: wealth management, debt transfer, private funds, pooling.',
    weight: 1,
    terms: [
      '理财产品', '债权转让', '私募', '资金池', '供应链金融', '投资理财', '理财', '私募基金', '定投',
      '委托理财', '代客理财', '集资', '融资', '借贷', 'p2p', '网贷', '众筹', '投资项目', '投资回报',
      '项目投资', '合伙人', '入股', '认购', '收益权', '应收账款', '票据理财', '信托', '资产管理',
      '财富管理', '民间借贷', '小额贷款', '投资咨询', '基金', '存单', '起投',
    ],
  },
];

/** Matched like terms but never reported: they beat shorter terms in the longest-match rule. */
// prettier-ignore
export const RED_FLAG_BLOCKERS: readonly string[] = [
  '人民币', '货币', '港币', '硬币', '金币', '外币', '纪念币', '游戏币', '币种', '本币', 'q币', '钱币',
  '欧元币', '台币', '货币基金', '币值', '新品上市', '上线时间', '下线时间', '关门时间', '层级分明',
];

// prettier-ignore
const NEGATORS = [
  '不', '非', '无', '未', '没', '没有', '不是', '并非', '并不', '绝非', '不会', '不能', '不得', '不可',
  '不承诺', '不保证', '不提供', '不搞', '禁止', '严禁', '杜绝',
];
// prettier-ignore
const WARNINGS = [
  '谨防', '警惕', '防范', '提防', '当心', '小心', '远离', '识破', '打击', '严打', '切勿', '莫信', '别信',
  '拒绝', '举报', '揭露', '为诱饵',
];
const WARNING_WINDOW = 16;
const SENTENCE_BREAK_CODES = new Set([...'.。!?;！？；\n'].map((c) => c.charCodeAt(0)));
const SKIP_BEFORE = /[\s"'“”‘’「」『』《》<>()（）]/;

export const RED_FLAG_TERM_COUNT = RED_FLAG_FAMILIES.reduce((n, f) => n + f.terms.length, 0);

/** All lexicon terms (for segmentation dictionaries), in family order. */
export function lexiconTerms(): string[] {
  return RED_FLAG_FAMILIES.flatMap((f) => f.terms);
}

export function familyById(id: RedFlagFamilyId): RedFlagFamily {
  const f = RED_FLAG_FAMILIES.find((x) => x.id === id);
  if (!f) throw new Error(`unknown red-flag family ${id}`);
  return f;
}

// ---------------------------------------------------------------------------------------------
// Aho-Corasick automaton over normalised terms.

interface Pattern {
  readonly term: string;
  readonly family: RedFlagFamilyId | null; // null = blocker
  readonly length: number; // in normalised, space-free code units
  readonly latinStart: boolean;
  readonly latinEnd: boolean;
}

function isAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 122);
}

interface Automaton {
  /** Transitions from the root, indexed by UTF-16 code unit (0 = none). */
  readonly root: Int32Array;
  /** Other transitions, keyed state * 0x10000 + code unit. */
  readonly goto: Map<number, number>;
  readonly fail: Int32Array;
  /** Pattern ids ending at each state, including those reached by failure links. */
  readonly out: (readonly number[])[];
  readonly patterns: readonly Pattern[];
}

function buildAutomaton(): Automaton {
  const patterns: Pattern[] = [];
  const keys: string[] = [];
  const seen = new Set<string>();
  const add = (term: string, family: RedFlagFamilyId | null): void => {
    const key = normalizeText(term).text.replace(/\s+/g, '');
    if (key === '' || seen.has(key)) return;
    seen.add(key);
    patterns.push({
      term,
      family,
      length: key.length,
      latinStart: isAlnum(key.charCodeAt(0)),
      latinEnd: isAlnum(key.charCodeAt(key.length - 1)),
    });
    keys.push(key);
  };
  for (const f of RED_FLAG_FAMILIES) for (const t of f.terms) add(t, f.id);
  for (const b of RED_FLAG_BLOCKERS) add(b, null);

  const next: Map<number, number>[] = [new Map<number, number>()];
  const outLists: number[][] = [[]];
  keys.forEach((key, pid) => {
    let s = 0;
    for (let i = 0; i < key.length; i++) {
      const c = key.charCodeAt(i);
      let t = next[s]!.get(c);
      if (t === undefined) {
        t = next.length;
        next.push(new Map<number, number>());
        outLists.push([]);
        next[s]!.set(c, t);
      }
      s = t;
    }
    outLists[s]!.push(pid);
  });
  const fail = new Int32Array(next.length);
  const queue: number[] = [];
  for (const t of next[0]!.values()) queue.push(t);
  for (let qi = 0; qi < queue.length; qi++) {
    const s = queue[qi]!;
    for (const [c, t] of next[s]!) {
      let f = fail[s]!;
      while (f !== 0 && !next[f]!.has(c)) f = fail[f]!;
      const ft = next[f]!.get(c);
      fail[t] = ft !== undefined && ft !== t ? ft : 0;
      outLists[t]!.push(...outLists[fail[t]]!);
      queue.push(t);
    }
  }
  const root = new Int32Array(0x10000);
  for (const [c, t] of next[0]!) root[c] = t;
  const goto = new Map<number, number>();
  next.forEach((m, st) => {
    if (st !== 0) for (const [c, t] of m) goto.set(st * 0x10000 + c, t);
  });
  return { root, goto, fail, out: outLists, patterns };
}

let automaton: Automaton | undefined;
function getAutomaton(): Automaton {
  automaton ??= buildAutomaton();
  return automaton;
}

const NEGATOR_LAST = new Set(NEGATORS.map((w) => w.charCodeAt(w.length - 1)));
const WARNING_LAST = new Set(WARNINGS.map((w) => w.charCodeAt(w.length - 1)));

function endsWithAny(
  text: string,
  end: number,
  words: readonly string[],
  last: ReadonlySet<number>,
): boolean {
  if (end === 0 || !last.has(text.charCodeAt(end - 1))) return false;
  for (const w of words) {
    if (end >= w.length && text.startsWith(w, end - w.length)) return true;
  }
  return false;
}

/**
 * Is the match starting at `start` (normalised text) negated or inside a warning? Warning context
 * is not applied to the trouble family: complaints say 举报 / 拒绝兑付 before 跑路.
 */
function isNegated(text: string, start: number, family: RedFlagFamilyId): boolean {
  let p = start;
  while (p > 0 && SKIP_BEFORE.test(text[p - 1]!)) p--;
  if (endsWithAny(text, p, NEGATORS, NEGATOR_LAST)) return true;
  if (family === 'trouble') return false;
  const from = Math.max(0, start - WARNING_WINDOW);
  for (let q = start; q > from; q--) {
    if (SENTENCE_BREAK_CODES.has(text.charCodeAt(q - 1))) break;
    if (endsWithAny(text, q, WARNINGS, WARNING_LAST)) return true;
  }
  return false;
}

/**
 * Finds red-flag terms in `text` (a raw string or an already normalised text). Offsets refer to
 * the original string. Sorted by start.
 */
export function findRedFlags(
  text: string | NormalizedText,
  options: FindRedFlagsOptions = {},
): RedFlagHit[] {
  const norm = typeof text === 'string' ? normalizeText(text) : text;
  const s = norm.text;
  const { root, goto, fail, out, patterns } = getAutomaton();
  // Candidates as (start, end, pid) in normalised offsets; positions of non-space chars kept so
  // that terms spelled with spaces inside still map to correct starts.
  const cand: number[] = [];
  const pos: number[] = [];
  let state = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 32) continue;
    pos.push(i);
    let t: number | undefined;
    while (state !== 0) {
      t = goto.get(state * 0x10000 + c);
      if (t !== undefined) break;
      state = fail[state]!;
    }
    state = state === 0 ? root[c]! : t!;
    if (state === 0) continue;
    const o = out[state]!;
    for (let k = 0; k < o.length; k++) {
      const pid = o[k]!;
      const len = patterns[pid]!.length;
      cand.push(pos[pos.length - len]!, i + 1, pid);
    }
  }
  if (cand.length === 0) return [];
  // Longest first, then leftmost; accept when not overlapping an accepted match.
  const order: number[] = [];
  for (let k = 0; k < cand.length; k += 3) order.push(k);
  order.sort((a, b) => {
    const la = patterns[cand[a + 2]!]!.length;
    const lb = patterns[cand[b + 2]!]!.length;
    return lb - la || cand[a]! - cand[b]!;
  });
  const taken = new Uint8Array(s.length);
  const hits: RedFlagHit[] = [];
  for (const k of order) {
    const a = cand[k]!;
    const b = cand[k + 1]!;
    const pat = patterns[cand[k + 2]!]!;
    // Latin terms (usdt, ico, p2p) must not sit inside a longer word (GEICO).
    if (pat.latinStart && a > 0 && isAlnum(s.charCodeAt(a - 1))) continue;
    if (pat.latinEnd && b < s.length && isAlnum(s.charCodeAt(b))) continue;
    let free = true;
    for (let p = a; p < b; p++) {
      if (taken[p] === 1) {
        free = false;
        break;
      }
    }
    if (!free) continue;
    taken.fill(1, a, b);
    if (pat.family === null) continue;
    const negated = isNegated(s, a, pat.family);
    if (negated && options.includeNegated !== true) continue;
    const span = norm.toOriginal(a, b);
    hits.push({ family: pat.family, term: pat.term, start: span.start, end: span.end, negated });
  }
  hits.sort((x, y) => x.start - y.start || y.end - x.end);
  return hits;
}

/** Hit counts per family (every family present, zero when absent). */
export function countByFamily(hits: readonly RedFlagHit[]): Record<RedFlagFamilyId, number> {
  const counts = Object.fromEntries(RED_FLAG_FAMILIES.map((f) => [f.id, 0])) as Record<
    RedFlagFamilyId,
    number
  >;
  for (const h of hits) if (!h.negated) counts[h.family] += 1;
  return counts;
}
