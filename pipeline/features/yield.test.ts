import { describe, expect, it } from 'vitest';
import { extractYields, maxAnnualYield } from './yield.ts';

/** [text, expected max annual rate in % (undefined = must yield nothing)] */
const TABLE: readonly (readonly [string, number | undefined])[] = [
  // annual
  ['年化12%', 12],
  ['年化收益率12.5%', 12.5],
  ['年收益15%', 15],
  ['年利率18%，保本保息', 18],
  ['预期年化收益率高达16%', 16],
  ['年化收益可达20%以上', 20],
  ['年化：9.6%', 9.6],
  ['产品年化回报率10%，期限12个月', 10],
  ['年息18%，按月付息', 18],
  ['年化收益百分之二十', 20],
  ['年化收益率１２％', 12],
  ['年化收益８％－１２％', 12],
  ['年化8%-12%', 12],
  ['年化收益8-12%', 12],
  ['年化收益率8%~15%', 15],
  ['年化收益6%至9%不等', 9],
  ['享受12%的年化收益', 12],
  ['15%年收益，稳赚不赔', 15],
  ['8-12%年化收益', 12],
  ['每年分红20%', 20],
  ['收益率高达36%', 36],
  ['投资回报率30%', 30],
  ['年息一分五', 15],
  ['年息2分', 20],
  ['年利8厘', 8],
  // monthly
  ['月息2分', 24],
  ['月息两分', 24],
  ['月息二分利', 24],
  ['月利率1.5%', 18],
  ['月收益3%', 36],
  ['每月收益5%', 60],
  ['月息1.5分', 18],
  ['月息8厘', 9.6],
  ['2分利，随借随还', 24],
  ['月返2%，推荐另有奖励', 24],
  ['月化收益4%', 48],
  // daily
  ['日息千分之三', 109.5],
  ['日收益0.5%', 182.5],
  ['日息3‰', 109.5],
  ['每日收益1%', 365],
  ['日利率万分之五', 18.25],
  ['日息1分', 36.5],
  ['天天返0.3%', 109.5],
  // weekly / quarterly
  ['周收益2%', 104],
  ['季度收益5%', 20],
  ['季度分红3%', 12],
  // per amount
  ['每万元每月返300元', 36],
  ['每万元日收益10元', 36.5],
  ['投1万每月返800', 96],
  ['投资10万元，每月收益3000元', 36],
  ['每投资一万元，每年分红2000元', 20],
  ['投资5万元每天返50元', 36.5],
  ['存入1万元每月利息200元', 24],
  ['每万元每周返100元', 52],
  // doubling / payback
  ['一年翻倍', 100],
  ['半年翻倍', 200],
  ['三个月回本', 400],
  ['投资6个月就能回本', 200],
  ['两年翻番', 50],
  ['1年翻3倍', 300],
  // several: take the max
  ['年化12%，月息2分', 24],
  ['年化收益6%起，最高年化18%', 18],
  ['2019年收益12%', 12],
  ['年化收益12%，电话0756-1234567', 12],
  ['每月返利10%', 120],
  ['利息高达30%', 30],
  ['网贷平台年化12%', 12],
  ['收益不低于12%', 12],
  // must yield nothing
  ['咨询电话13800138000', undefined],
  ['服务热线0756-1234567', undefined],
  ['2026年3月开业', undefined],
  ['100%正品', undefined],
  ['满100减20', undefined],
  ['全场打8折', undefined],
  ['折扣低至5折', undefined],
  ['市场份额增长20%', undefined],
  ['市场占有率30%', undefined],
  ['央行降息', undefined],
  ['首付30%', undefined],
  ['98%好评', undefined],
  ['销售额同比增长20%', undefined],
  ['年龄18-60岁', undefined],
  ['60岁以上老人', undefined],
  ['贷款利率4.35%', undefined],
  ['房贷利率下调至3.9%', undefined],
  ['借款日息万分之五', undefined],
  ['年化收益率xx%', undefined],
  ['月息x分', undefined],
  ['收益增长20%', undefined],
  ['年利率上调0.5%', undefined],
  ['银行存款利率1.5%', undefined],
  ['2026年利率走势', undefined],
  ['本店年货5折', undefined],
  ['一年一度', undefined],
  ['十分稳定', undefined],
  ['投资收益100%有保障', undefined],
  ['收益率排名前10%', undefined],
  ['消费返利5%', undefined],
  ['已有2000人获得收益', undefined],
  ['收益1000元', undefined],
  ['年化收益详询13800138000', undefined],
  ['公司成立于2015年，收益稳定', undefined],
];

describe('promised yield table', () => {
  it('has at least 60 rows and 15 negatives', () => {
    expect(TABLE.length).toBeGreaterThanOrEqual(60);
    expect(TABLE.filter(([, r]) => r === undefined).length).toBeGreaterThanOrEqual(15);
  });

  it.each(TABLE)('%s → %s', (text, expected) => {
    const got = maxAnnualYield(text);
    if (expected === undefined) {
      expect(extractYields(text)).toEqual([]);
      expect(got).toBeUndefined();
    } else {
      expect(got).toBeDefined();
      expect(Math.abs(got! - expected)).toBeLessThanOrEqual(0.01);
    }
  });
});

describe('extractYields', () => {
  it('returns original offsets, phrase and kind', () => {
    const text = '【理财】年化收益率１２％，月息两分！';
    const ys = extractYields(text);
    expect(ys).toHaveLength(2);
    for (const y of ys) expect(text.slice(y.start, y.end)).toBe(y.phrase);
    expect(ys[0]).toMatchObject({ phrase: '年化收益率１２％', kind: 'annual', annualRatePct: 12 });
    expect(ys[1]).toMatchObject({
      phrase: '月息两分',
      kind: 'monthly',
      period: 'month',
      periodRatePct: 2,
      annualRatePct: 24,
    });
  });

  it('marks ranges and takes the upper bound', () => {
    const [y] = extractYields('年化8%-12%');
    expect(y).toMatchObject({ range: true, annualRatePct: 12, phrase: '年化8%-12%' });
  });

  it('maps Chinese-numeral rewrites back to the whole original run', () => {
    const [y] = extractYields('日息千分之三，稳赚');
    expect(y).toMatchObject({ phrase: '日息千分之三', start: 0, end: 6, kind: 'daily' });
    expect(y!.annualRatePct).toBeCloseTo(109.5, 6);
  });

  it('per-amount and doubling kinds', () => {
    expect(extractYields('每万元每月返300元')[0]).toMatchObject({
      kind: 'per_amount',
      period: 'month',
      periodRatePct: 3,
      annualRatePct: 36,
    });
    expect(extractYields('三个月回本')[0]).toMatchObject({ kind: 'payback', period: 'span' });
    expect(extractYields('半年翻倍')[0]).toMatchObject({ kind: 'doubling', annualRatePct: 200 });
  });
});
