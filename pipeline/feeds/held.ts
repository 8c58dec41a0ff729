/**
 * What an admin does with a held batch (see held-store.ts):
 * - release: apply it as it is, from the copy kept when it was held (its good lines land, the
 *   others are quarantined as usual); the drop-folder file is marked taken and the HTTP cursor
 *   moves, in the same transaction;
 * - discard: apply nothing, but mark the file taken / move the cursor past it, so that the source
 *   goes on.
 * Both are recorded (who, when) and end the hold.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import type { Db } from '../db/index.ts';
import { rescreenAfter } from '../notify/screen.ts';
import { AppError } from '../errors.ts';
import {
  DEFAULT_LIMITS,
  defaultFilesDir,
  ingestInput,
  markTaken,
  type BatchResult,
  type IngestLimits,
} from './ingest.ts';
import type { Mapping } from './mapping/schema.ts';
import type { Encoding, Format } from './read.ts';
import { fileInput, type Input, type SourceKind } from './sources.ts';
import { FEEDS, type FeedName } from './specs.ts';

export interface HeldRow {
  batch_id: number;
  feed: FeedName;
  source: string;
  source_kind: SourceKind;
  reason: string;
  read: number;
  quarantined: number;
  held_at: string;
  status: 'held' | 'released' | 'discarded';
  decided_at: string | null;
  decided_by: string | null;
  applied_batch: number | null;
}

/** Held batches, newest first; `all` includes those already released or discarded. */
export async function listHeld(
  db: Db,
  o: { all?: boolean; limit?: number } = {},
): Promise<HeldRow[]> {
  return db.all<HeldRow>(
    `SELECT batch_id::INTEGER AS batch_id, feed, source, source_kind, reason, read::INTEGER AS read,
            quarantined::INTEGER AS quarantined, held_at::VARCHAR AS held_at, status,
            decided_at::VARCHAR AS decided_at, decided_by, applied_batch::INTEGER AS applied_batch
     FROM held_batches WHERE $all OR status = 'held' ORDER BY batch_id DESC LIMIT $limit`,
    { all: o.all ?? false, limit: o.limit ?? 100 },
  );
}

interface Stored {
  feed: FeedName;
  source: string;
  source_kind: SourceKind;
  stored_path: string;
  format: Format;
  gzip: boolean;
  encoding: Encoding;
  bytes: number | null;
  folder: string | null;
  file_name: string | null;
  file_sha256: string | null;
  http_url: string | null;
  http_next_since: string | null;
}

async function heldOne(db: Db, batchId: number): Promise<Stored> {
  const r = await db.one<Stored & { status: string }>(
    `SELECT feed, source, source_kind, stored_path, format, gzip, encoding, bytes::BIGINT::DOUBLE AS bytes, folder,
            file_name, file_sha256, http_url, http_next_since, status
     FROM held_batches WHERE batch_id = $b`,
    { b: batchId },
  );
  if (!r) throw new AppError('not_found', `no held batch ${batchId}`);
  if (r.status !== 'held')
    throw new AppError('conflict', `batch ${batchId} is no longer held (it was ${r.status})`);
  return r;
}

function takenMarks(h: Stored): Pick<Input, 'folderFile' | 'http'> {
  return {
    ...(h.folder && h.file_name && h.file_sha256
      ? {
          folderFile: {
            folder: h.folder,
            fileName: h.file_name,
            sha256: h.file_sha256,
            size: h.bytes ?? 0,
          },
        }
      : {}),
    ...(h.http_url && h.http_next_since
      ? { http: { url: h.http_url, since: null, nextSince: h.http_next_since } }
      : {}),
  };
}

export interface DecideOptions {
  actor: string;
  now?: () => Date;
  limits?: Partial<IngestLimits>;
  filesDir?: string;
}

/** Applies a held batch as it is. Returns the batch that applied it. */
export async function releaseHeld(db: Db, batchId: number, o: DecideOptions): Promise<BatchResult> {
  const h = await heldOne(db, batchId);
  const now = o.now ?? (() => new Date());
  const stored = fileInput(h.feed, h.stored_path);
  const input: Input = {
    name: h.source,
    kind: h.source_kind,
    open: async () => ({ ...(await stored.open()), format: h.format, gzip: h.gzip }),
    ...takenMarks(h),
  };
  // a batch read through a mapping is released through the same mapping
  const mappingFile = `${h.stored_path}.mapping.json`;
  const mapping = existsSync(mappingFile)
    ? (JSON.parse(readFileSync(mappingFile, 'utf8')) as Mapping)
    : undefined;
  const r = await ingestInput(db, FEEDS[h.feed], input, h.encoding, now, {
    limits: { ...DEFAULT_LIMITS, ...o.limits },
    hold: false,
    ...(mapping ? { read: { mapping } } : {}),
    filesDir: o.filesDir ?? defaultFilesDir(db.path),
    inTransaction: async (tx, applied) => {
      const done = await tx.all(
        `UPDATE held_batches SET status = 'released', decided_at = now(), decided_by = $actor, applied_batch = $applied
         WHERE batch_id = $b AND status = 'held' RETURNING batch_id`,
        { b: batchId, actor: o.actor, applied },
      );
      if (done.length !== 1) throw new AppError('conflict', `batch ${batchId} is no longer held`);
    },
  });
  if ('reason' in r) throw new Error('a release is never held');
  rmSync(h.stored_path, { force: true });
  rmSync(mappingFile, { force: true });
  // watchlists and subscriptions hear of the released batch at once, as of any other batch
  await rescreenAfter(db, { now });
  return r;
}

/** Applies nothing of a held batch, and lets its source go on past it. */
export async function discardHeld(db: Db, batchId: number, o: DecideOptions): Promise<void> {
  const h = await heldOne(db, batchId);
  const at = (o.now ?? (() => new Date()))();
  await db.transaction(async (tx) => {
    const done = await tx.all(
      `UPDATE held_batches SET status = 'discarded', decided_at = $at::TIMESTAMPTZ, decided_by = $actor
       WHERE batch_id = $b AND status = 'held' RETURNING batch_id`,
      { b: batchId, actor: o.actor, at: at.toISOString() },
    );
    if (done.length !== 1) throw new AppError('conflict', `batch ${batchId} is no longer held`);
    await markTaken(tx, h.feed, takenMarks(h), batchId, at);
  });
  rmSync(h.stored_path, { force: true });
  rmSync(`${h.stored_path}.mapping.json`, { force: true });
}
