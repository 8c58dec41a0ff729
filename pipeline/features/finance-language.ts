/**
 * Financial-product language in an ad, independent of any number or red-flag phrase: does the ad
 * offer a deposit-like product — money in, a return or repayment out, over a term? Weighed against
 * what the advertiser may sell (pipeline/sql/queries/features_as_of.sql: industry, scope, licence),
 * it gives a signal that needs no promised rate and no complaint (issue 21).
 *
 * Why this shape. The legal test of illegal fundraising (《最高人民法院关于审理非法集资刑事案件具体
 * 应用法律若干问题的解释》, 法释〔2022〕5号, Art. 1; 《防范和处置非法集资条例》 2021, Art. 2) is
 * taking funds from the public without a licence, with a promise "to repay principal and interest
 * or pay returns within a certain term". So the cues are grouped by the elements of that promise,
 * and an ad offers a deposit-like product when a packaged product comes with a term, or a return
 * or a subscription comes with a term or a product (a return alone — 租金回报, 加盟回本 — is not):
 *   - subscription: paying money in (认购, 起投, 起购, 预存, 入股, 认养 …);
 *   - return: a return or repayment (收益, 分红, 利息, 本息, 回报, 返还本金, 业绩比较基准 …);
 *   - term: a period (天期, 期限, 到期, 持有期, 期满 …);
 *   - product: a packaged financial product (理财, 理财产品, 计划, 基金, 标的 …).
 * Lending to the customer (贷款, 放款, 额度 …) is the other side of finance — a licensed lender's
 * loan rate is not a promise to repay the public — and is counted apart.
 * `bankWording`: disclosures that regulators require of licensed wealth products (《商业银行理财业务
 * 监督管理办法》 2018, Art. 29: 理财非存款、产品有风险、投资须谨慎; 业绩比较基准, 风险等级 R1–R5,
 * 过往业绩不代表未来表现). From a company without a licence they imitate a bank.
 * `softPromise`: a return promised in words, without a number (稳健增值, 月月有收益).
 * `giftOrSeminar` and `softReferral`: the early-behaviour cues of schemes aimed at the elderly
 * (free gifts, seminars: the 2022 national campaign against 养老诈骗) and of referral growth in
 * everyday words (老带新, 介绍亲友).
 *
 * Anti-fraud publicity quotes all of these; an ad that warns (警惕, 谨防, 防范, 非法集资 …) counts
 * nothing, like the lexicon's warning context. Checked on real text in bench/real-text-signals.ts.
 */
import { normalizeText } from './normalize-text.ts';

export interface FinanceCues {
  /** A product with a term, or a return or subscription with a term or a product. */
  depositLike: boolean;
  /** Lending to the customer (贷款, 放款 …) without a subscription cue. */
  lending: boolean;
  bankWording: boolean;
  softPromise: boolean;
  giftOrSeminar: boolean;
  softReferral: boolean;
}

const SUBSCRIPTION = [
  '认购',
  '起投',
  '起购',
  '申购',
  '募集',
  '预存',
  '入股',
  '认筹',
  '认养',
  '投入',
  '投资',
  '存入',
  '购买',
  '会员费',
  '预付',
];
const RETURN = [
  '收益',
  '分红',
  '利息',
  '本息',
  '回报',
  '返还本金',
  '还本',
  '年化',
  '业绩比较基准',
  '增值',
  '返还',
  '返息',
  '进账',
  '领取',
  '月月',
];
const TERM = [
  '天期',
  '期限',
  '到期',
  '持有期',
  '期满',
  '封闭期',
  '锁定期',
  '个月期',
  '年期',
  '定期',
  '按月',
  '每月',
  '每年',
  '季度',
];
const PRODUCT = [
  '理财',
  '理财产品',
  '理财计划',
  '基金',
  '固收',
  '债权',
  '收益权',
  '资产配置',
  '财富管理',
  '稳盈',
  '新手标',
  '期产品',
  '系列',
];
const LENDING = [
  '贷款',
  '放款',
  '借款',
  '信用贷',
  '借钱',
  '借贷额度',
  '授信',
  '网贷',
  '车贷',
  '房贷',
];
const BANK_WORDING = [
  '业绩比较基准',
  '理财非存款',
  '产品有风险',
  '投资须谨慎',
  '投资需谨慎',
  '过往业绩不代表',
  '风险等级r',
  '风险揭示书',
  '产品说明书',
  '中低风险',
  '不构成收益承诺',
];
const SOFT_PROMISE = [
  '稳健增值',
  '稳步增长',
  '稳稳增长',
  '月月有收益',
  '月月有钱',
  '每月都有进账',
  '按月领取',
  '比存银行',
  '比银行',
  '闲钱',
  '被动收入',
  '收益看得见',
  '睡后收入',
  '钱生钱',
  '财富增值',
];
const GIFT_SEMINAR = [
  '到场即送',
  '到场送',
  '即送',
  '免费领',
  '领鸡蛋',
  '送鸡蛋',
  '送米',
  '送油',
  '礼品',
  '赠送',
  '讲座',
  '说明会',
  '推介会',
  '答谢会',
  '沙龙',
  '免费旅游',
  '免费一日游',
  '免费体检',
  '茶话会',
];
const SOFT_REFERRAL = [
  '老带新',
  '介绍亲友',
  '推荐亲友',
  '介绍朋友',
  '推荐朋友',
  '邀请好友',
  '带朋友',
  '拉上朋友',
  '分享给',
  '转发',
];
const WARNING = [
  '警惕',
  '谨防',
  '防范',
  '提防',
  '识破',
  '打击',
  '揭露',
  '非法集资',
  '骗局',
  '举报',
];

const hasAny = (text: string, terms: readonly string[]) => terms.some((t) => text.includes(t));

/** The cues of one ad's text (title and body together). */
export function financeCues(text: string): FinanceCues {
  return financeCuesOfNormalized(normalizeText(text).text);
}

/** The cues of a text already normalised by normalizeText (analyse-text.ts has it at hand). */
export function financeCuesOfNormalized(normalized: string): FinanceCues {
  const t = normalized.replace(/\s+/g, '');
  if (hasAny(t, WARNING))
    return {
      depositLike: false,
      lending: false,
      bankWording: false,
      softPromise: false,
      giftOrSeminar: false,
      softReferral: false,
    };
  const subscription = hasAny(t, SUBSCRIPTION);
  const term = hasAny(t, TERM);
  const product = hasAny(t, PRODUCT);
  const lending = hasAny(t, LENDING);
  const offer = (term && product) || ((hasAny(t, RETURN) || subscription) && (term || product));
  return {
    depositLike: offer && !(lending && !subscription),
    lending: lending && !subscription,
    bankWording: hasAny(t, BANK_WORDING),
    softPromise: hasAny(t, SOFT_PROMISE),
    giftOrSeminar: hasAny(t, GIFT_SEMINAR),
    softReferral: hasAny(t, SOFT_REFERRAL),
  };
}

/**
 * A financial licence in the register: the finance industry (GB/T 4754 section J) or a business
 * scope naming a financial licence or regulator. A proxy — a deployment should join the
 * regulators' own lists of licensed institutions (金融许可证, 地方金融组织名单) when it has them.
 */
export const LICENCE_SCOPE_WORDS =
  '金融许可|经中国银行|银行业监督管理|保险监督管理|证券监督管理|金融监督管理|基金销售|保险代理|保险经纪|保险兼业代理|证券投资咨询|凭金融';
