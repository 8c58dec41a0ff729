/**
 * A drop-folder file that cannot be read at all (corrupt gzip, a CSV header without a required
 * column, over a size limit) is moved aside into `<folder>/.rejected/` with a `.reason.txt` beside
 * it, and remembered in `rejected_files`, so that it never blocks the files after it and is never
 * taken again. When it cannot be moved (a read-only folder), it stays but is still never taken again.
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from '../db/index.ts';
import type { Input } from './sources.ts';

export const REJECTED_DIR = '.rejected';

export interface RejectedFile {
  file: string;
  /** Where it was moved, or null when it could not be moved. */
  movedTo: string | null;
  reason: string;
  batchId: number;
}

function freeName(dir: string, name: string): string {
  if (!existsSync(join(dir, name))) return join(dir, name);
  for (let i = 1; ; i++) {
    const candidate = join(dir, `${name}.${i}`);
    if (!existsSync(candidate)) return candidate;
  }
}

export async function rejectFile(
  db: Db,
  input: Input,
  err: Error,
  at: Date,
): Promise<RejectedFile> {
  const f = input.folderFile!;
  const reason = err.message.replace(/^\[ingest:[a-z_]+\] /, '');
  let movedTo: string | null = null;
  try {
    const dir = join(f.folder, REJECTED_DIR);
    mkdirSync(dir, { recursive: true });
    const target = freeName(dir, f.fileName);
    renameSync(input.name, target);
    writeFileSync(
      `${target}.reason.txt`,
      `${f.fileName} (sha256 ${f.sha256}, ${f.size} bytes) was not ingested on ${at.toISOString()}:\n${reason}\n`,
    );
    movedTo = target;
  } catch {
    // cannot move it (read-only folder): rejected_files still keeps it from being taken again
  }
  // the failed batch recorded for this file (ingest.ts recordFailure)
  const batch = await db.one<{ id: number }>(
    `SELECT max(batch_id)::INTEGER AS id FROM ingest_batches WHERE source = $s AND status = 'failed'`,
    { s: input.name },
  );
  const batchId = batch?.id ?? 0;
  await db.run(
    `INSERT INTO rejected_files VALUES ($folder, $file, $sha, $size, $moved, $reason, $batch, $at::TIMESTAMPTZ)`,
    {
      folder: f.folder,
      file: f.fileName,
      sha: f.sha256,
      size: f.size,
      moved: movedTo,
      reason,
      batch: batchId,
      at: at.toISOString(),
    },
  );
  return { file: f.fileName, movedTo, reason, batchId };
}
