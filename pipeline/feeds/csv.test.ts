import { describe, expect, it } from 'vitest';
import { CsvSplitter, MAX_OPEN_LINES, type CsvBroken, type CsvRecord } from './csv.ts';

function split(text: string, chunk = 3, expected = 3): (CsvRecord | CsvBroken)[] {
  const out: (CsvRecord | CsvBroken)[] = [];
  const s = new CsvSplitter(
    (r) => out.push(r),
    (b) => out.push(b),
  );
  s.expectedFields = expected;
  for (let i = 0; i < text.length; i += chunk) s.push(text.slice(i, i + chunk));
  s.end();
  return out;
}

describe('CsvSplitter', () => {
  it('reads quoted commas, doubled quotes and multi-line cells, at any chunking', () => {
    const text = 'a,b,c\r\n1,"x,y",3\n2,"multi\nline ""q""",4\n\n5,,\n';
    for (const chunk of [1, 2, 5, 1000]) {
      const recs = split(text, chunk) as CsvRecord[];
      expect(recs.map((r) => r.fields)).toEqual([
        ['a', 'b', 'c'],
        ['1', 'x,y', '3'],
        ['2', 'multi\nline "q"', '4'],
        ['5', '', ''],
      ]);
      expect(recs.map((r) => r.line)).toEqual([1, 2, 3, 6]);
    }
  });

  it('a quote left open breaks only its own line', () => {
    const out = split('a,b,c\n3,"open,5\n4,ok,6\n5,a"b,7\n');
    expect(out[1]?.line).toBe(2);
    expect(out[1] && 'problem' in out[1] ? out[1].problem : '').toMatch(/quoted field/);
    expect(out[2]).toMatchObject({ line: 3, fields: ['4', 'ok', '6'] });
    expect(out[3]).toMatchObject({ line: 4, fields: ['5', 'a"b', '7'] });
  });

  it('a quote never closed before the end of input breaks one line', () => {
    const lines = Array.from({ length: MAX_OPEN_LINES + 20 }, (_, i) => `${i},x,y`).join('\n');
    const out = split(`a,b,c\n9,"never\n${lines}\n`, 4096);
    const broken = out.filter((r) => 'problem' in r);
    expect(broken).toHaveLength(1);
    expect(out.length).toBe(1 + 1 + MAX_OPEN_LINES + 20);
  });
});
