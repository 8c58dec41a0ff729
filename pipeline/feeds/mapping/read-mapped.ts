/**
 * Reads a CSV or XLSX source through a mapping and hands each row to `onRecord` as the record the
 * feed's validator expects — the same shape the contract's own CSV reader produces — so ingestion
 * goes on unchanged (validate → stage → apply). Rows a transform rejects come as problems naming
 * the source column; `explain` rewords the validator's reasons the same way.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { CsvSplitter } from '../csv.ts';
import type { Encoding, RawRecord } from '../read.ts';
import { badEncoding } from '../stage-lines.ts';
import {
  DEFAULT_XLSX_LIMITS,
  inspectXlsx,
  readXlsxRows,
  XlsxError,
  type SheetInfo,
  type XlsxLimits,
} from '../xlsx.ts';
import { bindMapping, MappingError, rowText, type BoundMapping } from './compile.ts';
import { columnLetters, combineHeader } from './header.ts';
import type { Mapping } from './schema.ts';

export type TabularFormat = 'csv' | 'xlsx';

export interface TabularSource {
  /** What messages name (a path or URL). */
  label: string;
  format: TabularFormat;
  /** The bytes (CSV; XLSX when `path` is not given: spooled to a temporary file). */
  stream?: Readable;
  /** A file on disk (XLSX is read from it twice: inspection, then rows). */
  path?: string;
  gzip?: boolean;
  /** Bytes of the source when known (progress). */
  size?: number;
}

export interface MappedRecord extends RawRecord {
  explain?: (reason: string) => string;
}

export interface ReadMappedOptions {
  mapping: Mapping;
  /** CSV encoding when the mapping does not name one. */
  encoding?: Encoding;
  limits?: XlsxLimits;
  /** Stop after this many data rows (previews). */
  maxRows?: number;
  onProgress?: (p: { rows: number; fraction: number | null }) => void;
  /** Called once per table (sheet) with the header found and how it binds. */
  onTable?: (t: TableInfo) => void;
}

export interface TableInfo {
  sheet: string | null;
  headerRow: number;
  header: string[];
  bound: BoundMapping;
}

export interface ReadMappedResult {
  bytes: number;
  tables: TableInfo[];
  /** Sheets skipped because their header does not fit the mapping (with `sheet: "*"`). */
  skipped: { sheet: string; reason: string }[];
  /** True when maxRows stopped the reading early. */
  truncated: boolean;
}

class Stop extends Error {}

/** Detects a CSV's encoding from its first bytes. */
export function detectEncoding(head: Buffer): 'utf-8' | 'gbk' {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return 'utf-8';
  // a multi-byte character may be cut at the end of the sample: drop up to 3 trailing bytes
  for (let cut = 0; cut <= 3 && cut < head.length; cut++) {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, head.length - cut));
      return 'utf-8';
    } catch {
      /* try a shorter sample */
    }
  }
  return 'gbk';
}

const UTF8_BOM = [0xef, 0xbb, 0xbf];
const REPLACEMENT = '\uFFFD';

/** The mapping's encoding, else the one the caller declares, else none (detected). */
function encodingOf(mapping: Mapping, fallback: Encoding | undefined): Encoding | undefined {
  const e = mapping.source.encoding;
  if (e === 'gbk') return 'gb18030';
  if (e === 'utf-8') return 'utf-8';
  return fallback;
}

export async function readMapped(
  src: TabularSource,
  o: ReadMappedOptions,
  onRecord: (r: MappedRecord) => void,
  afterChunk?: () => Promise<void>,
): Promise<ReadMappedResult> {
  const format = o.mapping.source.format ?? src.format;
  if (format === 'xlsx') return readMappedXlsx(src, o, onRecord, afterChunk);
  return readMappedCsv(src, o, onRecord, afterChunk);
}

/** A table's rows → records: header capture, then one record per data row. */
class TableReader {
  readonly #o: ReadMappedOptions;
  readonly #label: string;
  readonly #sheet: string | null;
  readonly #headerRow: number;
  readonly #headerRows: number;
  readonly #merges: SheetInfo['merges'];
  readonly #lenient: boolean;
  #headerCells: (string | null)[][] = [];
  table: TableInfo | undefined;
  skipped: string | undefined;
  rows = 0;

  constructor(
    o: ReadMappedOptions,
    label: string,
    sheet: string | null,
    merges: SheetInfo['merges'],
    lenient: boolean,
  ) {
    this.#o = o;
    this.#label = label;
    this.#sheet = sheet;
    this.#headerRow = o.mapping.source.header_row ?? 1;
    this.#headerRows = o.mapping.source.header_rows ?? 1;
    this.#merges = merges;
    this.#lenient = lenient;
  }

  /** One source row (1-based `row` in the sheet, or CSV record number). */
  push(
    row: number,
    line: number,
    cells: (string | null)[],
    raw: string | undefined,
    onRecord: (r: MappedRecord) => void,
  ): void {
    if (this.skipped !== undefined) return;
    if (this.table === undefined) {
      if (row < this.#headerRow) return;
      this.#headerCells.push(cells);
      if (row < this.#headerRow + this.#headerRows - 1) return;
      const header = combineHeader(this.#headerCells, {
        merges: this.#merges,
        firstRow: this.#headerRow,
        fillLeft: this.#merges.length === 0,
      });
      const where = this.#sheet === null ? this.#label : `${this.#label} sheet「${this.#sheet}」`;
      try {
        const bound = bindMapping(this.#o.mapping, header, where);
        this.table = { sheet: this.#sheet, headerRow: this.#headerRow, header, bound };
        this.#o.onTable?.(this.table);
      } catch (err) {
        if (this.#lenient && err instanceof MappingError) {
          this.skipped = err.message;
          return;
        }
        throw err;
      }
      return;
    }
    if (this.#o.maxRows !== undefined && this.rows >= this.#o.maxRows) throw new Stop();
    if (cells.every((c) => c === null || c.trim() === '')) return; // a blank row is no record
    this.rows++;
    const t = this.table;
    const prefix = this.#sheet === null ? '' : `[${this.#sheet}] `;
    const text = raw ?? prefix + rowText(t.header, cells);
    const beyond = cells.length > t.header.length && cells.slice(t.header.length).some((c) => c);
    if (beyond && this.#sheet === null) {
      // CSV: more fields than the header is a broken row (an unquoted comma), not data
      onRecord({
        line,
        raw: text,
        problem: `row has ${cells.length} cells, the header has ${t.header.length}`,
      });
      return;
    }
    const m = t.bound.map(cells);
    if (m.ok && beyond && (this.#o.mapping.unmapped ?? 'extra') === 'extra') {
      // XLSX: a value right of the header is kept under its column letter
      for (let c = t.header.length; c < cells.length; c++) {
        const v = cells[c];
        if (v !== null && v !== undefined && v.trim() !== '')
          m.record[`列${columnLetters(c + 1)}`] = v;
      }
    }
    if (m.ok) onRecord({ line, raw: text, value: m.record, explain: t.bound.explain });
    else onRecord({ line, raw: text, problem: m.reason });
  }
}

async function readMappedCsv(
  src: TabularSource,
  o: ReadMappedOptions,
  onRecord: (r: MappedRecord) => void,
  afterChunk?: () => Promise<void>,
): Promise<ReadMappedResult> {
  if (!src.stream) throw new Error('readMapped: a CSV source needs a stream');
  const input = src.stream;
  const stream = src.gzip ? input.pipe(createGunzip()) : input;
  if (src.gzip) input.on('error', (err) => stream.destroy(err));
  const declared = encodingOf(o.mapping, o.encoding);
  const table = new TableReader(o, src.label, null, [], false);
  let record = 0;
  let bytes = 0;
  let decoder: TextDecoder | undefined;
  let encoding: Encoding = declared ?? 'utf-8';
  let truncated = false;
  const splitter = new CsvSplitter(
    (rec) => {
      record++;
      if (table.table && rec.raw.includes(REPLACEMENT)) {
        onRecord({ line: rec.line, raw: rec.raw, problem: badEncoding(encoding) });
        return;
      }
      const wasHeader = table.table === undefined;
      table.push(record, rec.line, rec.fields, rec.raw, onRecord);
      if (wasHeader && table.table) splitter.expectedFields = table.table.header.length;
    },
    (broken) => {
      record++;
      onRecord({ line: broken.line, raw: broken.raw, problem: broken.problem });
    },
  );
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (decoder === undefined) {
        const hasBom = UTF8_BOM.every((b, i) => chunk[i] === b);
        if (hasBom) encoding = 'utf-8';
        else if (declared === undefined)
          encoding = detectEncoding(chunk) === 'gbk' ? 'gb18030' : 'utf-8';
        decoder = new TextDecoder(encoding);
      }
      bytes += chunk.length;
      splitter.push(decoder.decode(chunk, { stream: true }));
      o.onProgress?.({
        rows: table.rows,
        fraction: src.size && !src.gzip ? Math.min(1, bytes / src.size) : null,
      });
      if (afterChunk) await afterChunk();
    }
    if (decoder) splitter.push(decoder.decode());
    splitter.end();
  } catch (err) {
    if (!(err instanceof Stop)) throw err;
    truncated = true;
    stream.destroy();
    input.destroy();
  }
  if (!table.table) {
    throw new MappingError(
      `${src.label} has no header row ${o.mapping.source.header_row ?? 1} (the file has ${record} row(s))`,
    );
  }
  return { bytes, tables: [table.table], skipped: [], truncated };
}

/** Chooses the sheets a mapping reads: a name, a 1-based position, a list, or "*". */
export function chooseSheets(
  sheets: readonly SheetInfo[],
  want: Mapping['source']['sheet'],
  label: string,
): SheetInfo[] {
  if (want === undefined) return sheets.slice(0, 1);
  if (want === '*') return [...sheets];
  const names = sheets.map((s) => `「${s.name}」`).join(', ');
  if (typeof want === 'number') {
    const s = sheets[want - 1];
    if (!s) throw new MappingError(`${label} has no sheet number ${want} (its sheets: ${names})`);
    return [s];
  }
  const list = typeof want === 'string' ? [want] : want;
  return list.map((n) => {
    const s = sheets.find((x) => x.name === n) ?? sheets.find((x) => x.name.trim() === n.trim());
    if (!s) throw new MappingError(`${label} has no sheet「${n}」(its sheets: ${names})`);
    return s;
  });
}

async function readMappedXlsx(
  src: TabularSource,
  o: ReadMappedOptions,
  onRecord: (r: MappedRecord) => void,
  afterChunk?: () => Promise<void>,
): Promise<ReadMappedResult> {
  let path = src.path;
  let spoolDir: string | undefined;
  try {
    if (path === undefined) {
      if (!src.stream) throw new Error('readMapped: an XLSX source needs a path or a stream');
      spoolDir = await mkdtemp(join(tmpdir(), 'dafei-xlsx-'));
      path = join(spoolDir, 'source.xlsx');
      await pipeline(src.stream, createWriteStream(path));
    } else {
      src.stream?.destroy();
    }
    const info = await inspectXlsx(path, o.limits ?? DEFAULT_XLSX_LIMITS, src.label);
    const want = o.mapping.source.sheet;
    const chosen = chooseSheets(info.sheets, want, src.label);
    const lenient = want === '*';
    const readers = new Map<SheetInfo, TableReader>(
      chosen.map((s) => [s, new TableReader(o, src.label, s.name, s.merges, lenient)]),
    );
    const totalRows = chosen.reduce((n, s) => n + (s.rows ?? 0), 0);
    let rows = 0;
    let truncated = false;
    try {
      await readXlsxRows(
        path,
        chosen,
        async ({ sheet, row, cells }) => {
          readers.get(sheet)!.push(row, row, cells, undefined, onRecord);
          rows++;
          if (rows % 2048 === 0) {
            o.onProgress?.({
              rows,
              fraction: totalRows > 0 ? Math.min(1, rows / totalRows) : null,
            });
            if (afterChunk) await afterChunk();
          }
        },
        o.limits,
      );
    } catch (err) {
      if (!(err instanceof Stop))
        throw err instanceof XlsxError || err instanceof MappingError
          ? err
          : new XlsxError(`${src.label}: ${(err as Error).message}`, { cause: err });
      truncated = true;
    }
    const tables: TableInfo[] = [];
    const skipped: { sheet: string; reason: string }[] = [];
    for (const [s, r] of readers) {
      if (r.table) tables.push(r.table);
      else
        skipped.push({
          sheet: s.name,
          reason:
            r.skipped ??
            `no header at row ${o.mapping.source.header_row ?? 1} (the sheet ends before it)`,
        });
    }
    if (tables.length === 0) {
      throw new MappingError(
        skipped.length === 1
          ? skipped[0]!.reason
          : `${src.label}: no sheet fits mapping '${o.mapping.name}': ${skipped.map((s) => `「${s.sheet}」 ${s.reason}`).join('; ')}`,
      );
    }
    o.onProgress?.({ rows, fraction: truncated ? null : 1 });
    return { bytes: info.inflatedBytes, tables, skipped, truncated };
  } finally {
    if (spoolDir) await rm(spoolDir, { recursive: true, force: true });
  }
}
