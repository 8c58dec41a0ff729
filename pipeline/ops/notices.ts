/**
 * Notices for admins: what went wrong that a person must see — a list published with the rule
 * index because the model failed, a day that failed after every retry, a failed backup. Shown on
 * the 运行 page and in GET /v1/runs until resolved. One open notice per (kind, subject).
 */
import type { Db } from '../db/index.ts';

export type NoticeKind = 'model_fallback' | 'run_failed' | 'backup_failed' | 'retention_failed';

export interface Notice {
  notice_id: number;
  raised_at: string;
  level: 'warning' | 'error';
  kind: NoticeKind;
  subject: string | null;
  message: string;
}

/** Raises a notice, or refreshes the open one of the same kind and subject. */
export async function raiseNotice(
  db: Db,
  n: { level: Notice['level']; kind: NoticeKind; subject: string | null; message: string },
): Promise<void> {
  const open = await db.one<{ id: number }>(
    `SELECT notice_id::INTEGER AS id FROM ops_notices
     WHERE kind = $kind AND subject IS NOT DISTINCT FROM $subject AND resolved_at IS NULL LIMIT 1`,
    { kind: n.kind, subject: n.subject },
  );
  if (open) {
    await db.run(
      `UPDATE ops_notices SET message = $message, level = $level, raised_at = now() WHERE notice_id = $id`,
      { id: open.id, message: n.message, level: n.level },
    );
    return;
  }
  await db.run(
    `INSERT INTO ops_notices (raised_at, level, kind, subject, message) VALUES (now(), $level, $kind, $subject, $message)`,
    n,
  );
}

/** Resolves the open notices of a kind and subject (e.g. the day ran fine later). */
export async function resolveNotices(
  db: Db,
  kind: NoticeKind,
  subject: string | null,
  by: string,
): Promise<number> {
  const rows = await db.all(
    `UPDATE ops_notices SET resolved_at = now(), resolved_by = $by
     WHERE kind = $kind AND subject IS NOT DISTINCT FROM $subject AND resolved_at IS NULL RETURNING notice_id`,
    { kind, subject, by },
  );
  return rows.length;
}

/** Resolves one notice by id (an admin acknowledges it). */
export async function resolveNotice(db: Db, id: number, by: string): Promise<boolean> {
  const rows = await db.all(
    `UPDATE ops_notices SET resolved_at = now(), resolved_by = $by WHERE notice_id = $id AND resolved_at IS NULL RETURNING notice_id`,
    { id, by },
  );
  return rows.length === 1;
}

/** Open notices, newest first. */
export async function openNotices(db: Db, limit = 50): Promise<Notice[]> {
  return db.all<Notice>(
    `SELECT notice_id::INTEGER AS notice_id, raised_at::VARCHAR AS raised_at, level, kind, subject, message
     FROM ops_notices WHERE resolved_at IS NULL ORDER BY raised_at DESC, notice_id DESC LIMIT $n`,
    { n: limit },
  );
}
