/**
 * Turns the bytes of a CSV source into records: decodes (gzip, UTF-8 with or without BOM,
 * GB18030/GBK), splits CSV records, and hands each to `onRecord` as an object of field values, or
 * as a problem when the line itself is malformed. (NDJSON is read in parallel chunks:
 * ndjson-pool.ts.) Reading stops only when the
 * bytes themselves cannot be read (missing file, truncated gzip, dropped connection): then it throws.
 */
import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { CsvSplitter } from './csv.ts';
import { badEncoding } from './stage-lines.ts';

export type Format = 'ndjson' | 'csv' | 'xlsx';
export type Encoding = 'utf-8' | 'gb18030';

export interface RawRecord {
  line: number;
  raw: string;
  /** Field values; absent when the line is malformed. */
  value?: Record<string, unknown>;
  problem?: string;
}

export interface ReadOptions {
  format: Format;
  encoding: Encoding;
  gzip: boolean;
  /** CSV only: columns the header must name, else the source is unreadable as this feed. */
  requiredColumns?: readonly string[];
}

const UTF8_BOM = [0xef, 0xbb, 0xbf];
const REPLACEMENT = '\uFFFD';

export function encodingFrom(name: string | undefined): Encoding {
  if (name === undefined) return 'utf-8';
  const n = name.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (n === 'utf8') return 'utf-8';
  if (n === 'gbk' || n === 'gb2312' || n === 'gb18030' || n === 'cp936') return 'gb18030';
  throw new Error(`unknown encoding '${name}' (use utf-8 or gbk)`);
}

/** Format and compression from a file name such as ads.ndjson.gz. */
export function formatFromName(name: string): { format: Format; gzip: boolean } | undefined {
  const lower = name.toLowerCase();
  const gzip = lower.endsWith('.gz');
  const base = gzip ? lower.slice(0, -3) : lower;
  if (base.endsWith('.ndjson') || base.endsWith('.jsonl') || base.endsWith('.json')) {
    return { format: 'ndjson', gzip };
  }
  if (base.endsWith('.csv')) return { format: 'csv', gzip };
  if (base.endsWith('.xlsx') && !gzip) return { format: 'xlsx', gzip };
  return undefined;
}

/**
 * Reads all records of `input`. `afterChunk`, when given, is awaited after each chunk of input:
 * the caller's chance to do asynchronous work (write a block) with backpressure.
 */
export async function readRecords(
  input: Readable | AsyncIterable<Buffer>,
  options: ReadOptions,
  onRecord: (r: RawRecord) => void,
  afterChunk?: () => Promise<void>,
): Promise<{ bytes: number }> {
  let stream: AsyncIterable<Buffer> = input;
  if (options.gzip) {
    const src = input instanceof Readable ? input : Readable.from(input);
    const gunzip = src.pipe(createGunzip());
    src.on('error', (err) => gunzip.destroy(err));
    stream = gunzip;
  }
  let decoder: TextDecoder | undefined;
  let bytes = 0;
  if (options.format !== 'csv')
    throw new Error('readRecords reads CSV; NDJSON goes through ndjson-pool.ts');
  const splitter = csvSplitter(options.encoding, options.requiredColumns ?? [], onRecord);
  for await (const chunk of stream) {
    if (decoder === undefined) {
      // A UTF-8 BOM wins over a declared GBK: Excel writes "CSV UTF-8" with a BOM.
      const hasBom = UTF8_BOM.every((b, i) => chunk[i] === b);
      decoder = new TextDecoder(hasBom ? 'utf-8' : options.encoding);
    }
    bytes += chunk.length;
    splitter.push(decoder.decode(chunk, { stream: true }));
    if (afterChunk) await afterChunk();
  }
  if (decoder) splitter.push(decoder.decode());
  splitter.end();
  return { bytes };
}

interface Splitter {
  push(text: string): void;
  end(): void;
}

function csvSplitter(
  encoding: Encoding,
  requiredColumns: readonly string[],
  onRecord: (r: RawRecord) => void,
): Splitter {
  let header: string[] | undefined;
  const splitter = new CsvSplitter(
    (rec) => {
      if (header === undefined) {
        header = rec.fields.map((f) => f.replace(/^\uFEFF/, '').trim());
        const dup = header.find((h, i) => header!.indexOf(h) !== i);
        if (dup !== undefined) throw new Error(`CSV header names column '${dup}' twice`);
        const missing = requiredColumns.filter((c) => !header!.includes(c));
        if (missing.length > 0) {
          throw new Error(`CSV header lacks required column(s) ${missing.join(', ')}`);
        }
        splitter.expectedFields = header.length;
        return;
      }
      if (rec.raw.includes(REPLACEMENT)) {
        onRecord({ line: rec.line, raw: rec.raw, problem: badEncoding(encoding) });
        return;
      }
      if (rec.fields.length !== header.length) {
        onRecord({
          line: rec.line,
          raw: rec.raw,
          problem: `row has ${rec.fields.length} fields, the header has ${header.length}`,
        });
        return;
      }
      const value: Record<string, unknown> = {};
      for (let i = 0; i < header.length; i++) {
        const cell = rec.fields[i]!;
        if (cell !== '') value[header[i]!] = cell; // an empty cell is null
      }
      onRecord({ line: rec.line, raw: rec.raw, value });
    },
    (broken) => onRecord({ line: broken.line, raw: broken.raw, problem: broken.problem }),
  );
  return {
    push: (t) => splitter.push(t),
    end: () => splitter.end(),
  };
}
