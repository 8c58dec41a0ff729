import { describe, expect, it } from 'vitest';
import { createSegmenter, getSegmenter, NUM_TOKEN, tokens, toTokens } from './segment.ts';

describe('segment (jieba + domain dictionary)', () => {
  const seg = getSegmenter();

  it('loads jieba here', () => {
    expect(seg.engine).toBe('jieba');
    expect(getSegmenter()).toBe(seg); // lazily created once
  });

  it.each([
    '保本保息',
    '年化收益率',
    '每万元',
    '以房养老',
    '消费全返',
    '稳赚不赔',
    '推荐奖励',
    '原始股',
    '刚性兑付',
  ])('keeps %s whole', (term) => {
    expect(tokens(`本公司${term}，欢迎咨询`)).toContain(term);
  });

  it('normalises, drops punctuation and masks numbers', () => {
    expect(tokens('本产品保本保息，年化收益率１２％！')).toEqual([
      '本',
      '产品',
      '保本保息',
      '年化收益率',
      NUM_TOKEN,
      '%',
    ]);
    const t = tokens('欢迎致电xxxxxxxxxxx，xx月xx日开业');
    expect(t.filter((x) => x === NUM_TOKEN)).toHaveLength(3);
    expect(t.some((x) => /\d|[，！]/.test(x))).toBe(false);
  });

  it('handles empty and punctuation-only text', () => {
    expect(tokens('')).toEqual([]);
    expect(tokens('！？。，…')).toEqual([]);
  });

  it('toTokens masks numbers and keeps words', () => {
    expect(toTokens(['12.5', '%', 'xx', 'x', 'p2p', ' ', '，', '3‰'])).toEqual([
      NUM_TOKEN,
      '%',
      NUM_TOKEN,
      'x',
      'p2p',
      NUM_TOKEN,
      '‰',
    ]);
  });
});

describe('segment (Intl.Segmenter fallback)', () => {
  it('works without jieba', () => {
    const seg = createSegmenter({ engine: 'intl' });
    expect(seg.engine).toBe('intl');
    const t = tokens('本产品年化收益１２％，商业价值', seg);
    expect(t).toContain('产品');
    expect(t).toContain(NUM_TOKEN);
    expect(t.join('')).toBe('本产品年化收益<num>%商业价值');
  });
});
