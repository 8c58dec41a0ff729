/**
 * Uploaded files of the 数据导入 page: kept on disk (streamed there with a size cap, hashed), recorded
 * in intake_uploads, and ingested through a mapping as a job_runs entry (job 'intake') with the
 * mapping kept in intake_ingests. The API (api/routes/intake.ts) drives these functions.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import type { Db } from '../db/index.ts';
import { AppError, IngestError } from '../errors.ts';
import { ingest, type FeedName, type IngestResult } from '../feeds/index.ts';
import type { Mapping } from '../feeds/mapping/index.ts';
import { XLS_ADVICE } from '../feeds/xlsx.ts';
import { failRun, finishRun, startRun } from '../jobs/ledger.ts';

export class UploadError extends AppError {
  /** 'too_large' (413), 'unsupported' (415) or 'invalid' (400). */
  readonly kind: 'too_large' | 'unsupported' | 'invalid';
  constructor(kind: UploadError['kind'], message: string) {
    super('ingest_failed', message);
    this.kind = kind;
  }
}

const IngestCounts = z.object({
  read: z.number().int(),
  accepted: z.number().int(),
  duplicate: z.number().int(),
  corrected: z.number().int(),
  quarantined: z.number().int(),
  batch_ids: z.array(z.number().int()).optional(),
});

export const UploadRow = z.object({
  upload_id: z.number().int(),
  file_name: z.string(),
  stored_path: z.string(),
  format: z.enum(['csv', 'xlsx']),
  bytes: z.number().int(),
  sha256: z.string(),
  uploaded_by: z.string(),
  uploaded_at: z.string(),
  ingest: z
    .object({
      run_id: z.number().int(),
      feed: z.string(),
      template: z.string().nullable(),
      status: z.enum(['running', 'ok', 'failed']),
      counts: IngestCounts.nullable(),
      error: z.string().nullable(),
      actor: z.string(),
      started_at: z.string(),
      finished_at: z.string().nullable(),
    })
    .nullable()
    .meta({ description: 'the latest ingest: none yet (null), or its job run' }),
});
export type UploadRow = z.output<typeof UploadRow>;

/** A file name as shown and stored: no folders, no control or reserved characters. */
export function safeFileName(name: string): string {
  const base = basename(name.replace(/\\/g, '/'))
    // eslint-disable-next-line no-control-regex -- control characters are what it removes
    .replace(/[\x00-\x1f\x7f/\\:*?"<>|]/g, '_')
    .trim();
  const cut = [...base].slice(-120).join('');
  return cut === '' || cut === '.' || cut === '..' ? 'upload' : cut;
}

export function uploadFormat(name: string): 'csv' | 'xlsx' {
  const n = name.toLowerCase();
  if (n.endsWith('.xlsx')) return 'xlsx';
  if (n.endsWith('.csv') || n.endsWith('.csv.gz') || n.endsWith('.txt')) return 'csv';
  if (n.endsWith('.xls')) throw new UploadError('unsupported', `${name} ${XLS_ADVICE}`);
  throw new UploadError(
    'unsupported',
    `${name}: only .csv (optionally .gz) and .xlsx files can be imported`,
  );
}

/**
 * Streams `body` into `dir` (at most `maxBytes`), records it and returns it. A body larger than
 * the cap is cut off, deleted and refused; nothing is recorded.
 */
export async function saveUpload(
  db: Db,
  o: {
    dir: string;
    name: string;
    body: Readable | AsyncIterable<Uint8Array>;
    maxBytes: number;
    actor: string;
    now: Date;
  },
): Promise<UploadRow> {
  const fileName = safeFileName(o.name);
  const format = uploadFormat(fileName);
  const dir = resolve(o.dir);
  mkdirSync(dir, { recursive: true });
  const partial = join(dir, `.partial-${randomBytes(8).toString('hex')}`);
  const hash = createHash('sha256');
  let bytes = 0;
  const out = createWriteStream(partial);
  const closed = new Promise<void>((res, rej) => {
    out.on('close', () => res());
    out.on('error', rej);
  });
  try {
    for await (const chunk of o.body as AsyncIterable<Uint8Array>) {
      bytes += chunk.length;
      if (bytes > o.maxBytes) {
        throw new UploadError(
          'too_large',
          `${fileName} is larger than the ${Math.round(o.maxBytes / 1024 ** 2)} MB an upload may have (intake.max_upload_mb)`,
        );
      }
      hash.update(chunk);
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', r));
    }
    out.end();
    await closed;
    if (bytes === 0) throw new UploadError('invalid', `${fileName} is empty`);
    if (format === 'xlsx') await checkZipMagic(partial, fileName);
    const id = (await db.one<{ id: number }>(`SELECT nextval('intake_upload_seq')::INTEGER AS id`))!
      .id;
    const stored = join(dir, `${id}-${fileName}`);
    await rename(partial, stored);
    await db.run(
      `INSERT INTO intake_uploads VALUES ($id, $name, $stored, $format, $bytes, $sha, $actor, $at::TIMESTAMPTZ)`,
      {
        id,
        name: fileName,
        stored,
        format,
        bytes,
        sha: hash.digest('hex'),
        actor: o.actor,
        at: o.now.toISOString(),
      },
    );
    return (await getUpload(db, id))!;
  } catch (err) {
    out.destroy();
    await closed.catch(() => undefined);
    await rm(partial, { force: true });
    throw err;
  }
}

async function checkZipMagic(path: string, name: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(8);
    await fh.read(buf, 0, 8, 0);
    if (buf.equals(Buffer.from('d0cf11e0a1b11ae1', 'hex')))
      throw new UploadError('unsupported', `${name} ${XLS_ADVICE}`);
    if (buf[0] !== 0x50 || buf[1] !== 0x4b)
      throw new UploadError('unsupported', `${name} is not an .xlsx workbook (not a zip file)`);
  } finally {
    await fh.close();
  }
}

const SELECT_UPLOAD = `
  SELECT u.upload_id::INTEGER AS upload_id, u.file_name, u.stored_path, u.format, u.bytes::BIGINT::DOUBLE AS bytes,
         u.sha256, u.uploaded_by, u.uploaded_at::VARCHAR AS uploaded_at,
         i.run_id::INTEGER AS run_id, i.feed, i.template, i.actor, i.started_at::VARCHAR AS started_at,
         r.status, r.counts::VARCHAR AS counts, r.error, r.finished_at::VARCHAR AS finished_at
  FROM intake_uploads u
  LEFT JOIN (SELECT * FROM intake_ingests QUALIFY row_number() OVER (PARTITION BY upload_id ORDER BY run_id DESC) = 1) i
    ON i.upload_id = u.upload_id
  LEFT JOIN job_runs r ON r.run_id = i.run_id`;

interface UploadSqlRow {
  upload_id: number;
  file_name: string;
  stored_path: string;
  format: 'csv' | 'xlsx';
  bytes: number;
  sha256: string;
  uploaded_by: string;
  uploaded_at: string;
  run_id: number | null;
  feed: string | null;
  template: string | null;
  actor: string | null;
  started_at: string | null;
  status: 'running' | 'ok' | 'failed' | null;
  counts: string | null;
  error: string | null;
  finished_at: string | null;
}

function toUpload(r: UploadSqlRow): UploadRow {
  return {
    upload_id: r.upload_id,
    file_name: r.file_name,
    stored_path: r.stored_path,
    format: r.format,
    bytes: r.bytes,
    sha256: r.sha256,
    uploaded_by: r.uploaded_by,
    uploaded_at: r.uploaded_at,
    ingest:
      r.run_id === null
        ? null
        : {
            run_id: r.run_id,
            feed: r.feed!,
            template: r.template,
            status: r.status ?? 'running',
            counts: r.counts ? (JSON.parse(r.counts) as z.output<typeof IngestCounts>) : null,
            error: r.error,
            actor: r.actor!,
            started_at: r.started_at!,
            finished_at: r.finished_at,
          },
  };
}

export async function getUpload(db: Db, id: number): Promise<UploadRow | undefined> {
  const r = await db.one<UploadSqlRow>(`${SELECT_UPLOAD} WHERE u.upload_id = $id`, { id });
  return r ? toUpload(r) : undefined;
}

export async function listUploads(db: Db, limit = 50): Promise<UploadRow[]> {
  const rows = await db.all<UploadSqlRow>(
    `${SELECT_UPLOAD} ORDER BY u.upload_id DESC LIMIT $limit`,
    { limit },
  );
  return rows.map(toUpload);
}

/**
 * Ingests an upload into `feed` through `mapping`, as a job_runs entry ('intake', the file name)
 * whose counts carry the batch ids. `onStart` gets the run id as soon as the run is recorded.
 */
export async function ingestUpload(
  db: Db,
  upload: UploadRow,
  o: {
    feed: FeedName;
    mapping: Mapping;
    template?: string;
    actor: string;
    now?: () => Date;
    onStart?: (runId: number) => void;
    onProgress?: (p: { rows: number; fraction: number | null }) => void;
  },
): Promise<IngestResult> {
  if (o.mapping.feed !== o.feed)
    throw new IngestError('ingest_failed', `the mapping is for ${o.mapping.feed}, not ${o.feed}`);
  const runId = await startRun(db, 'intake', upload.file_name);
  try {
    await db.run(
      `INSERT INTO intake_ingests VALUES ($upload, $run, $feed, $template, $mapping::JSON, $actor, $at::TIMESTAMPTZ)`,
      {
        upload: upload.upload_id,
        run: runId,
        feed: o.feed,
        template: o.template ?? null,
        mapping: JSON.stringify(o.mapping),
        actor: o.actor,
        at: (o.now ?? (() => new Date()))().toISOString(),
      },
    );
    o.onStart?.(runId);
    const r = await ingest(db, {
      feed: o.feed,
      source: upload.stored_path,
      mapping: o.mapping,
      ...(o.now ? { now: o.now } : {}),
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    });
    // a batch that looks broken as a whole is held for an admin (运行 page), not applied
    await finishRun(
      db,
      runId,
      {
        read: r.read,
        accepted: r.accepted,
        duplicate: r.duplicate,
        corrected: r.corrected,
        quarantined: r.quarantined,
        batch_ids: r.batches.map((b) => b.batchId),
        ...(r.held.length > 0
          ? { held: r.held.map((h) => ({ batch: h.batchId, reason: h.reason })) }
          : {}),
      },
      r.held.length > 0 ? 'held' : 'ok',
    );
    return r;
  } catch (err) {
    await failRun(db, runId, err);
    throw err;
  }
}
