/** Each transform of a mapping file, and how a mapping binds to a header (one test per behaviour). */
import { describe, expect, it } from 'vitest';
import { bindMapping, identityMapping, MappingError, parseMapping } from './compile.ts';
import { dateParser, fromExcelSerial } from './dates.ts';
import { combineHeader } from './header.ts';
import type { MappingInput, Transform } from './schema.ts';
import { compileTransforms, TransformProblem } from './transforms.ts';

const run = (ts: Transform[], v: string | null) => compileTransforms(ts)(v);
const fails = (ts: Transform[], v: string) => {
  try {
    run(ts, v);
  } catch (err) {
    expect(err).toBeInstanceOf(TransformProblem);
    return (err as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(v)} to be rejected`);
};

describe('text transforms', () => {
  it('trim removes ASCII, full-width (U+3000) and no-break spaces, and an empty result is null', () => {
    expect(run(['trim'], '\u3000 鑫盛财富\u00a0\t')).toBe('鑫盛财富');
    expect(run(['trim'], ' \u3000 ')).toBeNull();
    expect(run(['trim'], null)).toBeNull();
  });
  it('halfwidth turns full-width digits, letters and punctuation into ASCII', () => {
    expect(run(['halfwidth'], '０７５６－１２３４５６７')).toBe('0756-1234567');
    expect(run(['halfwidth', 'upper'], '９１４４０４００ｍａ４ｕｈ０ｘｘｘ')).toBe(
      '91440400MA4UH0XXX',
    );
    expect(run(['halfwidth'], '（万元）')).toBe('(万元)');
  });
  it('upper, lower and digits', () => {
    expect(run(['upper'], 'ma4u')).toBe('MA4U');
    expect(run(['lower'], 'WWW.X.COM')).toBe('www.x.com');
    expect(run(['digits'], '电话：0756-222 3344')).toBe('07562223344');
  });
  it('null_if turns placeholder values into empty', () => {
    const t: Transform[] = ['trim', { null_if: ['-', '无', '暂无'] }];
    expect(run(t, ' 无 ')).toBeNull();
    expect(run(t, '－')).toBeNull(); // compared half-width
    expect(run(t, '王某')).toBe('王某');
  });
  it('prefix puts text before a non-empty value only', () => {
    expect(run([{ prefix: 'GD-' }], '001')).toBe('GD-001');
    expect(run([{ prefix: 'GD-' }], null)).toBeNull();
  });
  it('regex extracts the first capturing group by default, the whole match without one', () => {
    expect(run([{ regex: { pattern: '编号[:：](\\w+)' } }], '工单编号：A123，来电')).toBe('A123');
    expect(run([{ regex: { pattern: '\\d{11}' } }], '电话13800138000转')).toBe('13800138000');
    expect(run([{ regex: { pattern: '(\\d+)年', group: 0 } }], '2024年')).toBe('2024年');
  });
  it('regex: a value without a match is null, kept, or rejected as the mapping says', () => {
    expect(run([{ regex: { pattern: '\\d+' } }], '无')).toBeNull();
    expect(run([{ regex: { pattern: '\\d+', otherwise: 'keep' } }], '无')).toBe('无');
    expect(fails([{ regex: { pattern: '\\d+', otherwise: 'reject' } }], '无')).toMatch(
      /does not match/,
    );
  });
  it('replace replaces every match', () => {
    expect(run([{ replace: { pattern: '\\s+', with: ' ' } }], 'a \n\n b')).toBe('a b');
  });
});

describe('dates and times', () => {
  const date = (v: string, formats?: string[]) => run([{ date: formats ? { formats } : {} }], v);
  const datetime = (v: string, formats?: string[], offset?: string) =>
    run([{ datetime: { ...(formats ? { formats } : {}), ...(offset ? { offset } : {}) } }], v);

  it('reads Chinese dates, slashes, dots, compact digits and ISO', () => {
    expect(date('2024年3月5日')).toBe('2024-03-05');
    expect(date('2024年03月05日')).toBe('2024-03-05');
    expect(date('2024/3/5')).toBe('2024-03-05');
    expect(date('2024.3.5')).toBe('2024-03-05');
    expect(date('20240305')).toBe('2024-03-05');
    expect(date('2024-03-05')).toBe('2024-03-05');
  });
  it('reads full-width digits in dates', () => {
    expect(date('２０２４年３月５日')).toBe('2024-03-05');
    expect(datetime('２０２４／３／５　１４：０３')).toBe('2024-03-05T14:03:00+08:00');
  });
  it('reads Excel serial dates (1900 system), fractions as the time of day', () => {
    expect(date('45356')).toBe('2024-03-05');
    expect(date('45356.75')).toBe('2024-03-05');
    expect(datetime('45356.5854166667')).toBe('2024-03-05T14:03:00+08:00');
    // the first serials after Excel's fictitious 1900-02-29 still count from 1899-12-30
    expect(fromExcelSerial(367)).toMatchObject({ y: 1901, mo: 1, d: 1 });
    expect(fromExcelSerial(43831)).toMatchObject({ y: 2020, mo: 1, d: 1 });
    // a fraction that rounds up to midnight is the next day
    expect(datetime('45356.999999999')).toBe('2024-03-06T00:00:00+08:00');
  });
  it('refuses small numbers as Excel dates (they are not dates) and names the formats tried', () => {
    expect(fails([{ date: { formats: ['excel_serial'] } }], '12')).toMatch(
      /"12": not a date in the format\(s\) excel_serial/,
    );
  });
  it('reads 2024/3/5 14:03 and Chinese times; without an offset the time is Asia/Shanghai', () => {
    expect(datetime('2024/3/5 14:03')).toBe('2024-03-05T14:03:00+08:00');
    expect(datetime('2024/3/5 4:03:09')).toBe('2024-03-05T04:03:09+08:00');
    expect(datetime('2024年3月5日 14时03分')).toBe('2024-03-05T14:03:00+08:00');
    expect(datetime('2024-03-05T14:03:00Z')).toBe('2024-03-05T14:03:00Z');
    expect(datetime('2024/3/5 14:03', undefined, '+00:00')).toBe('2024-03-05T14:03:00+00:00');
    expect(datetime('2024/3/5')).toBe('2024-03-05T00:00:00+08:00');
  });
  it('uses only the formats a mapping names, in order', () => {
    expect(fails([{ date: { formats: ['yyyy年M月d日'] } }], '2024/3/5')).toMatch(/yyyy年M月d日/);
    expect(date('05/03/24', ['dd/MM/yy'])).toBe('2024-03-05');
  });
  it('refuses impossible dates', () => {
    expect(fails([{ date: {} }], '2023年2月29日')).toMatch(/not a date/);
    expect(fails([{ datetime: {} }], '2024/3/5 24:10')).toMatch(/not a date and time/);
    expect(dateParser(['yyyy-M-d'])('2024-13-01')).toBeUndefined();
  });
});

describe('numbers and units', () => {
  it('万元 → 元, and a value that names its own unit wins', () => {
    const t: Transform[] = [{ unit: { from: '万元', to: '元' } }];
    expect(run(t, '3.5')).toBe('35000');
    expect(run(t, '0.1')).toBe('1000'); // no float noise
    expect(run(t, '1,200')).toBe('12000000');
    expect(run(t, '5000元')).toBe('5000');
    expect(run(t, '1.2亿')).toBe('120000000');
  });
  it('元 → 万元 and register-style values (500万人民币, 1000万元人民币, ¥)', () => {
    const t: Transform[] = [{ unit: { from: '元', to: '万元' } }];
    expect(run(t, '169600')).toBe('16.96');
    expect(run(t, '500万人民币')).toBe('500');
    expect(run(t, '1000万元人民币')).toBe('1000');
    expect(run(t, '￥2,000,000')).toBe('200');
  });
  it('full-width digits in amounts', () => {
    expect(run([{ unit: { from: '万元', to: '元' } }], '１２．５万元')).toBe('125000');
  });
  it('refuses foreign currencies and non-numbers, naming the value', () => {
    expect(fails([{ unit: { from: '万元', to: '万元' } }], '100万美元')).toMatch(
      /"100万美元": is in a foreign currency/,
    );
    expect(fails([{ unit: { from: '元', to: '元' } }], '约十万')).toMatch(/not an amount/);
    expect(fails([{ number: {} }], 'abc')).toMatch(/not a number/);
  });
  it('number removes separators and currency signs', () => {
    expect(run([{ number: {} }], '¥ 1,234.50')).toBe('1234.5');
  });
});

describe('code lists', () => {
  const status: Transform = {
    map: { values: { '存续（在营、开业、在册）': '存续', '吊销，未注销': '吊销', 注销: '注销' } },
  };
  it('maps listed codes (compared trimmed and half-width) to the contract enum', () => {
    expect(run([status], ' 存续(在营、开业、在册) ')).toBe('存续');
    expect(run([status], '吊销，未注销')).toBe('吊销');
  });
  it('rejects an unlisted code by default, listing the codes it knows', () => {
    expect(fails([status], '撤销')).toMatch(
      /"撤销": not in the code list \(存续（在营、开业、在册）, 吊销，未注销, 注销\)/,
    );
  });
  it('default, keep and null for unlisted codes', () => {
    expect(run([{ map: { values: { 微信: 'wechat' }, default: 'other' } }], '抖音')).toBe('other');
    expect(run([{ map: { values: { 微信: 'wechat' }, otherwise: 'keep' } }], 'web')).toBe('web');
    expect(run([{ map: { values: { 微信: 'wechat' }, otherwise: 'null' } }], '抖音')).toBeNull();
  });
});

const complaintsMapping: MappingInput = {
  name: 'test 12345',
  feed: 'complaints',
  fields: {
    complaint_id: { column: '工单编号', transforms: ['trim', 'halfwidth'] },
    received_at: { column: '来电时间', transforms: [{ datetime: {} }] },
    channel: { const: 'hotline_12345' },
    target_name: { column: '被反映对象' },
    text: { columns: ['诉求标题', '诉求内容'], join: '：' },
    amount_cny: { column: '涉及金额（万元）', transforms: [{ unit: { from: '万元', to: '元' } }] },
    district: { column: '所属区县', optional: true },
  },
};
const header = [
  '工单编号',
  '来电时间',
  '被反映对象',
  '诉求标题',
  '诉求内容',
  '涉及金额(万元)',
  '办理状态',
];

describe('a mapping bound to a header', () => {
  const bound = bindMapping(parseMapping(complaintsMapping), header);

  it('maps columns, constants and concatenations; unmapped columns are kept for extra', () => {
    const r = bound.map([
      'ＧＤ００１',
      '2024/3/5 14:03',
      '鑫盛财富',
      '无法提现',
      '本金10万元',
      '10',
      '办理中',
    ]);
    expect(r).toEqual({
      ok: true,
      record: {
        complaint_id: 'GD001',
        received_at: '2024-03-05T14:03:00+08:00',
        channel: 'hotline_12345',
        target_name: '鑫盛财富',
        text: '无法提现：本金10万元',
        amount_cny: '100000',
        办理状态: '办理中',
      },
    });
  });
  it('skips an empty part of a concatenation', () => {
    const r = bound.map(['GD2', '2024/3/5 14:03', 'X', '', '内容', null, null]);
    expect(r.ok && r.record['text']).toBe('内容');
  });
  it('matches headers ignoring full-width brackets and white space (wrapped Excel headers)', () => {
    expect(bound.sourcesOf['amount_cny']).toEqual(['涉及金额(万元)']);
  });
  it('a bad value is a problem naming the source column and the field', () => {
    const r = bound.map(['GD3', '2024/13/45 25:00', 'X', '', '内容', '1', null]);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(
      /^「来电时间」 → received_at "2024\/13\/45 25:00": not a date and time/,
    );
  });
  it('rewords a validator reason about a mapped field so that it names the source column', () => {
    expect(bound.explain('amount_cny -5: must not be negative')).toBe(
      '「涉及金额(万元)」 → amount_cny -5: must not be negative',
    );
    expect(bound.explain('target_name: required field is missing')).toBe(
      '「被反映对象」 → target_name: required field is missing',
    );
    expect(bound.explain('row has 9 cells, the header has 7')).toBe(
      'row has 9 cells, the header has 7',
    );
  });
  it('refuses a file that lacks a mapped column, showing its header', () => {
    expect(() =>
      bindMapping(parseMapping(complaintsMapping), ['工单编号', '来电时间'], 'a.xlsx'),
    ).toThrow(
      /a\.xlsx lacks the column\(s\) 「被反映对象」, 「诉求标题」, 「诉求内容」, 「涉及金额（万元）」 .*its header is: 「工单编号」, 「来电时间」/,
    );
  });
  it('an optional column may be absent', () => {
    expect(bound.sourcesOf['district']).toEqual([]);
  });
  it("drops unmapped columns with unmapped: 'drop'; renames a leftover named like a contract field", () => {
    const drop = bindMapping(parseMapping({ ...complaintsMapping, unmapped: 'drop' }), header);
    const r = drop.map(['G', '2024/3/5 14:03', 'X', 'a', 'b', '1', '办理中']);
    expect(r.ok && '办理状态' in r.record).toBe(false);
    const clash = bindMapping(parseMapping(complaintsMapping), [...header, 'district']);
    const r2 = clash.map(['G', '2024/3/5 14:03', 'X', 'a', 'b', '1', null, '香洲区']);
    expect(r2.ok && r2.record['source:district']).toBe('香洲区');
  });
});

describe('mapping files are checked', () => {
  it('lists every problem: unknown fields, unmapped required fields, bad regexes and formats', () => {
    let message = '';
    try {
      parseMapping({
        name: 'bad',
        feed: 'ads',
        fields: { ad_id: { column: 'id' }, colour: { column: 'x' } },
      });
    } catch (err) {
      expect(err).toBeInstanceOf(MappingError);
      message = (err as Error).message;
    }
    expect(message).toMatch(/fields\.colour: ads has no field colour/);
    expect(message).toMatch(/fields\.seen_at: required by ads but not mapped/);
    expect(() =>
      parseMapping({
        ...complaintsMapping,
        fields: {
          ...complaintsMapping.fields,
          district: { column: 'a', transforms: [{ regex: { pattern: '(' } }] },
        },
      }),
    ).toThrow(/fields\.district\.transforms\.0.*not a regular expression|Invalid input/);
    expect(() =>
      parseMapping({
        ...complaintsMapping,
        fields: { ...complaintsMapping.fields, district: { column: 'a', const: 'b' } },
      }),
    ).toThrow(/exactly one of column, columns, const/);
    expect(() => parseMapping('{"name": ')).toThrow(/not valid JSON/);
  });
  it('the identity mapping takes the contract column names', () => {
    const b = bindMapping(identityMapping('case_outcomes'), ['uscc', 'decided_on', 'outcome']);
    expect(b.map(['X', '2024-01-01', 'confirmed'])).toEqual({
      ok: true,
      record: { uscc: 'X', decided_on: '2024-01-01', outcome: 'confirmed' },
    });
  });
});

describe('headers', () => {
  it('spreads merged header cells and joins the levels of a two-row header', () => {
    const names = combineHeader(
      [
        ['工单编号', '来电信息', null, '诉求内容'],
        [null, '来电时间', '来源渠道', null],
      ],
      {
        firstRow: 2,
        merges: [
          { top: 2, left: 1, bottom: 3, right: 1 },
          { top: 2, left: 2, bottom: 2, right: 3 },
          { top: 2, left: 4, bottom: 3, right: 4 },
        ],
      },
    );
    expect(names).toEqual(['工单编号', '来电信息/来电时间', '来电信息/来源渠道', '诉求内容']);
  });
  it('CSV (no merge information): an empty upper cell takes the value on its left', () => {
    expect(
      combineHeader(
        [
          ['编号', '来电信息', '', ''],
          ['', '时间', '渠道', ''],
        ],
        { fillLeft: true },
      ),
    ).toEqual(['编号', '来电信息/时间', '来电信息/渠道', '列D']);
  });
  it('names unnamed columns by their letter, repeated names with #2, and removes line breaks', () => {
    expect(combineHeader([['金额\n（万元）', '', '备注', '备注']])).toEqual([
      '金额（万元）',
      '列B',
      '备注',
      '备注#2',
    ]);
  });
});
