/** Promised returns, written the many ways ads write them. */
import { chineseNumber } from './noise.ts';
import type { Rng } from './rng.ts';

function trim(n: number, digits = 1): string {
  return String(Math.round(n * 10 ** digits) / 10 ** digits);
}

/** A phrase promising an annual yield `annual` (0.18 = 18 %). */
export function yieldPhrase(rng: Rng, annual: number): string {
  const pct = annual * 100;
  const monthly = pct / 12;
  const dailyPermille = (annual / 365) * 1000;
  const perTenK = Math.round((10000 * annual) / 12 / 10) * 10;
  const forms: (() => string)[] = [
    () => `年化${trim(pct)}%`,
    () => `年化收益${trim(pct)}%`,
    () => `预期年化收益率${trim(pct)}%`,
    () => `年收益高达${Math.round(pct)}%`,
    () => `年回报率${Math.round(pct)}%以上`,
    () => `年化${Math.floor(pct)}%-${Math.ceil(pct * 1.3)}%`,
    () => `月息${trim(monthly)}分`,
    () => `月息${chineseNumber(Math.max(1, Math.round(monthly)), '两')}分`,
    () => `月利率${trim(monthly, 2)}%`,
    () => `每月收益${trim(monthly)}%`,
    () => `日息千分之${trim(dailyPermille)}`,
    () => `日收益${trim(dailyPermille)}‰`,
    () => `每天${trim(dailyPermille / 10, 2)}%收益`,
    () => `每万元每月返${perTenK}元`,
    () => `投一万每月到手${perTenK}元`,
    () => `1万元每天收益${trim((10000 * annual) / 365)}元`,
    () => `投10万，一年赚${Math.round(10 * annual * 10) / 10}万`,
    () => `百分之${chineseNumber(Math.min(99, Math.round(pct)))}的年收益`,
    () => `${rng.pick([30, 90, 180])}天一期，到期收益${trim(pct)}%（年化）`,
  ];
  if (annual >= 0.7) {
    forms.push(
      () => '一年翻倍',
      () => `${Math.max(2, Math.round(12 / annual))}个月回本`,
      () => `投入10万，一年后变${Math.round(10 * (1 + annual))}万`,
      () => `${Math.max(1, Math.round(annual))}年翻${Math.max(1, Math.round(annual))}倍`,
    );
  }
  return rng.pick(forms)();
}

/** Modest, licensed-product yields (banks, funds, insurers). */
export function modestYield(rng: Rng, kind: 'bank' | 'fund' | 'insurance'): string {
  const a =
    kind === 'bank' ? rng.real(1.5, 3.2) : kind === 'fund' ? rng.real(1.3, 4) : rng.real(2, 3.5);
  const x = trim(a, 2);
  const forms: Record<typeof kind, string[]> = {
    bank: [
      `大额存单年利率${x}%`,
      `三年期定期存款利率${x}%`,
      `理财产品业绩比较基准${trim(a, 1)}%-${trim(a + 0.6, 1)}%`,
      `新客专享理财七日年化${x}%`,
    ],
    fund: [
      `货币基金七日年化${x}%`,
      `纯债基金近一年收益${x}%`,
      `业绩比较基准：中债总指数收益率×90%+活期存款利率×10%`,
      `近一年年化波动率${trim(a, 1)}%`,
    ],
    insurance: [
      `增额终身寿险有效保额按${trim(a, 1)}%复利递增`,
      `预定利率${trim(a, 1)}%`,
      `年金险第${rng.range(5, 10)}年起每年领取`,
      `万能账户保证利率${trim(a / 2, 2)}%`,
    ],
  };
  return rng.pick(forms[kind]);
}
