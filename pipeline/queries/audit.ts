/** The audit log: who read or changed what, when. Append-only. */
import type { Db } from '../db/index.ts';

export interface AuditEntry {
  actor: string;
  role: string | null;
  action: string;
  target: string | null;
  status?: number;
  detail?: Record<string, unknown>;
  at?: Date;
}

export async function writeAudit(db: Db, e: AuditEntry): Promise<void> {
  await writeAudits(db, [e]);
}

/**
 * Several entries in one INSERT. The entries travel as one JSON parameter, so the statement has
 * one shape whatever their number (prepared once per connection, see pipeline/db).
 */
const INSERT_MANY_SQL = `
INSERT INTO audit_log (logged_at, actor, role, action, target, status, detail)
SELECT e.at::TIMESTAMPTZ, e.actor, e.role, e.action, e.target, e.status, e.detail::JSON
FROM (SELECT unnest(from_json($entries::VARCHAR,
  '[{"at":"VARCHAR","actor":"VARCHAR","role":"VARCHAR","action":"VARCHAR","target":"VARCHAR","status":"INTEGER","detail":"VARCHAR"}]')) AS e)`;

export async function writeAudits(db: Db, entries: readonly AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await db.run(INSERT_MANY_SQL, {
    entries: JSON.stringify(
      entries.map((e) => ({
        at: (e.at ?? new Date()).toISOString(),
        actor: e.actor,
        role: e.role,
        action: e.action,
        target: e.target,
        status: e.status ?? null,
        detail: e.detail === undefined ? null : JSON.stringify(e.detail),
      })),
    ),
  });
}

export interface AuditRow {
  audit_id: number;
  at: string;
  actor: string;
  role: string | null;
  action: string;
  target: string | null;
  status: number | null;
  detail: unknown;
}

export interface ListAuditOptions {
  actor?: string;
  action?: string;
  target?: string;
  /** audit_id of the last row of the previous page (newest first). */
  before?: number;
  limit: number;
}

export async function listAudit(
  db: Db,
  o: ListAuditOptions,
): Promise<{ items: AuditRow[]; has_more: boolean }> {
  const rows = await db.all<AuditRow & { detail: string | null }>(
    `SELECT audit_id::INTEGER AS audit_id, logged_at::VARCHAR AS at, actor, role, action, target, status, detail::VARCHAR AS detail
     FROM audit_log
     WHERE ($actor::VARCHAR IS NULL OR actor = $actor::VARCHAR)
       AND ($action::VARCHAR IS NULL OR action = $action::VARCHAR)
       AND ($target::VARCHAR IS NULL OR target = $target::VARCHAR)
       AND ($before::BIGINT IS NULL OR audit_id < $before::BIGINT)
     ORDER BY audit_id DESC LIMIT $take`,
    {
      actor: o.actor ?? null,
      action: o.action ?? null,
      target: o.target ?? null,
      before: o.before ?? null,
      take: o.limit + 1,
    },
  );
  return {
    items: rows
      .slice(0, o.limit)
      .map((r) => ({ ...r, detail: r.detail ? (JSON.parse(r.detail) as unknown) : null })),
    has_more: rows.length > o.limit,
  };
}
