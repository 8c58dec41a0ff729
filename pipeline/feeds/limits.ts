/**
 * Bounds on what a source can make the reader hold or write: a byte cap on a stream (gzip output,
 * an HTTP body) and a line-length limit applied while streaming, so that one huge line never sits
 * whole in memory. Both work on the decoded byte stream, before any format is parsed: every line
 * format (NDJSON, CSV) gets them; a new line-based reader plugs in after them (see ingest.ts).
 */

import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/** Bytes of an over-long line kept for the quarantine (people read it; the rest is dropped). */
export const LONG_LINE_HEAD = 64 * 1024;

export interface LongLine {
  /** 1-based line number. */
  line: number;
  /** Its first LONG_LINE_HEAD bytes. */
  head: Buffer;
  /** Its full length in bytes (without the line break). */
  bytes: number;
}

export class ByteCapExceeded extends Error {}

/**
 * The gunzipped bytes of `raw`. A corrupt gzip fails the reader of the stream — whenever it starts
 * reading — and nothing else: the decompression starts at once, and without a listener of its own
 * an error found before the reader attaches would be an uncaught exception, the end of `dafei
 * serve` (the stream keeps the error for the reader).
 */
export function gunzipOf(raw: AsyncIterable<Buffer>): Readable {
  const src = raw instanceof Readable ? raw : Readable.from(raw);
  const gunzip = src.pipe(createGunzip());
  src.on('error', (err) => gunzip.destroy(err));
  gunzip.on('error', () => undefined);
  return gunzip;
}

/** Passes `src` through; throws ByteCapExceeded(message) once more than `max` bytes have come. */
export async function* capBytes(
  src: AsyncIterable<Buffer>,
  max: number,
  message: (max: number) => string,
): AsyncGenerator<Buffer> {
  let total = 0;
  for await (const chunk of src) {
    total += chunk.length;
    if (total > max) throw new ByteCapExceeded(message(max));
    yield chunk;
  }
}

/**
 * Passes `src` through, except lines longer than `max` bytes: each is reported to `onLong` (its
 * number, first bytes and length) and replaced by an empty line, so line numbers stay right. At
 * most `max` bytes of an unfinished line are buffered.
 */
export async function* limitLines(
  src: AsyncIterable<Buffer>,
  max: number,
  onLong: (l: LongLine) => void,
): AsyncGenerator<Buffer> {
  let line = 1;
  /** The current line's bytes so far (while it is within the limit). */
  let pending: Buffer[] = [];
  let pendingSize = 0;
  /** Set while the current line is over the limit: its head and length so far. */
  let long: { head: Buffer[]; headSize: number; bytes: number } | undefined;

  const keepHead = (piece: Buffer) => {
    if (!long || long.headSize >= LONG_LINE_HEAD) return;
    const take = piece.subarray(0, LONG_LINE_HEAD - long.headSize);
    long.head.push(Buffer.from(take));
    long.headSize += take.length;
  };
  const endLong = () => {
    onLong({ line, head: Buffer.concat(long!.head), bytes: long!.bytes });
    long = undefined;
  };

  for await (const chunk of src) {
    const out: Buffer[] = [];
    // chunk[runStart, …) passes through unchanged until something is cut out of it
    let runStart = 0;
    const flush = (to: number) => {
      if (to > runStart) out.push(chunk.subarray(runStart, to));
      runStart = to;
    };
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      const end = nl === -1 ? chunk.length : nl;
      const piece = chunk.subarray(start, end);
      if (long) {
        long.bytes += piece.length;
        keepHead(piece);
      } else if (pendingSize + piece.length > max) {
        flush(start);
        long = { head: [], headSize: 0, bytes: pendingSize + piece.length };
        for (const p of pending) keepHead(p);
        keepHead(piece);
        pending = [];
        pendingSize = 0;
      } else if (nl !== -1) {
        // a line that fits: what was pending from earlier chunks goes first (start is 0 here)
        if (pendingSize > 0) out.push(...pending);
        pending = [];
        pendingSize = 0;
      } else {
        // the unfinished last line of the chunk: kept (copied) until its end or the limit
        flush(start);
        if (piece.length > 0) pending.push(Buffer.from(piece));
        pendingSize += piece.length;
        runStart = chunk.length;
      }
      if (nl === -1) break;
      if (long) {
        endLong();
        out.push(NEWLINE);
        runStart = nl + 1;
      }
      line++;
      start = nl + 1;
    }
    if (long) runStart = chunk.length;
    flush(chunk.length);
    if (out.length > 0) yield out.length === 1 ? out[0]! : Buffer.concat(out);
  }
  if (long) endLong();
  else if (pendingSize > 0) yield Buffer.concat(pending);
}

const NEWLINE = Buffer.from('\n');
