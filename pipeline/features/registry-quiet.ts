/**
 * Features for quiet schemes (issue 21, migration 0016): licence mismatch read from the text, and
 * early behaviour — how fast an advertiser's financial wording appears and spreads. None needs a
 * promised number or a complaint. Appended to the registry (registry.ts) in this order, which is
 * the order of their columns in `feature_values`.
 *
 * "Finance language" below: an ad with a deposit-like product, a licensed product's wording or a
 * soft return promise (finance-language.ts), or a red flag of the guaranteed / high-yield /
 * wealth-product families (lexicon.ts). "Unlicensed": no financial licence in the register
 * (finance-language.ts LICENCE_SCOPE_WORDS, industry section J).
 */
import type { FeatureDef } from './registry.ts';

const int = (v: number) => String(Math.round(v));
const pct = (v: number) => `${(v * 100).toFixed(0)}%`;

export const QUIET_FEATURES: readonly FeatureDef[] = [
  {
    name: 'finance_licensed',
    label_zh: '持有金融牌照',
    description: '登记行业为金融业（J门类）或经营范围载明金融许可、监管机构批准的金融业务',
    family: 'register',
    describe: (v) => (v > 0 ? '登记信息显示持有金融牌照' : '无金融牌照'),
    direction: -1,
  },
  {
    name: 'ad_deposit_like_unlicensed_90d',
    label_zh: '无牌照推销存款类产品',
    description:
      '近90天无金融牌照企业的广告中，出现“认购/起投＋收益/本息＋期限/理财产品”等存款类产品结构的条数（不需要具体收益数字）',
    family: 'text',
    describe: (v) => `无金融牌照，近90天 ${int(v)} 条广告推销存款类理财产品`,
    direction: 1,
  },
  {
    name: 'ad_bank_wording_unlicensed_90d',
    label_zh: '无牌照使用银行理财话术',
    description:
      '近90天无金融牌照企业的广告中使用持牌理财产品专用表述（业绩比较基准、理财非存款、产品有风险、风险等级R2等）的条数',
    family: 'text',
    describe: (v) => `无金融牌照，近90天 ${int(v)} 条广告模仿银行理财产品表述`,
    direction: 1,
  },
  {
    name: 'ad_soft_promise_unlicensed_90d',
    label_zh: '无牌照模糊收益承诺',
    description:
      '近90天无金融牌照企业的广告中不写数字的收益承诺（稳健增值、月月有收益、比存银行划算等）条数',
    family: 'text',
    describe: (v) => `无金融牌照，近90天 ${int(v)} 条广告作模糊收益承诺`,
    direction: 1,
  },
  {
    name: 'ad_finance_unlicensed_share_90d',
    label_zh: '无牌照金融话术广告占比',
    description: '近90天广告中含金融产品话术的比例（企业无金融牌照时；持牌为0）',
    family: 'text',
    describe: (v) => `无金融牌照，近90天 ${pct(v)} 的广告含金融产品话术`,
    direction: 1,
  },
  {
    name: 'ad_finance_days_since_first',
    label_zh: '金融话术出现天数',
    description: '距该企业第一条含金融产品话术的广告的天数（无则为空）：话术出现得越晚越新',
    family: 'ads',
    describe: (v) => `${int(v)} 天前首次出现金融产品话术`,
    direction: -1,
  },
  {
    name: 'ad_finance_30d',
    label_zh: '近30天金融话术广告数',
    description: '近30天含金融产品话术的广告条数',
    family: 'ads',
    describe: (v) => `近30天 ${int(v)} 条广告含金融产品话术`,
    direction: 1,
  },
  {
    name: 'ad_finance_channels_30d',
    label_zh: '金融话术投放渠道数',
    description: '近30天含金融产品话术的广告所用渠道数（微信、短信、线下等）：扩散速度',
    family: 'ads',
    describe: (v) => `近30天金融产品话术出现在 ${int(v)} 个渠道`,
    direction: 1,
  },
  {
    name: 'ad_gift_finance_90d',
    label_zh: '会销送礼推理财',
    description:
      '近90天以讲座、说明会、到场送礼品招揽，同时推销理财或养老投资的广告条数（针对老年人的会销）',
    family: 'text',
    describe: (v) => `近90天 ${int(v)} 条广告以会销送礼推销理财/养老投资`,
    direction: 1,
  },
  {
    name: 'ad_referral_finance_90d',
    label_zh: '拉新推荐推理财',
    description: '近90天在推销金融产品的同时以推荐奖励、老带新等方式拉人的广告条数',
    family: 'text',
    describe: (v) => `近90天 ${int(v)} 条广告边推销金融产品边拉新`,
    direction: 1,
  },
];
