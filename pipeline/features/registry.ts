/**
 * The feature registry: every indicator computed per enterprise as of a day, with its Chinese
 * label, a description, its family, and how to put a value into words. Explanations, the API, the
 * dashboard and the docs all read from here. Columns of `feature_values` follow this order (a test
 * checks it against the migrations).
 */
import { RED_FLAG_FAMILIES, type RedFlagFamilyId } from './lexicon.ts';
import { QUIET_FEATURES } from './registry-quiet.ts';

export type FeatureFamily = 'text' | 'ads' | 'complaints' | 'register' | 'network';

export const FAMILY_LABELS: Record<FeatureFamily, string> = {
  text: '广告文本',
  ads: '广告投放',
  complaints: '投诉举报',
  register: '工商登记',
  network: '关联网络',
};

export interface FeatureDef {
  readonly name: string;
  readonly label_zh: string;
  readonly description: string;
  readonly family: FeatureFamily;
  /** The value in words, e.g. "近30天投诉 14 件". */
  readonly describe: (v: number) => string;
  /** Higher values mean more risk (for the rule index and for wording). */
  readonly direction: 1 | -1 | 0;
}

const int = (v: number) => String(Math.round(v));
const pct = (v: number) => `${(v * 100).toFixed(0)}%`;
const num1 = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(1));

/** Red-flag families scored on ads (the trouble family is scored on complaints). */
export const AD_FLAG_FAMILIES = RED_FLAG_FAMILIES.filter((f) => f.id !== 'trouble').map(
  (f) => f.id,
) as Exclude<RedFlagFamilyId, 'trouble'>[];

const adFlagFeatures: FeatureDef[] = RED_FLAG_FAMILIES.filter((f) => f.id !== 'trouble').map(
  (f) => ({
    name: `ad_flag_${f.id}_90d`,
    label_zh: `广告含「${f.label_zh}」话术`,
    description: `近90天广告中「${f.label_zh}」类红旗词命中次数（${f.description}）`,
    family: 'text' as const,
    describe: (v: number) => `近90天广告含「${f.label_zh}」话术 ${int(v)} 处`,
    direction: 1 as const,
  }),
);

export const FEATURES: readonly FeatureDef[] = [
  // text of its ads
  ...adFlagFeatures,
  {
    name: 'ad_flag_hits_90d',
    label_zh: '红旗词命中总数',
    description: '近90天广告中红旗词（保本保息、高收益、拉人头等）命中总次数',
    family: 'text',
    describe: (v) => `近90天广告命中红旗词 ${int(v)} 处`,
    direction: 1,
  },
  {
    name: 'ad_flag_families_90d',
    label_zh: '红旗话术种类',
    description: '近90天广告命中的红旗词类别数',
    family: 'text',
    describe: (v) => `近90天广告涉及 ${int(v)} 类违规话术`,
    direction: 1,
  },
  {
    name: 'ad_flagged_share_90d',
    label_zh: '含红旗词广告占比',
    description: '近90天广告中至少含一个红旗词的比例',
    family: 'text',
    describe: (v) => `近90天 ${pct(v)} 的广告含红旗词`,
    direction: 1,
  },
  {
    name: 'ad_max_yield_90d',
    label_zh: '承诺年化收益',
    description:
      '近90天广告中承诺的最高年化收益率（%），由 年化/月息/日息/每万元返/翻倍 等说法折算',
    family: 'text',
    describe: (v) => `承诺年化收益 ${num1(v)}%`,
    direction: 1,
  },
  {
    name: 'ad_yield_ratio_90d',
    label_zh: '收益高于基准倍数',
    description: '近90天广告承诺的最高年化收益与当日1年期LPR之比',
    family: 'text',
    describe: (v) => `承诺收益为同期LPR的 ${num1(v)} 倍`,
    direction: 1,
  },
  // ads
  {
    name: 'ads_7d',
    label_zh: '近7天广告数',
    description: '近7天监测到的广告条数',
    family: 'ads',
    describe: (v) => `近7天广告 ${int(v)} 条`,
    direction: 1,
  },
  {
    name: 'ads_30d',
    label_zh: '近30天广告数',
    description: '近30天监测到的广告条数',
    family: 'ads',
    describe: (v) => `近30天广告 ${int(v)} 条`,
    direction: 1,
  },
  {
    name: 'ads_90d',
    label_zh: '近90天广告数',
    description: '近90天监测到的广告条数',
    family: 'ads',
    describe: (v) => `近90天广告 ${int(v)} 条`,
    direction: 1,
  },
  {
    name: 'ads_growth_30d',
    label_zh: '广告增长',
    description: '近30天广告数相对前30天的增长率 ((近30天+1)/(前30天+1) − 1)',
    family: 'ads',
    describe: (v) => `近30天广告较前30天增长 ${pct(v)}`,
    direction: 1,
  },
  {
    name: 'ad_channels_90d',
    label_zh: '广告渠道数',
    description: '近90天广告出现的渠道数（网站、App、微信、微博、短信、视频、线下）',
    family: 'ads',
    describe: (v) => `近90天在 ${int(v)} 个渠道投放广告`,
    direction: 1,
  },
  {
    name: 'ad_repeat_share_90d',
    label_zh: '重复投放占比',
    description: '近90天广告中同一文本重复出现的比例',
    family: 'ads',
    describe: (v) => `近90天 ${pct(v)} 的广告为重复投放`,
    direction: 1,
  },
  {
    name: 'ad_days_since_first',
    label_zh: '首次广告距今天数',
    description: '距第一次监测到该企业广告的天数（无广告为空）',
    family: 'ads',
    describe: (v) => `首次监测到广告距今 ${int(v)} 天`,
    direction: 0,
  },
  // complaints
  {
    name: 'complaints_7d',
    label_zh: '近7天投诉',
    description: '近7天投诉举报件数',
    family: 'complaints',
    describe: (v) => `近7天投诉 ${int(v)} 件`,
    direction: 1,
  },
  {
    name: 'complaints_30d',
    label_zh: '近30天投诉',
    description: '近30天投诉举报件数',
    family: 'complaints',
    describe: (v) => `近30天投诉 ${int(v)} 件`,
    direction: 1,
  },
  {
    name: 'complaints_90d',
    label_zh: '近90天投诉',
    description: '近90天投诉举报件数',
    family: 'complaints',
    describe: (v) => `近90天投诉 ${int(v)} 件`,
    direction: 1,
  },
  {
    name: 'complaints_growth_30d',
    label_zh: '投诉增长',
    description: '近30天投诉相对前30天的增长率 ((近30天+1)/(前30天+1) − 1)',
    family: 'complaints',
    describe: (v) => `近30天投诉较前30天增长 ${pct(v)}`,
    direction: 1,
  },
  {
    name: 'complaint_amount_90d',
    label_zh: '投诉涉及金额',
    description: '近90天投诉中涉及的金额合计（元）',
    family: 'complaints',
    describe: (v) => `近90天投诉涉及金额 ${(v / 10000).toFixed(1)} 万元`,
    direction: 1,
  },
  {
    name: 'complainants_90d',
    label_zh: '投诉人数',
    description: '近90天不同投诉人数',
    family: 'complaints',
    describe: (v) => `近90天 ${int(v)} 名不同投诉人`,
    direction: 1,
  },
  {
    name: 'complaint_trouble_90d',
    label_zh: '兑付困难投诉',
    description: '近90天投诉中提及提现困难、延期兑付、跑路、失联等的件数',
    family: 'complaints',
    describe: (v) => `近90天 ${int(v)} 件投诉提及提现困难/兑付问题`,
    direction: 1,
  },
  {
    name: 'complaint_districts_90d',
    label_zh: '投诉区域数',
    description: '近90天投诉来自的不同区县数',
    family: 'complaints',
    describe: (v) => `近90天投诉来自 ${int(v)} 个区县`,
    direction: 1,
  },
  // register
  {
    name: 'age_days',
    label_zh: '成立天数',
    description: '成立日期至今的天数',
    family: 'register',
    describe: (v) => `成立 ${int(v)} 天`,
    direction: -1,
  },
  {
    name: 'log_registered_capital',
    label_zh: '注册资本(对数)',
    description: 'ln(1 + 注册资本万元)',
    family: 'register',
    describe: (v) => `注册资本 ${Math.round(Math.expm1(v))} 万元`,
    direction: 0,
  },
  {
    name: 'paid_in_ratio',
    label_zh: '实缴比例',
    description: '实缴资本 / 注册资本',
    family: 'register',
    describe: (v) => `实缴资本占注册资本 ${pct(v)}`,
    direction: -1,
  },
  {
    name: 'finance_words_unlicensed',
    label_zh: '无金融牌照却用金融字样',
    description: '名称或经营范围含投资/理财/财富/资产管理/金融等字样，但行业不属金融业(J门类)',
    family: 'register',
    describe: (v) => (v > 0 ? '名称或经营范围含金融字样但非持牌金融机构' : '无金融字样问题'),
    direction: 1,
  },
  {
    name: 'industry_finance',
    label_zh: '金融业',
    description: '行业代码属金融业(J门类)',
    family: 'register',
    describe: (v) => (v > 0 ? '属金融业' : '非金融业'),
    direction: 0,
  },
  {
    name: 'industry_business_services',
    label_zh: '商务服务业',
    description: '行业代码属租赁和商务服务业(L门类，含投资与资产管理)',
    family: 'register',
    describe: (v) => (v > 0 ? '属租赁和商务服务业' : '非商务服务业'),
    direction: 0,
  },
  {
    name: 'status_abnormal',
    label_zh: '经营状态异常',
    description: '登记状态为吊销、注销、停业或迁出',
    family: 'register',
    describe: (v) => (v > 0 ? '登记状态异常（吊销/注销/停业/迁出）' : '登记状态正常'),
    direction: 1,
  },
  {
    name: 'changes_name_180d',
    label_zh: '近期更名',
    description: '近180天名称变更次数',
    family: 'register',
    describe: (v) => `近180天更名 ${int(v)} 次`,
    direction: 1,
  },
  {
    name: 'renamed_to_finance_180d',
    label_zh: '更名为金融类',
    description: '近180天更名后新增投资/理财/财富/资产管理等字样',
    family: 'register',
    describe: (v) => (v > 0 ? '近180天更名新增金融字样' : '无金融类更名'),
    direction: 1,
  },
  {
    name: 'changes_scope_180d',
    label_zh: '近期变更经营范围',
    description: '近180天经营范围变更次数',
    family: 'register',
    describe: (v) => `近180天变更经营范围 ${int(v)} 次`,
    direction: 1,
  },
  {
    name: 'changes_legal_rep_180d',
    label_zh: '近期更换法人',
    description: '近180天法定代表人变更次数',
    family: 'register',
    describe: (v) => `近180天更换法定代表人 ${int(v)} 次`,
    direction: 1,
  },
  {
    name: 'changes_address_180d',
    label_zh: '近期变更住所',
    description: '近180天住所变更次数',
    family: 'register',
    describe: (v) => `近180天变更住所 ${int(v)} 次`,
    direction: 1,
  },
  {
    name: 'changes_capital_180d',
    label_zh: '近期变更注册资本',
    description: '近180天注册资本变更次数',
    family: 'register',
    describe: (v) => `近180天变更注册资本 ${int(v)} 次`,
    direction: 1,
  },
  {
    name: 'changes_365d',
    label_zh: '一年内变更次数',
    description: '近365天全部登记变更次数',
    family: 'register',
    describe: (v) => `近一年登记变更 ${int(v)} 次`,
    direction: 1,
  },
  {
    name: 'cleared_before',
    label_zh: '曾核查排除',
    description: '此前曾被核查并排除非法集资嫌疑',
    family: 'register',
    describe: (v) => (v > 0 ? '此前核查已排除' : '未曾核查排除'),
    direction: -1,
  },
  // network
  {
    name: 'shared_legal_rep',
    label_zh: '同法人企业数',
    description: '同一法定代表人名下的其他企业数',
    family: 'network',
    describe: (v) => `法定代表人另有 ${int(v)} 家企业`,
    direction: 1,
  },
  {
    name: 'shared_address',
    label_zh: '同住所企业数',
    description: '登记在同一住所的其他企业数（集中注册地会很大）',
    family: 'network',
    describe: (v) => `同一住所另有 ${int(v)} 家企业`,
    direction: 0,
  },
  {
    name: 'shared_phone',
    label_zh: '同电话企业数',
    description: '使用同一联系电话的其他企业数',
    family: 'network',
    describe: (v) => `同一电话另有 ${int(v)} 家企业`,
    direction: 1,
  },
  {
    name: 'shared_shareholder',
    label_zh: '同股东企业数',
    description: '与其有共同股东的其他企业数',
    family: 'network',
    describe: (v) => `与 ${int(v)} 家企业有共同股东`,
    direction: 1,
  },
  {
    name: 'confirmed_neighbours',
    label_zh: '关联已认定案件',
    description: '与其共用法人、住所、电话或股东且已被认定为非法集资的企业数（截至当日）',
    family: 'network',
    describe: (v) => `关联 ${int(v)} 家已认定非法集资企业`,
    direction: 1,
  },
  {
    name: 'confirmed_distance',
    label_zh: '与已认定案件距离',
    description:
      '在共用法人/住所/电话/股东的关联网络中到最近已认定企业的步数（1–3，3 表示3步及以上或无）',
    family: 'network',
    describe: (v) => (v >= 3 ? '关联网络中3步内无已认定案件' : `距已认定案件 ${int(v)} 步`),
    direction: -1,
  },
  // quiet schemes: licence mismatch and early behaviour (migration 0016)
  ...QUIET_FEATURES,
];

export const FEATURE_NAMES: readonly string[] = FEATURES.map((f) => f.name);

const BY_NAME = new Map(FEATURES.map((f) => [f.name, f]));

export function featureByName(name: string): FeatureDef | undefined {
  return BY_NAME.get(name);
}
