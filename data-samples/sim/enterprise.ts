/**
 * The life of one enterprise, recomputable from (seed, idx) alone: identity, role, register
 * history, lifecycle of a scheme, and the rates of its ads and complaints. Nothing is kept in
 * memory between enterprises, so a city of any size streams.
 */
import { withUsccCheckChar, USCC_ALPHABET } from '../../pipeline/feeds/uscc.ts';
import type { SimContext } from './config.ts';
import { parseDay } from './dates.ts';
import {
  ENTERPRISE_TYPES,
  INDUSTRIES,
  INDUSTRY_BY_KEY,
  type District,
  type Industry,
} from './lexicon.ts';
import {
  centreAddress,
  mobile,
  companyName,
  makeBrand,
  phone,
  pickDistrict,
  personName,
  pooledPerson,
  streetAddress,
  website,
  type Brand,
  type Suffix,
} from './people.ts';
import { Rng, streamId } from './rng.ts';
import { drawTraits, PRODUCT_ENDINGS, traitsActive, type SchemeTrait } from './traits.ts';

export type Role =
  | 'scheme'
  | 'decoy_bank'
  | 'decoy_fund'
  | 'decoy_insurance'
  | 'decoy_rebate'
  | 'decoy_prepaid'
  | 'decoy_heavy_ads'
  | 'decoy_rename'
  | 'decoy_complaints'
  | 'decoy_lender'
  | 'decoy_shop_rental'
  | 'normal';

export type SchemeTemplate =
  | 'wealth_platform'
  | 'pension'
  | 'consumer_rebate'
  | 'equity'
  | 'crypto'
  | 'supply_chain'
  | 'agri_coop';

export type ChangeField =
  | 'name'
  | 'legal_rep'
  | 'address'
  | 'registered_capital'
  | 'business_scope'
  | 'shareholder'
  | 'industry'
  | 'status'
  | 'other';

export type Status = '存续' | '在业' | '吊销' | '注销' | '迁出' | '停业';

export interface Shareholder {
  name: string;
  kind: 'person' | 'company';
  uscc?: string;
  share_pct: number;
}

export interface State {
  from: number;
  name: string;
  brand: string;
  pinyin: string;
  /** Industry word used in the name (财富管理, 餐饮管理 …). */
  word: string;
  industryCode: string;
  scope: string;
  address: string;
  legalRep: string;
  capital: number;
  paidIn: number | null;
  status: Status;
  phone: string;
  website: string | null;
  etype: string;
  shareholders: Shareholder[];
}

export interface Change {
  day: number;
  field: ChangeField;
  before: string | null;
  after: string | null;
}

export type ComplaintStyle = 'early' | 'late' | 'sparse';
export type YieldStyle = 'high' | 'mild' | 'none';

export interface Lifecycle {
  origin: 'new' | 'renamed';
  promo: number;
  trouble: number;
  collapse: number;
  decided: number;
  complaintStyle: ComplaintStyle;
  yieldStyle: YieldStyle;
  /** Promised annual yield (0.12 = 12 %). */
  annual: number;
  /** Ads per day at full promotion. */
  adRate: number;
  /** Complaints per day before trouble, and at the peak around collapse. */
  pre: number;
  peak: number;
  /** Decay (days) of complaints after collapse. */
  tau: number;
  victims: number;
  /** Quiet-scheme traits (sim/traits.ts); absent when the traits are off. */
  traits?: readonly SchemeTrait[];
  /** `late_complaints`: complaints start this many days before the collapse. */
  lateDays?: number;
  /** `product_named`: the bland business the company registers under (科技, 传媒 …). */
  cover?: Cover;
}

export interface Outcome {
  day: number;
  outcome: 'confirmed' | 'cleared';
}

export interface Plan {
  idx: number;
  uscc: string;
  role: Role;
  /** Scheme template, decoy kind, or industry key for normal enterprises. */
  template: string;
  industry: Industry;
  district: District;
  established: number;
  states: State[];
  changes: Change[];
  life: Lifecycle | null;
  outcome: Outcome | null;
  /** Prepaid business that closes its doors (day), or null. */
  closure: number | null;
  /** Constant ad rate (per day) for non-schemes; complaints per day for non-schemes. */
  adRate: number;
  complaintRate: number;
  /** Product or app name used in ads and complaints. */
  product: string;
  /**
   * `product_named` schemes: the product's own WeChat ID and app domain, printed in ads instead
   * of the company's phone or website (the register does not know them).
   */
  productKeys?: { wechat: string; domain: string };
  /** Franchise and rebate decoys with the traits on: louder return figures in their ads. */
  loud?: true;
}

const BASE = streamId('base');
const HIST = streamId('history');
const TRAITS = streamId('traits');

const FINANCE: Record<string, Industry> = {
  lender: {
    key: 'lender',
    code: 'J6635',
    words: ['小额贷款'],
    scope: ['办理各项小额贷款；办理小企业发展、管理、财务等咨询业务（凭金融许可经营）'],
    consumer: 0.4,
    adShare: 1,
    adRate: 0.3,
    weight: 0,
    ad: 'b2b',
  },
  bank: {
    key: 'bank',
    code: 'J6621',
    words: ['银行'],
    scope: [
      '吸收公众存款；发放短期、中期和长期贷款；办理国内外结算；办理票据承兑与贴现；代理发行、代理兑付、承销政府债券；代理收付款项及代理保险业务；经中国银行业监督管理机构批准的其他业务',
    ],
    consumer: 0.3,
    adShare: 1,
    adRate: 0.3,
    weight: 0,
    ad: 'finance_bank',
  },
  fund: {
    key: 'fund',
    code: 'J6739',
    words: ['基金销售', '证券'],
    scope: ['基金销售；证券投资咨询（须在中国证券投资基金业协会完成登记备案后方可从事经营活动）'],
    consumer: 0.1,
    adShare: 1,
    adRate: 0.3,
    weight: 0,
    ad: 'finance_fund',
  },
  insurance: {
    key: 'insurance',
    code: 'J6852',
    words: ['保险代理', '保险经纪', '人寿保险'],
    scope: ['保险代理业务；保险兼业代理业务（凭许可证经营）'],
    consumer: 0.3,
    adShare: 1,
    adRate: 0.3,
    weight: 0,
    ad: 'finance_insurance',
  },
};

interface TemplateSpec {
  key: SchemeTemplate;
  weight: number;
  industries: readonly string[];
  /** Industry words the scheme puts in its name. */
  words: readonly string[];
  scopeAdd: string;
  code: string;
  renamed: number;
  promo: readonly [number, number];
  trouble: readonly [number, number];
  adRate: readonly [number, number];
  annual: readonly [number, number];
  yields: readonly (readonly [YieldStyle, number])[];
  styles: readonly (readonly [ComplaintStyle, number])[];
  products: readonly string[];
}

export const TEMPLATES: readonly TemplateSpec[] = [
  {
    key: 'wealth_platform',
    weight: 3,
    industries: ['investment', 'software', 'consulting'],
    words: ['财富管理', '资产管理', '投资管理', '金融信息服务', '金融科技', '投资咨询'],
    scopeAdd: '投资管理；资产管理；财富管理咨询；金融信息服务（不含金融业务）',
    code: 'L7212',
    renamed: 0.45,
    promo: [60, 300],
    trouble: [14, 75],
    adRate: [0.15, 0.9],
    annual: [0.1, 0.36],
    yields: [
      ['high', 6],
      ['mild', 3],
      ['none', 1],
    ],
    styles: [
      ['early', 3],
      ['late', 5],
      ['sparse', 2],
    ],
    products: ['宝', '金服', '优选', '财富', '理财', '钱包', '金融'],
  },
  {
    key: 'pension',
    weight: 2,
    industries: ['eldercare', 'health'],
    words: ['养老服务', '健康养老', '康养产业', '养老产业投资'],
    scopeAdd: '养老服务；健康管理；旅居养老服务；养老产业投资',
    code: 'Q8514',
    renamed: 0.35,
    promo: [90, 360],
    trouble: [20, 90],
    adRate: [0.05, 0.35],
    annual: [0.08, 0.2],
    yields: [
      ['high', 2],
      ['mild', 4],
      ['none', 4],
    ],
    styles: [
      ['early', 1],
      ['late', 4],
      ['sparse', 5],
    ],
    products: ['颐养中心', '养老公寓', '康养会员卡', '旅居养老', '健康驿站'],
  },
  {
    key: 'consumer_rebate',
    weight: 2,
    industries: ['ecom', 'software'],
    words: ['电子商务', '网络科技', '商业管理', '数字科技'],
    scopeAdd: '互联网销售；会员服务；消费返利平台运营；商业管理',
    code: 'F5292',
    renamed: 0.3,
    promo: [45, 240],
    trouble: [10, 60],
    adRate: [0.2, 1.0],
    annual: [0.3, 1.2],
    yields: [
      ['high', 5],
      ['mild', 3],
      ['none', 2],
    ],
    styles: [
      ['early', 4],
      ['late', 4],
      ['sparse', 2],
    ],
    products: ['商城', '全返联盟', '优选', '消费宝', '惠购'],
  },
  {
    key: 'equity',
    weight: 1.5,
    industries: ['investment', 'consulting'],
    words: ['股权投资', '投资管理', '投资控股', '实业投资'],
    scopeAdd: '股权投资；投资管理；企业上市咨询',
    code: 'L7212',
    renamed: 0.5,
    promo: [60, 300],
    trouble: [20, 90],
    adRate: [0.03, 0.2],
    annual: [0.5, 3],
    yields: [
      ['high', 5],
      ['mild', 2],
      ['none', 3],
    ],
    styles: [
      ['early', 1],
      ['late', 6],
      ['sparse', 3],
    ],
    products: ['原始股', '股权计划', '上市前认购'],
  },
  {
    key: 'crypto',
    weight: 1.5,
    industries: ['software', 'itconsult'],
    words: ['区块链科技', '数字科技', '网络科技', '信息技术'],
    scopeAdd: '区块链技术相关软件和服务；数字资产管理技术服务；网络技术服务',
    code: 'I6513',
    renamed: 0.35,
    promo: [45, 200],
    trouble: [7, 45],
    adRate: [0.2, 1.2],
    annual: [0.6, 2],
    yields: [
      ['high', 7],
      ['mild', 2],
      ['none', 1],
    ],
    styles: [
      ['early', 3],
      ['late', 5],
      ['sparse', 2],
    ],
    products: ['链', '币', '算力', '矿池', '数字钱包'],
  },
  {
    key: 'supply_chain',
    weight: 1.5,
    industries: ['supplychain', 'wholesale', 'investment'],
    words: ['供应链管理', '供应链金融服务', '商业保理', '供应链'],
    scopeAdd: '供应链管理服务；应收账款管理；商业保理相关咨询；国内贸易代理',
    code: 'L7224',
    renamed: 0.4,
    promo: [90, 360],
    trouble: [20, 90],
    adRate: [0.05, 0.4],
    annual: [0.07, 0.14],
    yields: [
      ['high', 3],
      ['mild', 5],
      ['none', 2],
    ],
    styles: [
      ['early', 2],
      ['late', 5],
      ['sparse', 3],
    ],
    products: ['供应链金融', '应收宝', '保理计划', '票据通'],
  },
  {
    key: 'agri_coop',
    weight: 1,
    industries: ['agri'],
    words: ['农业发展', '生态农业', '农业科技', '农牧发展'],
    scopeAdd: '农业技术推广；牲畜饲养；农产品销售；农业项目投资',
    code: 'A0311',
    renamed: 0.3,
    promo: [60, 300],
    trouble: [20, 90],
    adRate: [0.05, 0.4],
    annual: [0.15, 0.5],
    yields: [
      ['high', 5],
      ['mild', 3],
      ['none', 2],
    ],
    styles: [
      ['early', 2],
      ['late', 5],
      ['sparse', 3],
    ],
    products: ['认养计划', '生态牧场', '托管果园', '合作社'],
  },
];

const INDUSTRY_WEIGHTS = INDUSTRIES.map((i) => [i, i.weight] as const);
const TEMPLATE_WEIGHTS = TEMPLATES.map((x) => [x, x.weight] as const);

const RENAME_WORDS = [
  '科技',
  '投资',
  '数字科技',
  '供应链管理',
  '健康科技',
  '文化传媒',
  '实业',
  '企业管理',
  '智能科技',
  '投资咨询',
];

export interface Basics {
  idx: number;
  role: Role;
  template: string;
  industry: Industry;
  district: District;
  established: number;
  brand: Brand;
  uscc: string;
  name0: string;
  word0: string;
  etype: string;
  life: Lifecycle | null;
}

const ALPHA = USCC_ALPHABET;
const P31_7 = 31 ** 7;
const OLD_CUTOFF = parseDay('2016-01-01');
const EARLIEST = parseDay('1992-01-01');

/** (a * b) mod m without leaving the exact range of doubles (a < 2^22, b < 2^35, m < 2^35). */
function mulmod(a: number, b: number, m: number): number {
  const hi = Math.floor(b / 65536);
  const lo = b % 65536;
  return (((a * hi) % m) * 65536 + a * lo) % m;
}

/** Organisation code: a bijection of idx, so USCCs never collide. */
function orgCode(idx: number, established: number, seed: number): string {
  if (established >= OLD_CUTOFF) {
    let v = (mulmod(idx, 9_999_999_967, P31_7) + (seed % 1_000_003) * 7919 + 10_123_457) % P31_7;
    let s = '';
    for (let i = 0; i < 7; i++) {
      s = ALPHA[v % 31]! + s;
      v = Math.floor(v / 31);
    }
    return `MA${s}`;
  }
  const v =
    (mulmod(idx, 48_271_003, 100_000_000) + (seed % 1_000_003) * 13 + 1_234_567) % 100_000_000;
  return String(v).padStart(8, '0') + ALPHA[(idx * 7 + 3) % 31]!;
}

export function usccFor(idx: number, established: number, division: string, seed: number): string {
  return withUsccCheckChar(`91${division}${orgCode(idx, established, seed)}`);
}

function pickRole(rng: Rng, schemeRate: number, loudDecoys: number): Role {
  const r = rng.next();
  // loudDecoys is 0 unless the traits are on: the table, and so every role, is then unchanged
  const table: readonly (readonly [Role, number])[] = [
    ['scheme', schemeRate],
    ['decoy_bank', 0.0015],
    ['decoy_fund', 0.001],
    ['decoy_insurance', 0.002],
    ['decoy_rebate', 0.004],
    ['decoy_prepaid', 0.012],
    ['decoy_heavy_ads', 0.004],
    ['decoy_rename', 0.008],
    ['decoy_complaints', 0.008],
    ['decoy_lender', loudDecoys],
    ['decoy_shop_rental', loudDecoys],
  ];
  let acc = 0;
  for (const [role, p] of table) {
    acc += p;
    if (r < acc) return role;
  }
  return 'normal';
}

function range2(rng: Rng, [lo, hi]: readonly [number, number]): number {
  return rng.range(lo, hi);
}

function lifecycle(ctx: SimContext, rng: Rng, t: TemplateSpec): Lifecycle {
  const days = ctx.end - ctx.start + 1;
  const decided = ctx.start + rng.range(15, days + Math.max(60, Math.round(days * 0.5)));
  const collapse = decided - rng.range(14, 120);
  const trouble = collapse - range2(rng, t.trouble);
  const promo = trouble - range2(rng, t.promo);
  const complaintStyle = rng.weighted(t.styles);
  const yieldStyle = rng.weighted(t.yields);
  const peak =
    complaintStyle === 'sparse'
      ? rng.real(0.04, 0.25)
      : complaintStyle === 'late'
        ? rng.real(0.2, 1.6)
        : rng.real(0.3, 2.2);
  const pre =
    complaintStyle === 'early'
      ? rng.real(0.008, 0.05)
      : complaintStyle === 'late'
        ? 0
        : rng.chance(0.5)
          ? 0
          : 0.004;
  return {
    origin: rng.chance(t.renamed) ? 'renamed' : 'new',
    promo,
    trouble,
    collapse,
    decided,
    complaintStyle,
    yieldStyle,
    annual: Math.round(rng.real(t.annual[0], t.annual[1]) * 1000) / 1000,
    adRate: rng.real(t.adRate[0], t.adRate[1]),
    pre,
    peak,
    tau: rng.real(8, 40),
    victims: rng.range(30, 3000),
  };
}

export interface Cover {
  word: string;
  scope: string;
  code: string;
}

/**
 * The registered business of a scheme known by its product: nothing financial (e租宝 was run
 * through 金易融（北京）网络科技有限公司, 钱宝网 by 南京钱宝信息传媒有限公司).
 */
const COVERS: readonly Cover[] = [
  {
    word: '网络科技',
    scope: '网络技术服务；软件开发；信息系统集成服务；广告设计、代理',
    code: 'I6513',
  },
  { word: '信息技术', scope: '信息技术咨询服务；数据处理和存储支持服务；软件开发', code: 'I6560' },
  {
    word: '信息传媒',
    scope: '广告制作；广告发布；组织文化艺术交流活动；会议及展览服务',
    code: 'L7251',
  },
  {
    word: '电子商务',
    scope: '互联网销售（除销售需要许可的商品）；日用百货销售；会员服务',
    code: 'F5292',
  },
  { word: '企业管理', scope: '企业管理咨询；商务信息咨询；市场营销策划', code: 'L7211' },
];

/** Draws a scheme's traits from its own stream and applies those that shape its lifecycle. */
function applyTraits(
  life: Lifecycle,
  rng: Rng,
  options: NonNullable<SimContext['opts']['traits']>,
): void {
  const traits = drawTraits(rng, options);
  life.traits = traits;
  if (traits.includes('vague')) life.yieldStyle = rng.chance(0.5) ? 'none' : 'mild';
  if (traits.includes('bank_like')) life.yieldStyle = 'mild';
  // a few months of ads before the trouble starts
  if (traits.includes('short_promo')) life.promo = life.trouble - rng.range(30, 90);
  if (traits.includes('late_complaints')) {
    life.complaintStyle = 'late';
    life.pre = 0;
    life.lateDays = rng.range(3, 12);
  }
  if (traits.includes('product_named')) life.cover = rng.pick(COVERS);
}

export function templateSpec(key: string): TemplateSpec | undefined {
  return TEMPLATES.find((t) => t.key === key);
}

function industryFor(rng: Rng, role: Role): Industry {
  const by = (k: string): Industry => INDUSTRY_BY_KEY.get(k)!;
  switch (role) {
    case 'decoy_bank':
      return FINANCE['bank']!;
    case 'decoy_fund':
      return FINANCE['fund']!;
    case 'decoy_insurance':
      return FINANCE['insurance']!;
    case 'decoy_rebate':
      return by('ecom');
    case 'decoy_prepaid':
      return by(rng.pick(['fitness', 'training', 'training', 'beauty']));
    case 'decoy_heavy_ads':
      return by(
        rng.pick(['franchise', 'franchise', 'training', 'realestate_agent', 'health', 'developer']),
      );
    case 'decoy_complaints':
      return by(rng.pick(['developer', 'property', 'property']));
    case 'decoy_lender':
      return FINANCE['lender']!;
    case 'decoy_shop_rental':
      return by(rng.pick(['realestate_agent', 'developer']));
    default:
      return rng.weighted(INDUSTRY_WEIGHTS);
  }
}

/** Identity and role: cheap, used also to name company shareholders. */
export function basics(ctx: SimContext, idx: number): Basics {
  const rng = new Rng(ctx.seed, BASE, idx);
  const traits = traitsActive(ctx.opts.traits) ? ctx.opts.traits : undefined;
  const role = pickRole(rng, ctx.opts.schemeRate, traits?.loudDecoys ?? 0);
  let template: string;
  let industry: Industry;
  let life: Lifecycle | null = null;
  if (role === 'scheme') {
    const t = rng.weighted(TEMPLATE_WEIGHTS);
    template = t.key;
    life = lifecycle(ctx, rng, t);
    if (traits) applyTraits(life, new Rng(ctx.seed, TRAITS, idx), traits);
    industry =
      life.origin === 'renamed'
        ? industryFor(rng, 'normal')
        : INDUSTRY_BY_KEY.get(rng.pick(t.industries))!;
  } else {
    industry = industryFor(rng, role);
    template = role === 'normal' ? industry.key : `${role.replace('decoy_', '')}:${industry.key}`;
  }
  const district = role === 'decoy_bank' ? rng.pick([pickDistrict(rng)]) : pickDistrict(rng);
  let established: number;
  const days = ctx.end - ctx.start + 1;
  if (life) {
    established =
      life.origin === 'new' ? life.promo - rng.range(10, 150) : life.promo - rng.range(400, 5000);
  } else if (role === 'decoy_bank' || role === 'decoy_fund' || role === 'decoy_insurance') {
    established = ctx.start - rng.range(365, 8000);
  } else if (rng.chance(Math.min(0.5, (0.09 * days) / 365))) {
    established = ctx.start + rng.int(days);
  } else {
    established = ctx.start - 1 - Math.floor(rng.exp(6 * 365));
  }
  established = Math.max(EARLIEST, established);
  const brand = makeBrand(rng);
  let etype: string;
  let suffix: Suffix = rng.chance(0.07) ? '有限责任公司' : '有限公司';
  let word = rng.pick(industry.words);
  let name: string;
  if (role === 'decoy_bank') {
    etype = ENTERPRISE_TYPES.bankBranch;
    name = `${brand.text}银行股份有限公司珠海${rng.pick(['分行', '香洲支行', '拱北支行', '吉大支行', '横琴分行', '金湾支行', '斗门支行', '高新支行'])}`;
  } else if (role === 'decoy_insurance' && rng.chance(0.5)) {
    etype = ENTERPRISE_TYPES.branch;
    name = `${brand.text}人寿保险股份有限公司珠海中心支公司`;
  } else {
    if (life && life.origin === 'new') {
      word = rng.pick(TEMPLATES.find((t) => t.key === template)!.words);
      if (life.cover) word = life.cover.word;
      if (rng.chance(0.12)) suffix = '合伙企业（有限合伙）';
    }
    const r = rng.next();
    etype =
      suffix === '合伙企业（有限合伙）'
        ? ENTERPRISE_TYPES.partnership
        : r < 0.45
          ? ENTERPRISE_TYPES.personSole
          : r < 0.85
            ? ENTERPRISE_TYPES.personMany
            : r < 0.92
              ? ENTERPRISE_TYPES.corpSole
              : r < 0.96
                ? ENTERPRISE_TYPES.other
                : r < 0.98
                  ? ENTERPRISE_TYPES.hkmo
                  : ENTERPRISE_TYPES.joint;
    if (etype === ENTERPRISE_TYPES.joint) suffix = '股份有限公司';
    name = companyName(rng, brand.text, word, district, suffix);
  }
  const uscc = usccFor(idx, established, district.code, ctx.seed);
  return {
    idx,
    role,
    template,
    industry,
    district,
    established,
    brand,
    uscc,
    name0: name,
    word0: word,
    etype,
    life,
  };
}

function capitalFor(rng: Rng, role: Role): number {
  if (role === 'decoy_bank') return rng.pick([50000, 100000, 200000, 500000]);
  if (role === 'decoy_fund' || role === 'decoy_insurance')
    return rng.pick([1000, 2000, 5000, 10000, 50000]);
  const steps = [
    1, 3, 5, 10, 10, 30, 50, 50, 100, 100, 100, 200, 300, 500, 500, 1000, 1000, 2000, 5000,
  ];
  return rng.pick(steps);
}

function scopeFor(rng: Rng, industry: Industry): string {
  const base = rng.pick(industry.scope);
  const tail = rng.chance(0.6)
    ? '。（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）'
    : rng.chance(0.5)
      ? '（依法须经批准的项目，经相关部门批准后方可开展经营活动）'
      : '';
  return base + tail;
}

function personOrPooled(ctx: SimContext, rng: Rng, operator: boolean): string {
  if (operator) return pooledPerson(ctx.seed, ctx.personPool + rng.zipf(ctx.operatorPool));
  if (rng.chance(0.12)) return pooledPerson(ctx.seed, rng.zipf(ctx.personPool));
  return personName(rng);
}

const SHARE = streamId('shareholders');

/**
 * Shareholders at the n-th shareholding of an enterprise, from their own stream, so that a
 * light plan (no shareholders: ads and complaints do not need them) draws the same values.
 */
function shareholdersFor(
  ctx: SimContext,
  nth: number,
  b: Basics,
  legalRep: string,
  operator: boolean,
  light: boolean,
): Shareholder[] {
  if (light || b.role === 'decoy_bank' || b.etype === ENTERPRISE_TYPES.branch) return [];
  const rng = new Rng(ctx.seed, SHARE, b.idx, nth);
  if (
    b.etype === ENTERPRISE_TYPES.corpSole ||
    b.etype === ENTERPRISE_TYPES.hkmo ||
    (operator && rng.chance(0.3))
  ) {
    const other = rng.int(ctx.n);
    if (other !== b.idx) {
      const ob = basics(ctx, other);
      return [{ name: ob.name0, kind: 'company', uscc: ob.uscc, share_pct: 100 }];
    }
  }
  if (b.etype === ENTERPRISE_TYPES.personSole)
    return [{ name: legalRep, kind: 'person', share_pct: 100 }];
  const n = rng.range(2, 4);
  const out: Shareholder[] = [];
  let left = 100;
  for (let i = 0; i < n; i++) {
    const pct =
      i === n - 1
        ? left
        : Math.max(1, Math.min(left - (n - i - 1), Math.round(rng.real(0.2, 0.7) * left)));
    left -= pct;
    out.push({
      name: i === 0 ? legalRep : personOrPooled(ctx, rng, operator && rng.chance(0.5)),
      kind: 'person',
      share_pct: pct,
    });
  }
  return out;
}

function clone(s: State, from: number): State {
  return { ...s, from, shareholders: s.shareholders.map((x) => ({ ...x })) };
}

const PHONE = streamId('shared-phone');

/**
 * A phone shared with other companies: a scheme operator's number, or the number of the agent
 * (代理记账) that registered many companies at a business centre. Null for an own number.
 */
function sharedPhone(ctx: SimContext, rng: Rng, operator: boolean, centre: boolean): string | null {
  if (operator && rng.chance(0.4))
    return mobile(new Rng(ctx.seed, PHONE, rng.zipf(ctx.operatorPool)));
  if (centre && rng.chance(0.25))
    return phone(
      new Rng(ctx.seed, PHONE, 1_000_000 + rng.zipf(Math.max(10, Math.floor(ctx.n / 300)))),
    );
  return null;
}

/** Full plan of one enterprise; `light` leaves out shareholders (same values otherwise). */
export function plan(ctx: SimContext, idx: number, light = false): Plan {
  const b = basics(ctx, idx);
  const rng = new Rng(ctx.seed, HIST, idx);
  const { role, life } = b;
  const operator = role === 'scheme' && rng.chance(0.45);
  const legalRep = personOrPooled(ctx, rng, operator && life?.origin === 'new');
  const centre =
    role === 'scheme' ? rng.chance(0.45) : role === 'normal' ? rng.chance(0.15) : rng.chance(0.1);
  const address = centre
    ? centreAddress(rng, b.district, rng.chance(0.85))
    : streetAddress(rng, b.district);
  const capital = capitalFor(rng, role);
  const paidIn =
    role === 'decoy_bank' || role === 'decoy_fund' || role === 'decoy_insurance'
      ? capital
      : rng.chance(0.45)
        ? null
        : rng.chance(0.4)
          ? 0
          : Math.round(capital * rng.real(0.05, 1) * 100) / 100;
  const siteKind = role === 'scheme' ? 'wealth' : '';
  const hasSite =
    role === 'scheme' || role.startsWith('decoy_') ? rng.chance(0.8) : rng.chance(0.25);
  const s0: State = {
    from: b.established,
    name: b.name0,
    brand: b.brand.text,
    pinyin: b.brand.pinyin,
    word: b.word0,
    industryCode:
      life && life.origin === 'new'
        ? (life.cover?.code ?? templateSpec(b.template)!.code)
        : b.industry.code,
    scope: scopeFor(rng, b.industry),
    address,
    legalRep,
    capital,
    paidIn,
    status: rng.chance(0.8) ? '存续' : '在业',
    phone: sharedPhone(ctx, rng, operator, centre) ?? phone(rng),
    website: hasSite ? website(rng, b.brand.pinyin, siteKind) : null,
    etype: b.etype,
    shareholders: [],
  };
  if (life && life.origin === 'new') {
    s0.scope = (life.cover?.scope ?? templateSpec(b.template)!.scopeAdd) + '；' + s0.scope;
    s0.capital = rng.pick([1000, 2000, 5000, 10000, 20000]);
    s0.paidIn = rng.chance(0.6) ? 0 : null;
  }
  s0.shareholders = shareholdersFor(ctx, 0, b, legalRep, operator, light);
  const states: State[] = [s0];
  const changes: Change[] = [];
  const cur = (): State => states[states.length - 1]!;
  const at = (day: number): State => {
    const last = cur();
    if (last.from === day) return last;
    const s = clone(last, day);
    states.push(s);
    return s;
  };
  const record = (
    day: number,
    field: ChangeField,
    before: string | null,
    after: string | null,
  ): void => {
    if (before !== after) changes.push({ day, field, before, after });
  };
  // Register history is kept from a year before the window.
  const horizon = Math.max(b.established + 1, ctx.start - 365);
  const changeDays: number[] = [];
  let outcome: Outcome | null = null;
  let closure: number | null = null;
  let dead = rng.chance(role === 'normal' && b.established < ctx.start - 1000 ? 0.07 : 0);
  if (dead) {
    const s = cur();
    s.status = rng.chance(0.6) ? '吊销' : '注销';
  }

  if (life) {
    const t = templateSpec(b.template)!;
    if (life.origin === 'renamed') {
      const day = Math.max(b.established + 30, life.promo - rng.range(5, 90));
      const s = at(day);
      const before = { ...s };
      const picked = rng.pick(t.words);
      const newWord = life.cover?.word ?? picked;
      if (rng.chance(0.4)) {
        const nb = makeBrand(rng);
        s.brand = nb.text;
        s.pinyin = nb.pinyin;
      }
      s.word = newWord;
      s.name = companyName(
        rng,
        s.brand,
        newWord,
        b.district,
        rng.chance(0.1) ? '有限责任公司' : '有限公司',
      );
      record(day, 'name', before.name, s.name);
      s.scope = (life.cover?.scope ?? t.scopeAdd) + '；' + before.scope;
      record(day, 'business_scope', before.scope, s.scope);
      s.industryCode = life.cover?.code ?? t.code;
      if (rng.chance(0.6)) record(day, 'industry', before.industryCode, s.industryCode);
      if (rng.chance(0.7)) {
        s.legalRep = personOrPooled(ctx, rng, operator);
        record(day, 'legal_rep', before.legalRep, s.legalRep);
        s.shareholders = shareholdersFor(ctx, 1, b, s.legalRep, operator, light);
        record(
          day,
          'shareholder',
          before.shareholders.map((x) => x.name).join('、'),
          s.shareholders.map((x) => x.name).join('、'),
        );
      }
      if (rng.chance(0.6)) {
        s.capital = rng.pick([1000, 3000, 5000, 10000, 30000]);
        s.paidIn = rng.chance(0.7) ? 0 : before.paidIn;
        record(day, 'registered_capital', `${before.capital}万元`, `${s.capital}万元`);
      }
      if (rng.chance(0.5)) {
        s.address = centreAddress(rng, b.district, rng.chance(0.8));
        record(day, 'address', before.address, s.address);
      }
      if (s.website === null || rng.chance(0.5)) s.website = website(rng, s.pinyin, 'wealth');
      s.status = '存续';
    }
    if (rng.chance(0.3)) {
      const day = rng.range(life.promo, life.trouble);
      const s = at(day);
      const before = s.capital;
      s.capital = before * rng.pick([2, 3, 5, 10]);
      record(day, 'registered_capital', `${before}万元`, `${s.capital}万元`);
    }
    if (rng.chance(0.3)) {
      const day = rng.range(life.trouble, life.collapse);
      const s = at(day);
      const before = s.legalRep;
      s.legalRep = personName(rng);
      record(day, 'legal_rep', before, s.legalRep);
    }
    if (rng.chance(0.25)) {
      const day = life.collapse + rng.range(20, 150);
      const s = at(day);
      record(day, 'status', s.status, '吊销');
      s.status = '吊销';
    }
    outcome = { day: life.decided, outcome: 'confirmed' };
  } else {
    // Ordinary register churn: about one change every four years, more for decoy renames.
    const rate = role === 'decoy_rename' ? 0 : 0.25 / 365;
    let d = horizon + rng.exp(1 / Math.max(rate, 1e-9));
    while (rate > 0 && d <= ctx.end && !dead) {
      changeDays.push(Math.floor(d));
      d += rng.exp(1 / rate);
    }
    if (role === 'decoy_rename') {
      const n = rng.range(1, 2);
      for (let i = 0; i < n; i++) changeDays.push(rng.range(horizon, ctx.end));
      changeDays.sort((x, y) => x - y);
    }
    for (const day of changeDays) {
      if (day < b.established + 1 || day > ctx.end) continue;
      const s = at(day);
      const before = { ...s };
      const field: ChangeField =
        role === 'decoy_rename'
          ? 'name'
          : rng.weighted<ChangeField>([
              ['legal_rep', 3],
              ['address', 3],
              ['registered_capital', 2],
              ['business_scope', 2],
              ['shareholder', 2],
              ['name', 0.6],
              ['status', 0.5],
              ['other', 0.5],
            ]);
      switch (field) {
        case 'name': {
          const w = role === 'decoy_rename' ? rng.pick(RENAME_WORDS) : rng.pick(b.industry.words);
          s.word = w;
          s.name = companyName(rng, s.brand, w, b.district, '有限公司');
          record(day, 'name', before.name, s.name);
          if (role === 'decoy_rename' && rng.chance(0.7)) {
            s.scope = `${w.includes('投资') ? '以自有资金从事投资活动；' : '技术服务、技术开发、技术咨询；'}${before.scope}`;
            record(day, 'business_scope', before.scope, s.scope);
          }
          break;
        }
        case 'legal_rep':
          s.legalRep = personOrPooled(ctx, rng, false);
          record(day, 'legal_rep', before.legalRep, s.legalRep);
          break;
        case 'address':
          s.address = rng.chance(0.3)
            ? centreAddress(rng, b.district, true)
            : streetAddress(rng, b.district);
          record(day, 'address', before.address, s.address);
          break;
        case 'registered_capital':
          s.capital = Math.max(1, Math.round(before.capital * rng.pick([0.5, 2, 2, 3, 5, 10])));
          record(day, 'registered_capital', `${before.capital}万元`, `${s.capital}万元`);
          break;
        case 'business_scope':
          s.scope =
            scopeFor(rng, b.industry) + (rng.chance(0.5) ? '；会议及展览服务' : '；日用品销售');
          record(day, 'business_scope', before.scope, s.scope);
          break;
        case 'shareholder':
          s.shareholders = shareholdersFor(ctx, 2 + day, b, s.legalRep, false, light);
          record(
            day,
            'shareholder',
            before.shareholders.map((x) => x.name).join('、'),
            s.shareholders.map((x) => x.name).join('、'),
          );
          break;
        case 'status':
          s.status = rng.chance(0.7) ? '注销' : '吊销';
          record(day, 'status', before.status, s.status);
          dead = true;
          break;
        default:
          s.phone = phone(rng);
          record(day, 'other', `联系电话：${before.phone}`, `联系电话：${s.phone}`);
      }
    }
  }

  let adRate = 0;
  let complaintRate = 0;
  const alive = !dead;
  switch (role) {
    case 'scheme':
      break;
    case 'decoy_bank':
    case 'decoy_fund':
    case 'decoy_insurance':
      adRate = rng.real(0.05, 0.5);
      complaintRate = rng.real(0.001, 0.008);
      break;
    case 'decoy_rebate':
      adRate = rng.real(0.08, 0.4);
      complaintRate = rng.real(0.005, 0.04);
      break;
    case 'decoy_prepaid':
      adRate = rng.real(0.03, 0.2);
      complaintRate = rng.real(0.004, 0.03);
      if (rng.chance(0.35)) closure = ctx.start + rng.int(ctx.end - ctx.start + 1);
      break;
    case 'decoy_heavy_ads':
      adRate = rng.real(0.1, 0.5);
      complaintRate = 0;
      break;
    case 'decoy_complaints':
      adRate = b.industry.key === 'developer' ? rng.real(0.05, 0.4) : 0;
      complaintRate = rng.real(0.03, 0.25);
      break;
    case 'decoy_rename':
      adRate = rng.chance(0.2) ? rng.real(0.02, 0.1) : 0;
      complaintRate = rng.real(0, 0.002);
      break;
    case 'decoy_lender':
      adRate = rng.real(0.1, 0.6);
      complaintRate = rng.real(0.003, 0.02);
      break;
    case 'decoy_shop_rental':
      adRate = rng.real(0.08, 0.4);
      complaintRate = rng.real(0.001, 0.006);
      break;
    default:
      if (alive && rng.chance(b.industry.adShare))
        adRate = 0.55 * b.industry.adRate * Math.exp(rng.real(-1.2, 1.2));
      complaintRate = alive ? (b.industry.consumer * rng.real(0.2, 2.5)) / 400 : 0;
  }
  if (closure !== null) {
    const day = closure + rng.range(30, 120);
    if (day <= ctx.end && day > cur().from) {
      const s = at(day);
      record(day, 'status', s.status, '停业');
      s.status = '停业';
    }
  }
  if (role !== 'scheme' && role !== 'normal' && outcome === null) {
    const p = {
      decoy_rebate: 0.3,
      decoy_prepaid: 0.15,
      decoy_heavy_ads: 0.2,
      decoy_rename: 0.08,
      decoy_bank: 0.03,
      decoy_fund: 0.05,
      decoy_insurance: 0.05,
      decoy_complaints: 0.1,
      decoy_lender: 0.15,
      decoy_shop_rental: 0.15,
    }[role];
    if (rng.chance(p))
      outcome = {
        day: ctx.start + rng.range(Math.min(30, ctx.end - ctx.start), ctx.end - ctx.start),
        outcome: 'cleared',
      };
  }
  const t = life ? templateSpec(b.template)! : null;
  const productBase = cur().brand;
  const product = t
    ? rng.chance(0.6)
      ? productBase + rng.pick(t.products)
      : `${productBase}${rng.pick(['APP', '平台', '俱乐部', '会员'])}`
    : role === 'decoy_rebate'
      ? `${productBase}${rng.pick(['商城', '优选', '严选', '生活'])}`
      : productBase;
  changes.sort((x, y) => x.day - y.day);
  states.sort((x, y) => x.from - y.from);
  let productKeys: Plan['productKeys'];
  let productName = product;
  if (life?.traits?.includes('product_named')) {
    // A platform name unrelated to the registered one, with its own WeChat ID and app domain.
    const tr = new Rng(ctx.seed, TRAITS, idx, 1);
    const pb = makeBrand(tr);
    productName = pb.text + tr.pick(PRODUCT_ENDINGS);
    productKeys = {
      wechat: `${pb.pinyin}${tr.pick(['', '_', '-'])}${tr.range(10, 9999)}`,
      domain: `${pb.pinyin}${tr.pick(['', 'app', 'jf', 'cf'])}${tr.pick(['.com', '.cn', '.vip', '.top'])}`,
    };
  }
  return {
    idx,
    uscc: b.uscc,
    role,
    template: b.template,
    industry: b.industry,
    district: b.district,
    established: b.established,
    states,
    changes,
    life,
    outcome,
    closure,
    adRate,
    complaintRate,
    product: productName,
    ...(productKeys ? { productKeys } : {}),
    ...(traitsActive(ctx.opts.traits) && (role === 'decoy_heavy_ads' || role === 'decoy_rebate')
      ? { loud: true }
      : {}),
  };
}

/** The register state in force on a day. */
export function stateOn(p: Plan, day: number): State {
  let s = p.states[0]!;
  for (const x of p.states) {
    if (x.from <= day) s = x;
    else break;
  }
  return s;
}

export type Phase = 'pre' | 'promo' | 'growth' | 'trouble' | 'collapsed';

export function phaseOn(life: Lifecycle, day: number): Phase {
  if (day < life.promo) return 'pre';
  if (day >= life.collapse) return 'collapsed';
  if (day >= life.trouble) return 'trouble';
  return day - life.promo > (life.trouble - life.promo) / 2 ? 'growth' : 'promo';
}
