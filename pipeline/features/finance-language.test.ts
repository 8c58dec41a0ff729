import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { financeCues } from './finance-language.ts';

describe('financial-product language', () => {
  it.each([
    // a deposit-like product needs no number: a return with a term or a packaged product
    ['港丰财富30天期理财计划，闲钱打理好帮手', true],
    ['预存养老金，到期返还本金，每年领取', true],
    ['认养一头牛，托管养殖，合同期满返还本金', true],
    ['您好，渤海银行双节理财xxx天收益x%五万起', true],
    // a return alone is not a product; nor is a loan, a shop or a franchise
    ['旺铺出租，租金回报率6%，业主直租', false],
    ['奶茶加盟，投资14万，7个月回本，总部全程扶持', false],
    ['小额贷款：贷款年化利率7.2%起，最高额度20万，当天放款', false],
    ['全场8折，满200减30，欢迎预订', false],
  ])('%s → deposit-like %s', (text, expected) => {
    expect(financeCues(text).depositLike).toBe(expected);
  });

  it('tells lending from deposit-taking, and reads bank wording, soft promises and early behaviour', () => {
    expect(financeCues('无抵押信用贷款，当天放款').lending).toBe(true);
    expect(
      financeCues('九远平台稳健丰盈23期，业绩比较基准5.6%-6.2%，理财非存款、产品有风险')
        .bankWording,
    ).toBe(true);
    expect(financeCues('稳健增值，月月有收益').softPromise).toBe(true);
    expect(financeCues('18日在社区活动中心举办健康讲座，到场即送鸡蛋').giftOrSeminar).toBe(true);
    expect(financeCues('老带新有礼').softReferral).toBe(true);
    expect(financeCues('今日天气晴').softPromise).toBe(false);
  });

  it('counts nothing in anti-fraud publicity', () => {
    const warning = financeCues(
      '警惕以“养老理财产品”为名的非法集资：承诺到期返还本金、月月有收益的都是骗局',
    );
    expect(Object.values(warning).every((v) => v === false)).toBe(true);
  });

  // real Chinese SMS (../shared/datasets, never copied here): the cue must stay rare in ordinary
  // messages and catch the real financial-product ads (bench/real-text-signals.ts prints the counts)
  const sms = [
    new URL('../../../shared/datasets/spam-sms-zh/sms-10k-labeled.tsv', import.meta.url).pathname,
    '/work/shared/datasets/spam-sms-zh/sms-10k-labeled.tsv',
  ].find((p) => existsSync(p));
  it.skipIf(sms === undefined)(
    'is rare in real ordinary SMS and finds the real wealth-product ads',
    () => {
      const rows = readFileSync(sms!, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => l.split('\t') as [string, string]);
      const ordinary = rows.filter(([y]) => y === '0');
      const hits = ordinary.filter(([, t]) => financeCues(t).depositLike).length;
      expect(hits / ordinary.length).toBeLessThan(0.005);
      const wealthAds = rows.filter(([y, t]) => y === '1' && /理财产品|理财.{0,6}天/.test(t));
      expect(wealthAds.length).toBeGreaterThan(3);
      for (const [, t] of wealthAds) expect(financeCues(t).depositLike, t).toBe(true);
    },
  );
});
