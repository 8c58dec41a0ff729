/**
 * Excel workbooks (.xlsx), read as a stream of rows in bounded memory.
 *
 * Two passes over the file:
 *  1. `inspectXlsx` (yauzl) reads the zip's central directory and inflates every entry once,
 *     counting bytes: an entry larger than its declared size (yauzl's validateEntrySizes), larger
 *     than the caps, or compressed more than `maxRatio` to one (a zip bomb) stops the file before
 *     anything keeps it in memory. The same pass reads the sheet names and order (workbook.xml and
 *     its relationships), each sheet's `<dimension>` (for progress) and the `<mergeCell>` ranges of
 *     its first rows: the streaming parser below does not report merges, which Excel writes after
 *     the rows, and a merged header cell must be spread over the columns it covers.
 *  2. `readXlsxRows` streams the rows of the chosen sheets (yauzl + saxes; shared strings held in
 *     memory — hence their own cap — and cell values turned into text; see there why not exceljs).
 *
 * bench/xlsx-intake.ts measures a 1,000,000-row sheet (time and peak RSS) beside exceljs's reader.
 * Old .xls files (BIFF, an OLE2 container) are refused with what to do.
 */
import { open as openFd, read as readFd, close as closeFd } from 'node:fs';
import { promisify } from 'node:util';
import { SaxesParser } from 'saxes';
import yauzl from 'yauzl';
import { IngestError } from '../errors.ts';
import { fromExcelSerial, isoDate, isoDateTime } from './mapping/dates.ts';

export interface XlsxLimits {
  /** Largest inflated size of one entry (a sheet's XML). */
  maxEntryBytes: number;
  /** Largest inflated size of all entries together. */
  maxTotalBytes: number;
  /** Largest inflated / compressed ratio of an entry larger than 1 MiB. */
  maxRatio: number;
  /** Largest inflated size of the shared strings (held in memory while reading). */
  maxSharedStringsBytes: number;
  /** Most entries in the zip. */
  maxEntries: number;
}

export const DEFAULT_XLSX_LIMITS: Readonly<XlsxLimits> = Object.freeze({
  maxEntryBytes: 2 * 1024 ** 3,
  maxTotalBytes: 4 * 1024 ** 3,
  maxRatio: 200,
  maxSharedStringsBytes: 256 * 1024 ** 2,
  maxEntries: 10_000,
});

export interface MergeRange {
  top: number;
  left: number;
  bottom: number;
  right: number;
}

export interface SheetInfo {
  /** Name as shown on the sheet's tab. */
  name: string;
  /** 1-based position among the tabs. */
  position: number;
  /** Zip entry of the sheet's XML. */
  entry: string;
  /** Last row of the sheet's `<dimension>`, when written. */
  rows?: number;
  /** Merged ranges that start in the first HEADER_SCAN_ROWS rows. */
  merges: MergeRange[];
  /** Inflated bytes of the sheet's XML. */
  bytes: number;
}

export interface XlsxInfo {
  sheets: SheetInfo[];
  /** Inflated bytes of every entry. */
  inflatedBytes: number;
  compressedBytes: number;
}

/** Merges that start below this row are not needed for headers and not kept. */
export const HEADER_SCAN_ROWS = 110;

const OLE2_MAGIC = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);

export class XlsxError extends IngestError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('source_unreadable', message, options);
  }
}

async function firstBytes(path: string, n: number): Promise<Buffer> {
  const fd = await promisify(openFd)(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await new Promise<{ bytesRead: number }>((res, rej) =>
      readFd(fd, buf, 0, n, 0, (err, bytesRead) => (err ? rej(err) : res({ bytesRead }))),
    );
    return buf.subarray(0, bytesRead);
  } finally {
    await promisify(closeFd)(fd);
  }
}

export const XLS_ADVICE =
  'is an old Excel 97-2003 workbook (.xls), which Dafei does not read: open it in Excel or WPS and save it as .xlsx (Excel 工作簿) or as CSV UTF-8, then import that file';

/** Refuses what is not an .xlsx (an .xls, a renamed CSV …) with what to do. */
export async function checkXlsxSignature(path: string, label = path): Promise<void> {
  const head = await firstBytes(path, 8);
  if (head.length >= 8 && head.equals(OLE2_MAGIC)) throw new XlsxError(`${label} ${XLS_ADVICE}`);
  if (head.length < 4 || head[0] !== 0x50 || head[1] !== 0x4b) {
    throw new XlsxError(
      `${label} is not an .xlsx workbook (an .xlsx is a zip file; this one does not start like one)`,
    );
  }
}

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((res, rej) =>
    yauzl.open(
      path,
      { lazyEntries: true, validateEntrySizes: true, strictFileNames: false, autoClose: true },
      (err, zip) => (err ? rej(err) : res(zip)),
    ),
  );
}

function openEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<NodeJS.ReadableStream> {
  return new Promise((res, rej) =>
    zip.openReadStream(entry, (err, stream) => (err ? rej(err) : res(stream))),
  );
}

const END_ROWS = Buffer.from('</sheetData>');
const MERGE_RE = /<mergeCell\s+ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"/g;
const DIMENSION_RE = /<dimension\s+ref="[A-Z]+\d+(?::[A-Z]+(\d+))?"/;

export function columnNumber(letters: string): number {
  let n = 0;
  for (let i = 0; i < letters.length; i++) n = n * 26 + (letters.charCodeAt(i) - 64);
  return n;
}

function decodeXmlAttr(s: string): string {
  return s
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&amp;/g, '&');
}

interface EntryScan {
  bytes: number;
  /** Kept text (small XML entries: the workbook and its relationships). */
  text?: string;
  merges?: MergeRange[];
  rows?: number;
}

const KEEP_TEXT = new Set(['xl/workbook.xml', 'xl/_rels/workbook.xml.rels']);
const SHEET_RE = /^xl\/worksheets\/[^/]+\.xml$/;

async function scanEntry(
  zip: yauzl.ZipFile,
  entry: yauzl.Entry,
  limits: XlsxLimits,
  label: string,
): Promise<EntryScan> {
  const name = entry.fileName;
  const stream = await openEntry(zip, entry);
  const keep = KEEP_TEXT.has(name);
  const isSheet = SHEET_RE.test(name);
  const out: EntryScan = { bytes: 0 };
  const parts: Buffer[] = [];
  let tail = '';
  let sawDimension = false;
  let afterRows = false;
  /** The sheet's markup after its rows (where Excel writes <mergeCells>). */
  let rest = '';
  const merges: MergeRange[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    out.bytes += chunk.length;
    if (out.bytes > limits.maxEntryBytes) {
      (stream as unknown as { destroy(): void }).destroy();
      throw new XlsxError(
        `${label}: ${name} inflates to more than ${mb(limits.maxEntryBytes)} (refused as a zip bomb)`,
      );
    }
    if (keep) {
      if (out.bytes > 16 * 1024 ** 2) throw new XlsxError(`${label}: ${name} is larger than 16 MB`);
      parts.push(chunk);
    }
    if (isSheet) {
      // The rows are not looked at: a byte search finds where they end (cheap), and only the
      // markup before them (<dimension>) and after them (<mergeCells>) is decoded. Latin-1 keeps
      // ASCII markup intact whatever the characters around it.
      if (!sawDimension) {
        const text = tail + chunk.toString('latin1');
        const d = DIMENSION_RE.exec(text);
        if (d) {
          sawDimension = true;
          if (d[1] !== undefined) out.rows = Number(d[1]);
        } else if (text.includes('<sheetData')) sawDimension = true;
        tail = text.slice(-64);
      }
      if (!afterRows) {
        const at = chunk.indexOf(END_ROWS);
        const across =
          at < 0 && (tail + chunk.subarray(0, 16).toString('latin1')).includes('</sheetData>');
        if (at >= 0) {
          afterRows = true;
          rest += chunk.subarray(at).toString('latin1');
        } else if (across) {
          afterRows = true;
          rest += chunk.toString('latin1');
        }
        tail = chunk.subarray(Math.max(0, chunk.length - 16)).toString('latin1');
      } else if (rest.length < 64 * 1024 ** 2) {
        rest += chunk.toString('latin1');
      }
    }
  }
  if (isSheet) {
    for (const m of rest.matchAll(MERGE_RE)) {
      const top = Number(m[2]);
      if (top > HEADER_SCAN_ROWS || merges.length >= 10_000) continue;
      merges.push({
        top,
        left: columnNumber(m[1]!),
        bottom: m[4] === undefined ? top : Number(m[4]),
        right: m[3] === undefined ? columnNumber(m[1]!) : columnNumber(m[3]),
      });
    }
  }
  if (keep) out.text = Buffer.concat(parts).toString('utf8');
  if (isSheet) out.merges = dedupe(merges);
  return out;
}

function dedupe(ms: MergeRange[]): MergeRange[] {
  const seen = new Set<string>();
  return ms.filter((m) => {
    const k = `${m.top},${m.left},${m.bottom},${m.right}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function mb(n: number): string {
  return `${Math.round(n / 1024 ** 2)} MB`;
}

/**
 * Checks the workbook against the caps (inflating every entry once) and returns its sheets.
 * Throws an XlsxError naming the file and what is wrong.
 */
export async function inspectXlsx(
  path: string,
  limits: XlsxLimits = DEFAULT_XLSX_LIMITS,
  label = path,
): Promise<XlsxInfo> {
  await checkXlsxSignature(path, label);
  let zip: yauzl.ZipFile;
  try {
    zip = await openZip(path);
  } catch (err) {
    throw new XlsxError(`${label} is not a readable .xlsx (${(err as Error).message})`, {
      cause: err,
    });
  }
  if (zip.entryCount > limits.maxEntries) {
    zip.close();
    throw new XlsxError(
      `${label} has ${zip.entryCount} zip entries (at most ${limits.maxEntries})`,
    );
  }
  const scans = new Map<string, EntryScan>();
  let inflated = 0;
  let compressed = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('error', reject);
      zip.on('end', () => resolve());
      zip.on('entry', (entry: yauzl.Entry) => {
        void (async () => {
          if (entry.fileName.endsWith('/')) return zip.readEntry();
          const declared = entry.uncompressedSize;
          const name = entry.fileName;
          if (declared > limits.maxEntryBytes)
            throw new XlsxError(
              `${label}: ${name} declares ${mb(declared)} inflated (at most ${mb(limits.maxEntryBytes)})`,
            );
          if (
            declared > 1024 ** 2 &&
            declared / Math.max(1, entry.compressedSize) > limits.maxRatio
          )
            throw new XlsxError(
              `${label}: ${name} is compressed ${Math.round(declared / Math.max(1, entry.compressedSize))} to 1 (more than ${limits.maxRatio} to 1 is refused as a zip bomb)`,
            );
          if (inflated + declared > limits.maxTotalBytes)
            throw new XlsxError(
              `${label} inflates to more than ${mb(limits.maxTotalBytes)} in all (refused as a zip bomb)`,
            );
          if (name === 'xl/sharedStrings.xml' && declared > limits.maxSharedStringsBytes)
            throw new XlsxError(
              `${label}: its shared strings inflate to ${mb(declared)}, more than the ${mb(limits.maxSharedStringsBytes)} read into memory; save the sheet as CSV UTF-8 and import that`,
            );
          const scan = await scanEntry(zip, entry, limits, label);
          inflated += scan.bytes;
          compressed += entry.compressedSize;
          scans.set(name, scan);
          zip.readEntry();
        })().catch((err: unknown) => {
          zip.close();
          reject(
            err instanceof XlsxError
              ? err
              : new XlsxError(`${label} is not a readable .xlsx (${(err as Error).message})`, {
                  cause: err,
                }),
          );
        });
      });
      zip.readEntry();
    });
  } finally {
    if (zip.isOpen) zip.close();
  }
  return { sheets: sheetsOf(scans, label), inflatedBytes: inflated, compressedBytes: compressed };
}

function attr(tag: string, name: string): string | undefined {
  const m = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return m ? decodeXmlAttr(m[1]!) : undefined;
}

function sheetsOf(scans: Map<string, EntryScan>, label: string): SheetInfo[] {
  const book = scans.get('xl/workbook.xml')?.text;
  const rels = scans.get('xl/_rels/workbook.xml.rels')?.text ?? '';
  if (book === undefined)
    throw new XlsxError(`${label} has no xl/workbook.xml: not an .xlsx workbook`);
  const targets = new Map<string, string>();
  for (const m of rels.matchAll(/<Relationship\b[^>]*>/g)) {
    const id = attr(m[0], 'Id');
    const target = attr(m[0], 'Target');
    if (id && target) {
      const t = target.startsWith('/') ? target.slice(1) : `xl/${target.replace(/^\.\//, '')}`;
      targets.set(id, t);
    }
  }
  const sheets: SheetInfo[] = [];
  for (const m of book.matchAll(/<(?:\w+:)?sheet\b[^>]*>/g)) {
    const name = attr(m[0], 'name') ?? `Sheet${sheets.length + 1}`;
    const rid = attr(m[0], 'r:id') ?? /\s[\w]+:id="([^"]*)"/.exec(m[0])?.[1];
    const entry = rid ? targets.get(rid) : undefined;
    const scan = entry ? scans.get(entry) : undefined;
    if (!entry || !scan) continue; // a chart sheet or a dangling reference
    sheets.push({
      name,
      position: sheets.length + 1,
      entry,
      merges: scan.merges ?? [],
      bytes: scan.bytes,
      ...(scan.rows === undefined ? {} : { rows: scan.rows }),
    });
  }
  if (sheets.length === 0) throw new XlsxError(`${label} has no worksheet`);
  return sheets;
}

export interface XlsxRow {
  sheet: SheetInfo;
  /** 1-based row number in the sheet. */
  row: number;
  /** Cells by 0-based column; null = empty. */
  cells: (string | null)[];
}

/** Built-in number formats that are dates or times (ECMA-376 §18.8.30, with the CJK ones). */
const DATE_FORMAT_IDS = new Set([
  14, 15, 16, 17, 18, 19, 20, 21, 22, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 45, 46, 47, 50, 51,
  52, 53, 54, 55, 56, 57, 58,
]);

/** A custom format is a date when it has date or time letters outside quotes and brackets. */
export function isDateFormat(code: string): boolean {
  const bare = code
    .replace(/"[^"]*"/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\\./g, '');
  return /[ymdhs]/i.test(bare) && !/^general$/i.test(bare.trim());
}

function readAll(stream: NodeJS.ReadableStream, limit: number, what: string): Promise<string> {
  return (async () => {
    const decoder = new TextDecoder('utf-8');
    let text = '';
    let bytes = 0;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (bytes > limit) throw new XlsxError(`${what} is larger than ${mb(limit)}`);
      text += decoder.decode(chunk, { stream: true });
    }
    return text + decoder.decode();
  })();
}

/** Parses XML from a byte stream, decoding UTF-8 across chunk boundaries (one character may be cut). */
async function parseXml(
  stream: NodeJS.ReadableStream,
  setup: (p: SaxesParser) => void,
  afterChunk?: () => Promise<void>,
): Promise<void> {
  const parser = new SaxesParser({ position: false });
  let error: Error | undefined;
  parser.on('error', (err) => (error ??= err));
  setup(parser);
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    parser.write(decoder.decode(chunk, { stream: true }));
    if (error) throw error;
    if (afterChunk) await afterChunk();
  }
  parser.write(decoder.decode());
  parser.close();
  if (error) throw error;
}

function cellColumn(ref: string | undefined): number | undefined {
  if (!ref) return undefined;
  let n = 0;
  let i = 0;
  for (; i < ref.length; i++) {
    const c = ref.charCodeAt(i);
    if (c < 65 || c > 90) break;
    n = n * 26 + (c - 64);
  }
  return i > 0 ? n - 1 : undefined;
}

function attrOf(node: { attributes: Record<string, unknown> }, name: string): string | undefined {
  const v = node.attributes[name];
  return typeof v === 'string' ? v : undefined;
}

/** ISO local date-time of an Excel serial (a date cell): `2024-03-05T14:03:09`, or a date alone at midnight. */
function serialText(serial: number, date1904: boolean): string | null {
  const t = fromExcelSerial(date1904 ? serial + 1462 : serial);
  if (!t) return String(serial);
  const day = isoDate(t);
  if (t.h === 0 && t.mi === 0 && t.s === 0) return day;
  return isoDateTime(t, '').slice(0, 19);
}

/**
 * Streams the rows of `sheets` (from inspectXlsx) in their order. Rows with no value are not
 * reported (Excel does not store them). `onRow` may return a promise (backpressure).
 *
 * Why not exceljs's streaming WorkbookReader (measured on this machine, exceljs 4.4.0): it decodes
 * each inflated chunk on its own, so a Chinese character cut by a chunk boundary comes out as two
 * U+FFFD (exceljs issues #2063, #2084, still open) — a 12345 export of a few hundred rows already
 * showed it; it reports no merged cells; and it crashes on a sheet stored before xl/workbook.xml.
 * So the rows are read here with yauzl (random access to the zip's entries) and saxes (the XML
 * parser exceljs itself uses).
 */
export async function readXlsxRows(
  path: string,
  sheets: readonly SheetInfo[],
  onRow: (r: XlsxRow) => void | Promise<void>,
  limits: XlsxLimits = DEFAULT_XLSX_LIMITS,
): Promise<void> {
  const zip = await new Promise<yauzl.ZipFile>((res, rej) =>
    yauzl.open(
      path,
      { lazyEntries: true, validateEntrySizes: true, strictFileNames: false, autoClose: false },
      (err, z) => (err ? rej(err) : res(z)),
    ),
  );
  try {
    const entries = new Map<string, yauzl.Entry>();
    await new Promise<void>((resolve, reject) => {
      zip.on('entry', (e: yauzl.Entry) => {
        entries.set(e.fileName, e);
        zip.readEntry();
      });
      zip.on('end', () => resolve());
      zip.on('error', reject);
      zip.readEntry();
    });
    const text = async (name: string, limit: number): Promise<string | undefined> => {
      const e = entries.get(name);
      return e ? readAll(await openEntry(zip, e), limit, name) : undefined;
    };
    const book = (await text('xl/workbook.xml', 16 * 1024 ** 2)) ?? '';
    const date1904 = /<(?:\w+:)?workbookPr\b[^>]*\bdate1904="(?:1|true)"/.test(book);
    const dateStyles = parseDateStyles((await text('xl/styles.xml', 64 * 1024 ** 2)) ?? '');
    const strings = await readSharedStrings(zip, entries.get('xl/sharedStrings.xml'), limits);
    for (const sheet of sheets) {
      const entry = entries.get(sheet.entry);
      if (!entry)
        throw new XlsxError(`${path}: sheet「${sheet.name}」 (${sheet.entry}) is missing`);
      let pending: XlsxRow[] = [];
      let row: XlsxRow | undefined;
      let col = 0;
      let type: string | undefined;
      let style = 0;
      let value: string | null = null;
      let inValue = false;
      let inInline = false;
      let inPhonetic = false;
      await parseXml(
        await openEntry(zip, entry),
        (p) => {
          p.on('opentag', (node) => {
            switch (node.name) {
              case 'row': {
                const r = Number(attrOf(node, 'r'));
                const next = Number.isInteger(r) && r > 0 ? r : (row?.row ?? 0) + 1;
                row = { sheet, row: next, cells: [] };
                col = 0;
                break;
              }
              case 'c':
                col = cellColumn(attrOf(node, 'r')) ?? col;
                type = attrOf(node, 't');
                style = Number(attrOf(node, 's') ?? 0);
                value = null;
                break;
              case 'v':
                inValue = true;
                value = '';
                break;
              case 'is':
                inInline = true;
                value = '';
                break;
              case 'rPh':
                inPhonetic = true;
                break;
              default:
                break;
            }
          });
          p.on('text', (t) => {
            if ((inValue || inInline) && !inPhonetic) value = (value ?? '') + t;
          });
          p.on('closetag', (node) => {
            switch (node.name) {
              case 'v':
                inValue = false;
                break;
              case 'is':
                inInline = false;
                break;
              case 'rPh':
                inPhonetic = false;
                break;
              case 'c': {
                if (row && value !== null) {
                  let out: string | null = value;
                  if (type === 's') out = strings[Number(value)] ?? null;
                  else if (type === 'b') out = value === '1' ? 'TRUE' : 'FALSE';
                  else if ((type === undefined || type === 'n') && dateStyles.has(style)) {
                    const n = Number(value);
                    out = Number.isFinite(n) ? serialText(n, date1904) : value;
                  }
                  if (out !== null && out !== '') {
                    while (row.cells.length < col) row.cells.push(null);
                    row.cells[col] = out;
                  }
                }
                col++;
                break;
              }
              case 'row':
                if (row && row.cells.length > 0) pending.push(row);
                break;
              default:
                break;
            }
          });
        },
        async () => {
          const ready = pending;
          pending = [];
          for (const r of ready) {
            const w = onRow(r);
            if (w) await w;
          }
        },
      );
      for (const r of pending) {
        const w = onRow(r);
        if (w) await w;
      }
    }
  } finally {
    zip.close();
  }
}

function parseDateStyles(xml: string): Set<number> {
  const custom = new Map<number, string>();
  for (const m of xml.matchAll(/<(?:\w+:)?numFmt\b[^>]*>/g)) {
    const id = Number(attr(m[0], 'numFmtId'));
    const code = attr(m[0], 'formatCode');
    if (Number.isInteger(id) && code !== undefined) custom.set(id, code);
  }
  const out = new Set<number>();
  const xfs = /<(?:\w+:)?cellXfs\b[^>]*>([\s\S]*?)<\/(?:\w+:)?cellXfs>/.exec(xml)?.[1] ?? '';
  let i = 0;
  for (const m of xfs.matchAll(/<(?:\w+:)?xf\b[^>]*>/g)) {
    const id = Number(attr(m[0], 'numFmtId') ?? 0);
    const code = custom.get(id);
    if (code !== undefined ? isDateFormat(code) : DATE_FORMAT_IDS.has(id)) out.add(i);
    i++;
  }
  return out;
}

async function readSharedStrings(
  zip: yauzl.ZipFile,
  entry: yauzl.Entry | undefined,
  limits: XlsxLimits,
): Promise<string[]> {
  if (!entry) return [];
  if (entry.uncompressedSize > limits.maxSharedStringsBytes)
    throw new XlsxError(`the shared strings are larger than ${mb(limits.maxSharedStringsBytes)}`);
  const out: string[] = [];
  let current: string | undefined;
  let inText = false;
  let inPhonetic = false;
  await parseXml(await openEntry(zip, entry), (p) => {
    p.on('opentag', (node) => {
      if (node.name === 'si') current = '';
      else if (node.name === 't') inText = true;
      else if (node.name === 'rPh') inPhonetic = true;
    });
    p.on('text', (t) => {
      if (inText && !inPhonetic && current !== undefined) current += t;
    });
    p.on('closetag', (node) => {
      if (node.name === 't') inText = false;
      else if (node.name === 'rPh') inPhonetic = false;
      else if (node.name === 'si') {
        out.push(current ?? '');
        current = undefined;
      }
    });
  });
  return out;
}
