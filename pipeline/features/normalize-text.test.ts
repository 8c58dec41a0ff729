import { describe, expect, it } from 'vitest';
import { normalizeText, parseChineseNumber, toHalfWidth } from './normalize-text.ts';

describe('parseChineseNumber', () => {
  it.each([
    ['十二', 12],
    ['二十', 20],
    ['一千零五十', 1050],
    ['两万', 20000],
    ['十万', 100000],
    ['两千五百万', 25_000_000],
    ['一亿二千万', 120_000_000],
    ['一点五', 1.5],
    ['二〇二六', 2026],
    ['12.5', 12.5],
  ])('%s = %d', (s, n) => {
    expect(parseChineseNumber(s)).toBe(n);
  });
  it('rejects non-numbers', () => {
    expect(parseChineseNumber('保本')).toBeUndefined();
    expect(parseChineseNumber('')).toBeUndefined();
  });
});

describe('normalizeText', () => {
  it.each([
    ['ＡＢＣ１２３％', 'abc123%'],
    ['年化　１２．５％', '年化 12.5%'],
    ['百分之二十', '20%'],
    ['百分之十二点五', '12.5%'],
    ['日息千分之三', '日息3‰'],
    ['万分之五', '5‱'],
    ['月息两分', '月息2分'],
    ['二分利', '2分利'],
    ['投资一万元', '投资10000元'],
    ['十万起投', '100000起投'],
    ['一年翻倍，三个月回本', '1年翻倍,3个月回本'],
    ['十分稳定', '十分稳定'],
    ['统一 万一 第一', '统一 万一 第一'],
    ['每万元每月返300元', '每万元每月返300元'],
    ['  a \n\t b  ', 'a b'],
  ])('%s → %s', (input, out) => {
    expect(normalizeText(input).text).toBe(out);
  });

  it('maps spans back to the original text', () => {
    const original = '本产品年化百分之二十！ＡＰＰ下载';
    const n = normalizeText(original);
    const i = n.text.indexOf('20%');
    const span = n.toOriginal(i, i + 3);
    expect(original.slice(span.start, span.end)).toBe('百分之二十');
    const j = n.text.indexOf('app');
    const s2 = n.toOriginal(j, j + 3);
    expect(original.slice(s2.start, s2.end)).toBe('ＡＰＰ');
    const k = n.text.indexOf('年化');
    expect(n.toOriginal(k, k + 2)).toEqual({ start: 3, end: 5 });
  });

  it('toHalfWidth keeps length', () => {
    expect(toHalfWidth('ＡＢＣ１２３％')).toBe('ABC123%');
  });
});
