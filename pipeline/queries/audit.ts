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
  await db.run(
    `INSERT INTO audit_log (logged_at, actor, role, action, target, status, detail)
     VALUES ($at::TIMESTAMPTZ, $actor, $role, $action, $target, $status, $detail::JSON)`,
    {
      at: (e.at ?? new Date()).toISOString(),
      actor: e.actor,
      role: e.role,
      action: e.action,
      target: e.target,
      status: e.status ?? null,
      detail: e.detail === undefined ? null : JSON.stringify(e.detail),
    },
  );
}

/** Several entries in one INSERT (the SQL's shape depends only on their number). */
export async function writeAudits(db: Db, entries: readonly AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  if (entries.length === 1) return writeAudit(db, entries[0]!);
  const params: Record<string, string | number | null> = {};
  const rows = entries.map((e, i) => {
    params[`at${i}`] = (e.at ?? new Date()).toISOString();
    params[`ac${i}`] = e.actor;
    params[`ro${i}`] = e.role;
    params[`an${i}`] = e.action;
    params[`ta${i}`] = e.target;
    params[`st${i}`] = e.status ?? null;
    params[`de${i}`] = e.detail === undefined ? null : JSON.stringify(e.detail);
    return `($at${i}::TIMESTAMPTZ, $ac${i}, $ro${i}, $an${i}, $ta${i}, $st${i}::INTEGER, $de${i}::JSON)`;
  });
  await db.run(
    `INSERT INTO audit_log (logged_at, actor, role, action, target, status, detail) VALUES ${rows.join(', ')}`,
    params,
  );
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
