/**
 * The first rows of a CSV or XLSX file, unmapped: what `mapping infer` looks at, and how the
 * upload page shows a file before a mapping is chosen. CSV encoding is detected (a UTF-8 BOM, else
 * valid UTF-8, else GB18030/GBK).
 */
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { CsvSplitter } from '../csv.ts';
import { formatFromName } from '../read.ts';
import {
  DEFAULT_XLSX_LIMITS,
  inspectXlsx,
  readXlsxRows,
  XLS_ADVICE,
  XlsxError,
  type MergeRange,
  type SheetInfo,
  type XlsxLimits,
} from '../xlsx.ts';
import { MappingError } from './compile.ts';
import type { Mapping } from './schema.ts';
import { chooseSheets, detectEncoding } from './read-mapped.ts';

export { detectEncoding };

export interface Peek {
  format: 'csv' | 'xlsx';
  /** CSV: the encoding detected. */
  encoding?: 'utf-8' | 'gbk';
  gzip: boolean;
  /** XLSX: every sheet, and the one peeked. */
  sheets?: { name: string; rows?: number }[];
  sheet?: string;
  merges: MergeRange[];
  /** Rows in order, 1-based row numbers (CSV: record numbers). */
  rows: { row: number; cells: (string | null)[] }[];
}

class Enough extends Error {}

export function tabularFormat(path: string): { format: 'csv' | 'xlsx'; gzip: boolean } {
  const f = formatFromName(path);
  if (f?.format === 'csv' || f?.format === 'xlsx') return { format: f.format, gzip: f.gzip };
  if (/\.xls$/i.test(path)) throw new XlsxError(`${path} ${XLS_ADVICE}`);
  throw new MappingError(`${path}: a mapping reads .csv (optionally .gz) or .xlsx files`);
}

export async function peekRows(
  path: string,
  o: {
    maxRows?: number;
    sheet?: Mapping['source']['sheet'];
    encoding?: 'utf-8' | 'gbk';
    limits?: XlsxLimits;
    label?: string;
  } = {},
): Promise<Peek> {
  const maxRows = o.maxRows ?? 200;
  const label = o.label ?? path;
  const { format, gzip } = tabularFormat(path);
  if (format === 'xlsx') {
    const info = await inspectXlsx(path, o.limits ?? DEFAULT_XLSX_LIMITS, label);
    const [sheet] = chooseSheets(info.sheets, o.sheet === '*' ? undefined : o.sheet, label) as [
      SheetInfo,
    ];
    const rows: Peek['rows'] = [];
    try {
      await readXlsxRows(
        path,
        [sheet],
        ({ row, cells }) => {
          rows.push({ row, cells });
          if (rows.length >= maxRows) throw new Enough();
        },
        o.limits,
      );
    } catch (err) {
      if (!(err instanceof Enough)) throw err;
    }
    return {
      format,
      gzip: false,
      sheets: info.sheets.map((s) => ({ name: s.name, ...(s.rows ? { rows: s.rows } : {}) })),
      sheet: sheet.name,
      merges: sheet.merges,
      rows,
    };
  }
  const file = createReadStream(path, { highWaterMark: 1 << 16 });
  const stream = gzip ? file.pipe(createGunzip()) : file;
  const rows: Peek['rows'] = [];
  let encoding = o.encoding;
  let decoder: TextDecoder | undefined;
  let n = 0;
  const splitter = new CsvSplitter(
    (rec) => {
      rows.push({ row: ++n, cells: rec.fields });
      if (rows.length >= maxRows) throw new Enough();
    },
    (broken) => {
      rows.push({ row: ++n, cells: [broken.raw] });
    },
  );
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (!decoder) {
        const detected = detectEncoding(chunk);
        if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) encoding = 'utf-8';
        encoding ??= detected;
        decoder = new TextDecoder(encoding === 'gbk' ? 'gb18030' : 'utf-8');
      }
      splitter.push(decoder.decode(chunk, { stream: true }));
    }
    if (decoder) splitter.push(decoder.decode());
    splitter.end();
  } catch (err) {
    if (!(err instanceof Enough)) throw err;
  } finally {
    file.destroy();
  }
  return { format, gzip, encoding: encoding ?? 'utf-8', merges: [], rows };
}
