import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeText } from './normalize-text.ts';
import { extractYields } from './yield.ts';
import {
  countByFamily,
  findRedFlags,
  lexiconTerms,
  RED_FLAG_FAMILIES,
  RED_FLAG_TERM_COUNT,
} from './lexicon.ts';

const surface = (text: string) =>
  findRedFlags(text).map((h) => [h.family, h.term, text.slice(h.start, h.end)]);

describe('lexicon', () => {
  it('has at least 150 terms, every family non-empty and labelled', () => {
    expect(RED_FLAG_TERM_COUNT).toBeGreaterThanOrEqual(150);
    expect(RED_FLAG_FAMILIES.length).toBeGreaterThanOrEqual(11);
    for (const f of RED_FLAG_FAMILIES) {
      expect(f.terms.length).toBeGreaterThan(0);
      expect(f.label_zh).toMatch(/[\u4e00-\u9fff]/);
      expect(f.description.length).toBeGreaterThan(10);
      expect(f.weight).toBeGreaterThan(0);
    }
  });

  it('lists each term in exactly one family', () => {
    const terms = lexiconTerms();
    expect(new Set(terms).size).toBe(terms.length);
  });

  it('every term matches itself', () => {
    for (const f of RED_FLAG_FAMILIES) {
      for (const t of f.terms) {
        const hits = findRedFlags(`【${t}】`);
        expect(hits, t).toHaveLength(1);
        expect(hits[0]).toMatchObject({ family: f.id, term: t, start: 1, end: 1 + t.length });
      }
    }
  });
});

describe('findRedFlags', () => {
  it('finds hits with original offsets', () => {
    expect(surface('本产品保本保息，年化收益率12%，推荐奖励丰厚')).toEqual([
      ['guaranteed', '保本保息', '保本保息'],
      ['high_yield', '年化收益率', '年化收益率'],
      ['referral', '推荐奖励', '推荐奖励'],
    ]);
  });

  it('maps offsets through full-width text and Chinese numerals', () => {
    const text = 'ＶＩＰ客户：一年翻倍！ＵＳＤＴ空投，Ｐ２Ｐ';
    expect(surface(text)).toEqual([
      ['high_yield', '一年翻倍', '一年翻倍'],
      ['crypto', 'usdt', 'ＵＳＤＴ'],
      ['crypto', '空投', '空投'],
      ['wealth_product', 'p2p', 'Ｐ２Ｐ'],
    ]);
  });

  it('prefers the longest match', () => {
    expect(surface('年化收益率')).toEqual([['high_yield', '年化收益率', '年化收益率']]);
    expect(surface('消费养老')).toEqual([['consumption_rebate', '消费养老', '消费养老']]);
  });

  it('matches Latin terms only as whole words', () => {
    expect(surface('GEICO的分析')).toEqual([]);
    expect(surface('参与ICO，USDT结算')).toEqual([
      ['crypto', 'ico', 'ICO'],
      ['crypto', 'usdt', 'USDT'],
    ]);
  });

  it('matches spaced-out terms', () => {
    expect(surface('保 本 保 息')).toEqual([['guaranteed', '保本保息', '保 本 保 息']]);
  });

  it('blockers stop 币 inside 人民币 / 货币', () => {
    expect(surface('人民币理财，比特币挖矿，货币政策')).toEqual([
      ['wealth_product', '理财', '理财'],
      ['crypto', '比特币', '比特币'],
      ['crypto', '挖矿', '挖矿'],
    ]);
  });

  it.each([
    '本产品不保本',
    '不保本不保息',
    '我们不承诺保本保息',
    '本基金非保本产品',
    '并不保证收益',
    '警惕高额回报、保本保息等陷阱。',
    '谨防以"高回报"为诱饵的非法集资',
    '严禁发展下线',
  ])('negation / warning: %s has no hits', (text) => {
    expect(findRedFlags(text).filter((h) => h.family !== 'wealth_product')).toEqual([]);
  });

  it('returns negated hits when asked', () => {
    const hits = findRedFlags('本产品不保本', { includeNegated: true });
    expect(hits).toEqual([{ family: 'guaranteed', term: '保本', start: 4, end: 6, negated: true }]);
  });

  it('negation is local: the next sentence still counts', () => {
    expect(surface('警惕陷阱。本公司保本保息')).toEqual([['guaranteed', '保本保息', '保本保息']]);
    expect(surface('我们不仅保本还送鸡蛋')).toEqual([
      ['guaranteed', '保本', '保本'],
      ['seminar', '送鸡蛋', '送鸡蛋'],
    ]);
  });

  it('warning context does not hide complaint trouble words', () => {
    expect(surface('我要举报，公司拒绝兑付后老板跑路')).toEqual([
      ['trouble', '拒绝兑付', '拒绝兑付'],
      ['trouble', '老板跑路', '老板跑路'],
    ]);
  });

  it('countByFamily counts every family', () => {
    const c = countByFamily(findRedFlags('保本保息，保底收益，比特币'));
    expect(c.guaranteed).toBe(2);
    expect(c.crypto).toBe(1);
    expect(c.trouble).toBe(0);
    expect(Object.keys(c)).toHaveLength(RED_FLAG_FAMILIES.length);
  });

  it('is fast enough for bulk ads', () => {
    const ads = Array.from(
      { length: 5000 },
      (_, i) =>
        `【珠海${i}理财】与央企合作，年化收益率${i % 20}%，保本保息，推荐奖励，详询1380013${i}`,
    );
    const t = performance.now();
    let n = 0;
    for (const a of ads) n += findRedFlags(a).length;
    const ms = performance.now() - t;
    expect(n).toBe(5000 * 5);
    expect(ms).toBeLessThan(2000); // ~100 ms measured; generous for loaded CI
  });
});

describe('offsets (property)', () => {
  const piece = fc.constantFrom(
    ...lexiconTerms().slice(0, 60),
    '年化',
    '１２',
    '％',
    '百分之二十',
    '月息两分',
    '一万',
    '\uD800',
    '😀',
    '  ',
    '\n',
    '，',
    '不',
    '警惕',
    '。',
    '十',
    '5',
    '.',
    '-',
    '千分之三',
    '每万元每月返',
    '元',
    'ＡＢＣ',
    '保 本',
  );
  const text = fc.array(piece, { maxLength: 12 }).map((xs) => xs.join(''));

  it('hits and yields always point into the original text at the right words', () => {
    fc.assert(
      fc.property(text, (s) => {
        for (const h of findRedFlags(s, { includeNegated: true })) {
          expect(h.start).toBeGreaterThanOrEqual(0);
          expect(h.end).toBeLessThanOrEqual(s.length);
          const got = normalizeText(s.slice(h.start, h.end)).text.replace(/\s/g, '');
          expect(got).toContain(normalizeText(h.term).text);
        }
        for (const y of extractYields(s)) {
          expect(s.slice(y.start, y.end)).toBe(y.phrase);
          expect(y.annualRatePct).toBeGreaterThan(0);
        }
      }),
      { numRuns: 2000, seed: 42 },
    );
  });
});
