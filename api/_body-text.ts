/**
 * The text a response carries, whatever its format: JSON, HTML, CSV and NDJSON as they are; XLSX
 * unzipped cell by cell (exceljs); Parquet and Arrow decoded (DuckDB, apache-arrow). Leak tests
 * scan this for USCCs, names and phones.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { tableFromIPC } from 'apache-arrow';
import { literal, type Db } from '../pipeline/db/index.ts';

export async function bodyText(res: Response, db: Db): Promise<string> {
  const type = res.headers.get('content-type') ?? '';
  if (type.includes('spreadsheetml')) {
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(await res.arrayBuffer());
    const out: string[] = [];
    for (const ws of wb.worksheets) {
      out.push(ws.name);
      ws.eachRow((row) => row.eachCell((cell) => out.push(String(cell.text))));
    }
    return out.join('\n');
  }
  if (type.includes('apache.arrow')) {
    const t = tableFromIPC(new Uint8Array(await res.arrayBuffer()));
    return JSON.stringify(t.toArray().map((r: { toJSON(): unknown }) => r.toJSON()));
  }
  if (type.includes('parquet')) {
    const dir = mkdtempSync(join(tmpdir(), 'dafei-body-'));
    try {
      const path = join(dir, 'b.parquet');
      writeFileSync(path, Buffer.from(await res.arrayBuffer()));
      return JSON.stringify(await db.all(`SELECT * FROM read_parquet(${literal(path)})`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return res.text();
}
