import { describe, expect, it } from 'vitest';
import { featureTableFromCsv, parseCsv, toCsv } from './csv.ts';

describe('csv', () => {
  it('parses quoted fields, doubled quotes, embedded commas and newlines, CRLF and a BOM', () => {
    const text = '\ufeffa,b,c\r\n1,"x, y","he said ""hi"""\r\n2,"line1\nline2",\n';
    expect(parseCsv(text)).toEqual([
      ['a', 'b', 'c'],
      ['1', 'x, y', 'he said "hi"'],
      ['2', 'line1\nline2', ''],
    ]);
  });

  it('round-trips through toCsv', () => {
    const rows = [
      ['1', 'a,b', 'q"q'],
      ['2', '', 'x'],
    ];
    expect(parseCsv(toCsv(['id', 's', 't'], rows))).toEqual([['id', 's', 't'], ...rows]);
  });

  it('reads a feature table keyed by id: labels, extra columns, NaN for empty cells', () => {
    const t = featureTableFromCsv('id,label,fold,f1,f2\nA,1,0,0.5,\nB,0,1,,3\n', {
      extra: ['fold'],
    });
    expect(t.ids).toEqual(['A', 'B']);
    expect(Array.from(t.labels!)).toEqual([1, 0]);
    expect(Array.from(t.extra['fold']!)).toEqual([0, 1]);
    expect(t.matrix.columns).toEqual(['f1', 'f2']);
    expect(Array.from(t.matrix.data)).toEqual([0.5, Number.NaN, Number.NaN, 3]);
    expect(() => featureTableFromCsv('id,f1\nA,abc\n')).toThrow(
      /line 2, column f1: "abc" is not a number/,
    );
  });
});
