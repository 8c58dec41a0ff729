/**
 * Held batches: a batch that looks broken as a whole — more than a fraction of its lines
 * quarantined, or every line missing the same required field (a source renamed it) — is not
 * applied. It is recorded as held (ingest_batches status 'held', held_batches, its quarantined
 * lines), a copy of its bytes is kept, a drop-folder file is not marked taken and an HTTP cursor
 * does not move, until an admin releases it (held.ts) or discards it.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  copyFileSync,
  createReadStream,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { literal, type Db } from '../db/index.ts';
import type { Encoding, Format } from './read.ts';
import type { Input } from './sources.ts';
import type { FeedName } from './specs.ts';

export interface HoldPolicy {
  /** Held when more than this fraction of the lines is quarantined … */
  fraction: number;
  /** … and the batch has at least this many lines. */
  minLines: number;
}

export const DEFAULT_HOLD: HoldPolicy = { fraction: 0.2, minLines: 20 };

/** A batch held for an admin. */
export interface HeldBatch {
  batchId: number;
  feed: FeedName;
  source: string;
  reason: string;
  read: number;
  quarantined: number;
}

/** Thrown inside the batch's transaction to roll it back and hold it instead. */
export class HoldSignal extends Error {
  readonly batchId: number;
  readonly reason: string;
  constructor(batchId: number, reason: string) {
    super(`batch ${batchId} held: ${reason}`);
    this.batchId = batchId;
    this.reason = reason;
  }
}

const MISSING = ': required field is missing';

/**
 * Why the batch must be held, or null. `badPath` is the batch's quarantine staging file (NDJSON of
 * {line_no, raw, reason}).
 */
export async function decideHold(
  tx: Db,
  policy: HoldPolicy,
  c: { read: number; quarantined: number },
  badPath: string,
): Promise<string | null> {
  if (c.read === 0 || c.quarantined === 0) return null;
  if (c.quarantined === c.read) {
    const top = await tx.one<{ reason: string; n: number }>(
      `SELECT reason, count(*)::INTEGER AS n FROM read_json(${literal(badPath)}, format = 'newline_delimited',
         maximum_object_size = 268435456, columns = {line_no: 'BIGINT', raw: 'VARCHAR', reason: 'VARCHAR'})
       GROUP BY reason ORDER BY n DESC, reason LIMIT 1`,
    );
    if (top && top.n === c.read && top.reason.endsWith(MISSING)) {
      const field = top.reason.slice(0, -MISSING.length);
      return `every line (${c.read}) lacks the required field ${field}: did the source rename it?`;
    }
  }
  if (c.read >= policy.minLines && c.quarantined > policy.fraction * c.read) {
    const pct = (100 * c.quarantined) / c.read;
    return `${c.quarantined} of ${c.read} lines (${pct.toFixed(1)} %) quarantined, over the threshold of ${(100 * policy.fraction).toFixed(0)} % (hold.quarantine_fraction)`;
  }
  return null;
}

/** Passes the bytes through while writing them to `path` (the raw body of an HTTP response). */
export async function* spoolTo(src: AsyncIterable<Buffer>, path: string): AsyncGenerator<Buffer> {
  const fd = openSync(path, 'w');
  try {
    for await (const chunk of src) {
      writeSync(fd, chunk);
      yield chunk;
    }
  } finally {
    closeSync(fd);
  }
}

/** Renames, or copies when the two paths are on different file systems (EXDEV). */
function moveFile(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    copyFileSync(from, to);
    rmSync(from, { force: true });
  }
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export interface HoldInput {
  batchId: number;
  reason: string;
  feed: FeedName;
  input: Input;
  format: Format;
  gzip: boolean;
  encoding: Encoding;
  counts: { read: number; quarantined: number };
  /** Bytes read (decompressed). */
  bytes: number;
  /** The batch's quarantine staging file, stored so that the admin sees why. */
  badPath: string;
  /** HTTP: the body as received; else the input's own file is copied. */
  spoolPath: string | undefined;
  filesDir: string;
  heldAt: Date;
  /** The mapping the batch was read with (kept beside the copy: a release reads it the same way). */
  mapping?: unknown;
  insertQuarantine: (tx: Db, batchId: number, path: string) => Promise<void>;
}

/** Keeps a copy of the held bytes and records the held batch. */
export async function recordHeld(db: Db, h: HoldInput): Promise<HeldBatch> {
  const dir = join(h.filesDir, 'held');
  mkdirSync(dir, { recursive: true });
  const ext = `${h.format}${h.gzip ? '.gz' : ''}`;
  const stored = join(dir, `batch-${h.batchId}.${ext}`);
  if (h.spoolPath) moveFile(h.spoolPath, stored);
  else copyFileSync(h.input.name, stored);
  if (h.mapping !== undefined) writeFileSync(`${stored}.mapping.json`, JSON.stringify(h.mapping));
  const sha256 = await sha256File(stored);
  await db.transaction(async (tx) => {
    await tx.run(
      `INSERT INTO ingest_batches VALUES ($batch, $feed, $source, $kind, $at::TIMESTAMPTZ, now(),
         'held', $read, 0, 0, 0, $quarantined, $bytes, $reason)`,
      {
        batch: h.batchId,
        feed: h.feed,
        source: h.input.name,
        kind: h.input.kind,
        at: h.heldAt.toISOString(),
        read: h.counts.read,
        quarantined: h.counts.quarantined,
        bytes: h.bytes,
        reason: h.reason,
      },
    );
    await tx.run(
      `INSERT INTO held_batches VALUES ($batch, $feed, $source, $kind, $reason, $read, $quarantined, $at::TIMESTAMPTZ,
         $stored, $format, $gzip, $encoding, $sha, $bytes, $folder, $file, $fileSha, $url, $nextSince,
         'held', NULL, NULL, NULL)`,
      {
        batch: h.batchId,
        feed: h.feed,
        source: h.input.name,
        kind: h.input.kind,
        reason: h.reason,
        read: h.counts.read,
        quarantined: h.counts.quarantined,
        at: h.heldAt.toISOString(),
        stored,
        format: h.format,
        gzip: h.gzip,
        encoding: h.encoding,
        sha: sha256,
        bytes: statSync(stored).size,
        folder: h.input.folderFile?.folder ?? null,
        file: h.input.folderFile?.fileName ?? null,
        fileSha: h.input.folderFile?.sha256 ?? null,
        url: h.input.http?.url ?? null,
        nextSince: h.input.http?.nextSince ?? null,
      },
    );
    await h.insertQuarantine(tx, h.batchId, h.badPath);
  });
  return {
    batchId: h.batchId,
    feed: h.feed,
    source: h.input.name,
    reason: h.reason,
    read: h.counts.read,
    quarantined: h.counts.quarantined,
  };
}
