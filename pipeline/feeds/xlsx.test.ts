/**
 * .xlsx reading: cell values, merged header cells, several sheets, and hostile files — an old .xls,
 * a renamed text file, a zip bomb (declared ratio), an entry that inflates past its declared size,
 * caps on total and shared-string sizes. Small files built here; the 1,000,000-row sheet is
 * bench/xlsx-intake.ts (a benchmark prints its peak RSS).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateRawSync, crc32 } from 'node:zlib';
import ExcelJS from 'exceljs';
import { beforeAll, describe, expect, it } from 'vitest';
import { tmpDir } from './_fixtures.ts';
import { readMapped } from './mapping/read-mapped.ts';
import { parseMapping } from './mapping/compile.ts';
import { DEFAULT_XLSX_LIMITS, inspectXlsx, readXlsxRows, XlsxError } from './xlsx.ts';

const dir = tmpDir('dafei-xlsx-');

/** A zip written by hand, so that sizes can lie. */
function zipOf(
  entries: { name: string; data: Buffer; declaredSize?: number; store?: boolean }[],
): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const body = e.store ? e.data : deflateRawSync(e.data);
    const crc = crc32(e.data);
    const size = e.declaredSize ?? e.data.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(e.store ? 0 : 8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(e.store ? 0 : 8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += 30 + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

const WORKBOOK = Buffer.from(
  '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="工单" sheetId="1" r:id="rId1"/></sheets></workbook>',
);
const RELS = Buffer.from(
  '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
);
const sheetXml = (rows: string) =>
  Buffer.from(
    `<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>${rows}</sheetData></worksheet>`,
  );

function writeZip(name: string, entries: Parameters<typeof zipOf>[0]): string {
  const p = join(dir, name);
  writeFileSync(p, zipOf(entries));
  return p;
}

let hotline: string;

beforeAll(async () => {
  // a 12345-style workbook: title row, two-row header with merged cells, two data sheets, notes
  hotline = join(dir, 'hotline.xlsx');
  const wb = new ExcelJS.Workbook();
  for (const [name, rows] of [
    [
      '1月',
      [
        ['GD001', new Date(Date.UTC(2024, 2, 5, 14, 3, 9)), '12345热线', '鑫盛财富', 10.5],
        ['GD002', 45356.5854166667, '网站', '某理财', null],
      ],
    ],
    [
      '2月',
      [
        [
          'GD003',
          '2024年3月6日 09:00',
          '来信',
          { richText: [{ text: '某' }, { text: '公司' }] },
          1,
        ],
      ],
    ],
  ] as const) {
    const ws = wb.addWorksheet(name);
    ws.addRow(['12345热线工单导出']);
    ws.addRow(['工单编号', '来电信息', null, '被反映对象', '涉及金额\n（万元）']);
    ws.addRow([null, '来电时间', '来源渠道', null, null]);
    ws.mergeCells('A1:E1');
    ws.mergeCells('A2:A3');
    ws.mergeCells('B2:C2');
    ws.mergeCells('D2:D3');
    ws.mergeCells('E2:E3');
    for (const r of rows) {
      const row = ws.addRow([...r]);
      if (r[1] instanceof Date) row.getCell(2).numFmt = 'yyyy/m/d h:mm:ss';
    }
    ws.getCell('F5').value = { formula: 'E4*2', result: 21 };
  }
  wb.addWorksheet('说明').addRow(['金额单位：万元']);
  await wb.xlsx.writeFile(hotline);
});

describe('inspectXlsx', () => {
  it('lists the sheets in tab order with their dimensions and the merged cells of the header rows', async () => {
    const info = await inspectXlsx(hotline);
    expect(info.sheets.map((s) => s.name)).toEqual(['1月', '2月', '说明']);
    expect(info.sheets[0]!.merges).toEqual(
      expect.arrayContaining([
        { top: 1, left: 1, bottom: 1, right: 5 },
        { top: 2, left: 2, bottom: 2, right: 3 },
      ]),
    );
    expect(info.sheets[0]!.rows).toBe(5);
  });

  it('refuses an old .xls (an OLE2 file) saying how to convert it', async () => {
    const p = join(dir, 'old.xlsx');
    writeFileSync(p, Buffer.concat([Buffer.from('d0cf11e0a1b11ae1', 'hex'), Buffer.alloc(512)]));
    await expect(inspectXlsx(p)).rejects.toThrow(
      /old Excel 97-2003 workbook \(\.xls\).*save it as \.xlsx/,
    );
  });

  it('refuses a file that is not a zip', async () => {
    const p = join(dir, 'renamed.xlsx');
    writeFileSync(p, '工单编号,来电时间\n1,2\n');
    await expect(inspectXlsx(p)).rejects.toThrow(/not an \.xlsx workbook/);
  });

  it('refuses a zip bomb by its declared ratio before inflating it', async () => {
    const zeros = sheetXml(
      `<row r="1"><c r="A1" t="inlineStr"><is><t>${'0'.repeat(8 << 20)}</t></is></c></row>`,
    );
    const p = writeZip('bomb.xlsx', [
      { name: 'xl/workbook.xml', data: WORKBOOK },
      { name: 'xl/_rels/workbook.xml.rels', data: RELS },
      { name: 'xl/worksheets/sheet1.xml', data: zeros },
    ]);
    await expect(inspectXlsx(p)).rejects.toThrow(
      /compressed \d+ to 1 \(more than 200 to 1 is refused as a zip bomb\)/,
    );
  });

  it('stops an entry that inflates past its declared size (a lying zip bomb)', async () => {
    const big = sheetXml(`<row r="1"><c r="A1"><v>1</v></c></row>${' '.repeat(4 << 20)}`);
    const p = writeZip('liar.xlsx', [
      { name: 'xl/workbook.xml', data: WORKBOOK },
      { name: 'xl/_rels/workbook.xml.rels', data: RELS },
      { name: 'xl/worksheets/sheet1.xml', data: big, declaredSize: 1000 },
    ]);
    await expect(inspectXlsx(p)).rejects.toThrow(XlsxError);
    await expect(inspectXlsx(p)).rejects.toThrow(/not a readable \.xlsx \(.*(too many|bytes)/i);
  });

  it('caps the total inflated size and the shared strings held in memory', async () => {
    await expect(
      inspectXlsx(hotline, { ...DEFAULT_XLSX_LIMITS, maxTotalBytes: 4096 }),
    ).rejects.toThrow(/inflates to more than 0 MB in all/);
    const p = writeZip('strings.xlsx', [
      { name: 'xl/workbook.xml', data: WORKBOOK },
      { name: 'xl/_rels/workbook.xml.rels', data: RELS },
      {
        name: 'xl/sharedStrings.xml',
        data: Buffer.from(`<sst>${'<si><t>x</t></si>'.repeat(2000)}</sst>`),
      },
      { name: 'xl/worksheets/sheet1.xml', data: sheetXml('') },
    ]);
    await expect(
      inspectXlsx(p, { ...DEFAULT_XLSX_LIMITS, maxSharedStringsBytes: 1024, maxRatio: 10_000 }),
    ).rejects.toThrow(/shared strings inflate to .* save the sheet as CSV UTF-8/);
  });

  it('refuses a workbook without worksheets', async () => {
    const p = writeZip('empty.xlsx', [{ name: 'xl/workbook.xml', data: WORKBOOK }]);
    await expect(inspectXlsx(p)).rejects.toThrow(/has no worksheet/);
  });
});

describe('readXlsxRows', () => {
  it('reads dates as ISO local time, serials as numbers, rich text joined, formulas by result', async () => {
    const info = await inspectXlsx(hotline);
    const rows: { sheet: string; row: number; cells: (string | null)[] }[] = [];
    await readXlsxRows(hotline, info.sheets.slice(0, 2), ({ sheet, row, cells }) => {
      rows.push({ sheet: sheet.name, row, cells });
    });
    const data = rows.filter((r) => r.row >= 4);
    expect(data).toEqual([
      {
        sheet: '1月',
        row: 4,
        cells: ['GD001', '2024-03-05T14:03:09', '12345热线', '鑫盛财富', '10.5'],
      },
      { sheet: '1月', row: 5, cells: ['GD002', '45356.5854166667', '网站', '某理财', null, '21'] },
      { sheet: '2月', row: 4, cells: ['GD003', '2024年3月6日 09:00', '来信', '某公司', '1'] },
      { sheet: '2月', row: 5, cells: [null, null, null, null, null, '21'] },
    ]);
  });
});

describe('Chinese text across inflate chunks', () => {
  it('never cuts a character (exceljs 4.4 streaming turns such a cut into two U+FFFD)', async () => {
    const p = join(dir, 'chinese.xlsx');
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('诉求');
    const texts: string[] = [];
    for (let i = 0; i < 3000; i++) {
      // unique strings of 3-byte characters, so that inflated chunks end inside one sooner or later
      const t = `市民反映${i}号鑫盛财富承诺保本保息年化百分之十八，现无法提现，请求依法查处。`;
      texts.push(t);
      ws.addRow([t]);
    }
    await wb.xlsx.writeFile(p);
    const info = await inspectXlsx(p);
    const got: string[] = [];
    await readXlsxRows(p, info.sheets, ({ cells }) => {
      got.push(cells[0] ?? '');
    });
    expect(got.filter((t) => t.includes('\uFFFD'))).toEqual([]);
    expect(got).toEqual(texts);
  });
});

describe('a workbook through a mapping', () => {
  const mapping = parseMapping({
    name: '12345',
    feed: 'complaints',
    source: { sheet: '*', header_row: 2, header_rows: 2 },
    fields: {
      complaint_id: { column: '工单编号' },
      received_at: { column: '来电信息/来电时间', transforms: [{ datetime: {} }] },
      channel: {
        column: '来电信息/来源渠道',
        transforms: [
          { map: { values: { '12345热线': 'hotline_12345', 网站: 'portal', 来信: 'letter' } } },
        ],
      },
      target_name: { column: '被反映对象' },
      text: { const: '（无内容）' },
      amount_cny: {
        column: '涉及金额（万元）',
        transforms: [{ unit: { from: '万元', to: '元' } }],
      },
    },
  });

  it('reads every sheet whose header fits, skips the notes sheet, and maps merged headers', async () => {
    const records: { line: number; value?: Record<string, unknown>; problem?: string }[] = [];
    const r = await readMapped(
      { label: 'hotline.xlsx', format: 'xlsx', path: hotline },
      { mapping },
      (rec) => records.push(rec),
    );
    expect(r.tables.map((t) => t.sheet)).toEqual(['1月', '2月']);
    expect(r.skipped).toEqual([
      { sheet: '说明', reason: 'no header at row 2 (the sheet ends before it)' },
    ]);
    expect(records.map((x) => x.value ?? x.problem)).toEqual([
      {
        complaint_id: 'GD001',
        received_at: '2024-03-05T14:03:09+08:00',
        channel: 'hotline_12345',
        target_name: '鑫盛财富',
        text: '（无内容）',
        amount_cny: '105000',
      },
      {
        complaint_id: 'GD002',
        received_at: '2024-03-05T14:03:00+08:00',
        channel: 'portal',
        target_name: '某理财',
        text: '（无内容）',
        列F: '21',
      },
      {
        complaint_id: 'GD003',
        received_at: '2024-03-06T09:00:00+08:00',
        channel: 'letter',
        target_name: '某公司',
        text: '（无内容）',
        amount_cny: '10000',
      },
      { text: '（无内容）', 列F: '21' },
    ]);
  });

  it('names the sheets a wrong sheet name could have meant', async () => {
    const wrong = parseMapping({ ...mapping, source: { ...mapping.source, sheet: '3月' } });
    await expect(
      readMapped(
        { label: 'hotline.xlsx', format: 'xlsx', path: hotline },
        { mapping: wrong },
        () => {},
      ),
    ).rejects.toThrow(/has no sheet「3月」\(its sheets: 「1月」, 「2月」, 「说明」\)/);
  });
});
