/** Buffered, back-pressured line writer; optional gzip and GB18030 encoding. */
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { createGzip, type Gzip } from 'node:zlib';
import iconv from 'iconv-lite';

const CHUNK = 1 << 18;
// Node's zlib streams pass highWaterMark on to their Transform (not in ZlibOptions' type).
const GZIP_OPTIONS = { level: 6, highWaterMark: 1 << 23 };

export interface LineWriterOptions {
  gzip: boolean;
  encoding: 'utf8' | 'gb18030';
}

export class LineWriter {
  readonly path: string;
  /** Lines written so far (the next line is number `lines + 1`). */
  lines = 0;
  /** Uncompressed bytes written. */
  bytes = 0;
  private buf: string[] = [];
  private size = 0;
  private readonly file: WriteStream;
  private readonly gz: Gzip | null;
  private readonly encoding: 'utf8' | 'gb18030';

  constructor(path: string, opts: LineWriterOptions) {
    this.path = path;
    this.encoding = opts.encoding;
    this.file = createWriteStream(path, { highWaterMark: 1 << 23 });
    this.gz = opts.gzip ? createGzip(GZIP_OPTIONS) : null;
    if (this.gz) this.gz.pipe(this.file);
  }

  /** Appends one line (without its newline). Call `maybeFlush` regularly. */
  line(s: string): number {
    this.buf.push(s, '\n');
    this.size += s.length + 1;
    this.lines++;
    return this.lines;
  }

  get pending(): boolean {
    return this.size >= CHUNK;
  }

  async maybeFlush(): Promise<void> {
    if (this.size >= CHUNK) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.buf.length === 0) return;
    const text = this.buf.join('');
    this.buf = [];
    this.size = 0;
    const data =
      this.encoding === 'utf8' ? Buffer.from(text, 'utf8') : iconv.encode(text, 'gb18030');
    this.bytes += data.length;
    const target = this.gz ?? this.file;
    if (!target.write(data)) await once(target, 'drain');
  }

  /** Appends a block of complete lines that is already encoded. */
  async bytesBlock(data: Uint8Array, lines: number): Promise<void> {
    await this.flush();
    this.lines += lines;
    this.bytes += data.length;
    const target = this.gz ?? this.file;
    if (!target.write(data)) await once(target, 'drain');
  }

  async close(): Promise<number> {
    await this.flush();
    const done = once(this.file, 'close');
    if (this.gz) this.gz.end();
    else this.file.end();
    await done;
    return this.file.bytesWritten;
  }
}

export function csvCell(v: string | number | null): string {
  if (v === null) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvRow(cells: readonly (string | number | null)[]): string {
  return cells.map(csvCell).join(',');
}
