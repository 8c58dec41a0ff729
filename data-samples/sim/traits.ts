/**
 * Quiet-scheme traits (issue 21): options that make some schemes harder to see, and decoys that
 * shout louder than the schemes. All are off by default, and then the simulator draws exactly the
 * random numbers it drew before they existed, so its output is byte for byte what it was (a test
 * checks a hash). Every trait decision comes from its own stream keyed by the enterprise, never
 * from the streams the default city uses.
 *
 * The traits follow what real quiet schemes looked like:
 * - `vague` — no numbers, soft promises only (稳健增值, 月月有收益). Pension schemes sold with
 *   seminars and gifts, not rates (最高人民法院 typical cases of 以养老服务为名 fundraising, and
 *   the 2019 nationwide campaign against 养老诈骗).
 * - `bank_like` — the careful wording of a licensed bank's wealth product (业绩比较基准,
 *   理财非存款、产品有风险、投资须谨慎, 过往业绩不代表未来表现; the disclosures required of licensed
 *   issuers by 《商业银行理财业务监督管理办法》 2018) from a company that holds no financial licence.
 * - `product_named` — ads and complaints name a product or an app, never the registered company
 *   (e租宝 was run by 钰诚国际控股集团; 钱宝网 by 南京钱宝信息传媒). Only some ads carry the
 *   company's phone or website; others a WeChat ID or the app's own domain.
 * - `short_promo` — a few months of ads before the trouble starts.
 * - `late_complaints` — no complaint until the last days before the collapse.
 * Decoys (`loudDecoys`, a share of the register each): licensed lenders advertising loan rates
 * (年化利率 7.2 % 起), shop rentals with a rental yield; franchise and shopping-rebate decoys get
 * louder numbers. Legal businesses that promise high returns on something other than a deposit.
 */
import type { Rng } from './rng.ts';

export type SchemeTrait =
  'vague' | 'bank_like' | 'product_named' | 'short_promo' | 'late_complaints';

export const SCHEME_TRAITS: readonly SchemeTrait[] = [
  'vague',
  'bank_like',
  'product_named',
  'short_promo',
  'late_complaints',
];

/** Shares of schemes with each trait (`vague` and `bank_like` exclude each other), decoy rate. */
export interface TraitOptions {
  vague: number;
  bankLike: number;
  productNamed: number;
  shortPromo: number;
  lateComplaints: number;
  /** Share of the register for each of the new loud decoys (lenders, shop rentals). */
  loudDecoys: number;
}

export const NO_TRAITS: TraitOptions = {
  vague: 0,
  bankLike: 0,
  productNamed: 0,
  shortPromo: 0,
  lateComplaints: 0,
  loudDecoys: 0,
};

/**
 * The quiet city of issue 21: half the schemes vague, a quarter bank-like, many known only by a
 * product, short promotions and late complaints common, and louder decoys.
 */
export const QUIET_TRAITS: TraitOptions = {
  vague: 0.5,
  bankLike: 0.25,
  productNamed: 0.4,
  shortPromo: 0.35,
  lateComplaints: 0.4,
  loudDecoys: 0.003,
};

export function traitsActive(t: TraitOptions | undefined): t is TraitOptions {
  return (
    t !== undefined &&
    (t.vague > 0 ||
      t.bankLike > 0 ||
      t.productNamed > 0 ||
      t.shortPromo > 0 ||
      t.lateComplaints > 0 ||
      t.loudDecoys > 0)
  );
}

/** The traits of one scheme, drawn from its own trait stream. */
export function drawTraits(rng: Rng, t: TraitOptions): SchemeTrait[] {
  const out: SchemeTrait[] = [];
  const wording = rng.next();
  if (wording < t.vague) out.push('vague');
  else if (wording < t.vague + t.bankLike) out.push('bank_like');
  if (rng.chance(t.productNamed)) out.push('product_named');
  if (rng.chance(t.shortPromo)) out.push('short_promo');
  if (rng.chance(t.lateComplaints)) out.push('late_complaints');
  return out;
}

/** Soft promises with no number (vague schemes). */
export const SOFT_PROMISES = [
  '稳健增值',
  '月月有收益',
  '每月都有进账',
  '比存银行划算',
  '闲钱打理好帮手',
  '让您的积蓄稳稳增长',
  '安享晚年收入',
  '收益看得见',
  '专业团队帮您打理',
  '省心省力，按月领取',
  '家门口的好项目',
  '多一份收入多一份安心',
];

/** Statutory-looking risk disclosures copied from licensed wealth products (bank-like schemes). */
export const BANK_DISCLOSURES = [
  '理财非存款、产品有风险、投资须谨慎',
  '过往业绩不代表未来表现',
  '业绩比较基准不构成收益承诺',
  '本产品风险等级R2（中低风险）',
  '投资者应充分了解产品风险',
  '请仔细阅读产品说明书及风险揭示书',
];

/** A bank-product style line: benchmark, term, minimum (numbers modest, close to real products). */
export function bankLikeLine(rng: Rng, product: string): string {
  const lo = rng.real(3.6, 5.8);
  const benchmark = `${lo.toFixed(1)}%-${(lo + rng.real(0.3, 1)).toFixed(1)}%`;
  return rng.pick([
    `${product}稳健${rng.pick(['增利', '丰盈', '睿享', '安鑫'])}${rng.range(1, 36)}期，业绩比较基准${benchmark}`,
    `${product}${rng.pick([91, 182, 365])}天持有期产品，业绩比较基准${benchmark}，起购金额${rng.pick([1, 5, 10])}万元`,
    `${product}固收+系列发行中，募集期${rng.range(3, 10)}天，业绩比较基准${benchmark}`,
    `${product}养老理财${rng.pick(['一号', '二号', '稳享'])}，产品期限${rng.pick([1, 3, 5])}年，业绩比较基准${benchmark}`,
  ]);
}

/** Product-name endings of platform-style products (e租宝, 钱宝, 某某金服). */
export const PRODUCT_ENDINGS = ['宝', 'e宝', '金服', '钱包', '理财', '优选', 'APP', '财富', '惠'];
