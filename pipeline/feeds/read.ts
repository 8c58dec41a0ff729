/**
 * Turns the bytes of one source into records: decodes (gzip, UTF-8 with or without BOM,
 * GB18030/GBK), splits NDJSON lines or CSV records, and hands each to `onRecord` as an object of
 * field values, or as a problem when the line itself is malformed. Reading stops only when the
 * bytes themselves cannot be read (missing file, truncated gzip, dropped connection): then it throws.
 */
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { CsvSplitter } from './csv.ts';

export type Format = 'ndjson' | 'csv';
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
  return undefined;
}

const badEncoding = (enc: Encoding) =>
  enc === 'utf-8'
    ? 'line has bytes that are not valid UTF-8 (if the file is GBK, ingest it with --encoding gbk)'
    : 'line has bytes that are not valid GB18030/GBK';

/**
 * Reads all records of `input`. `afterChunk`, when given, is awaited after each chunk of input:
 * the caller's chance to do asynchronous work (write a block) with backpressure.
 */
export async function readRecords(
  input: Readable,
  options: ReadOptions,
  onRecord: (r: RawRecord) => void,
  afterChunk?: () => Promise<void>,
): Promise<{ bytes: number }> {
  const stream = options.gzip ? input.pipe(createGunzip()) : input;
  if (options.gzip) input.on('error', (err) => stream.destroy(err));
  let decoder: TextDecoder | undefined;
  let bytes = 0;
  const splitter =
    options.format === 'ndjson'
      ? ndjsonSplitter(options.encoding, onRecord)
      : csvSplitter(options.encoding, options.requiredColumns ?? [], onRecord);
  for await (const chunk of stream as AsyncIterable<Buffer>) {
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

function ndjsonSplitter(encoding: Encoding, onRecord: (r: RawRecord) => void): Splitter {
  let rest = '';
  let line = 0;
  let suspect = false; // the current text holds a replacement character: check lines one by one
  const handle = (raw: string) => {
    line++;
    if (raw.length > 0 && raw.charCodeAt(raw.length - 1) === 13) raw = raw.slice(0, -1);
    if (raw.length === 0 || (raw.charCodeAt(0) <= 32 && raw.trim() === '')) return;
    if (suspect && raw.includes(REPLACEMENT)) {
      onRecord({ line, raw, problem: badEncoding(encoding) });
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      onRecord({ line, raw, problem: `malformed JSON: ${(err as Error).message}` });
      return;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      onRecord({ line, raw, problem: 'line is not a JSON object' });
      return;
    }
    onRecord({ line, raw, value: value as Record<string, unknown> });
  };
  return {
    push(text) {
      let start = 0;
      let s = text;
      if (rest) {
        s = rest + text;
        rest = '';
      }
      suspect = s.includes(REPLACEMENT);
      for (;;) {
        const nl = s.indexOf('\n', start);
        if (nl === -1) break;
        handle(s.slice(start, nl));
        start = nl + 1;
      }
      rest = s.slice(start);
    },
    end() {
      suspect = rest.includes(REPLACEMENT);
      if (rest) handle(rest);
      rest = '';
    },
  };
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
