/**
 * Who can receive a notification, and what each may see.
 *
 * A subscriber is a principal name: `user:<username>` for a dashboard user (its role from
 * api_users; a disabled user receives nothing), otherwise an API token's name (its role from the
 * newest active token of that name; when every token of the name is revoked or expired it receives
 * nothing). Roles are read when a notification is made, never copied into the subscription.
 *
 * Jurisdiction: an account may belong to an office and then sees that office's subtree only. The
 * office model (issue 14: pipeline/jurisdictions) reaches notifications through the smallest
 * interface, `OfficeModel` — which office each account belongs to, which office an enterprise
 * belongs to as of a day, and an office's subtree — and `restrictToJurisdiction` removes every
 * candidate notification about an enterprise outside the recipient's subtree on the event's day.
 * Without an office model every account sees the whole tree, as before offices existed.
 */
import { literal, type Db } from '../db/index.ts';

/** SQL of a relation (subscriber, role) of every account that can receive at $now. */
export const RECIPIENTS_SQL = `
  SELECT 'user:' || username AS subscriber, role FROM api_users WHERE disabled_at IS NULL
  UNION ALL
  SELECT name AS subscriber, arg_max(role, token_id) AS role FROM api_tokens
   WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $now::TIMESTAMPTZ)
     AND name NOT LIKE 'user:%'
   GROUP BY name`;

/** The office model as notifications need it; every member returns a SQL subquery. */
export interface OfficeModel {
  /** (subscriber, jurisdiction): the office of each account (NULL = the whole tree). */
  accountOfficesSql(): string;
  /** (uscc, office): the office of each enterprise of `relation` (a uscc column) as of `day` (a SQL DATE). */
  officesAsOfSql(relation: string, day: string): string;
  /** (code): office `code` (a SQL expression) and every office below it. */
  subtreeSql(code: string): string;
}

let installed: OfficeModel | undefined;

/** Sets the office model every screening uses by default (the jurisdictions module, at start). */
export function useOfficeModel(model: OfficeModel | undefined): void {
  installed = model;
}

export function officeModel(): OfficeModel | undefined {
  return installed;
}

/** SQL (subscriber, role, jurisdiction) of the recipients, with their offices when there is a model. */
export function recipientsSql(model: OfficeModel | undefined, now: Date): string {
  const base = RECIPIENTS_SQL.replaceAll('$now', literal(now.toISOString()));
  if (!model) return `SELECT subscriber, role, NULL::VARCHAR AS jurisdiction FROM (${base})`;
  return `SELECT r.subscriber, r.role, o.jurisdiction
            FROM (${base}) r LEFT JOIN ${model.accountOfficesSql()} o USING (subscriber)`;
}

/**
 * Deletes from `table` (columns recipient_jurisdiction, uscc, day, kind) the candidates a scoped
 * recipient may not see: an enterprise outside the recipient's subtree on the event's day, and an
 * event about no known enterprise (a keyword in an unlinked complaint), which only accounts of the
 * whole tree receive. Feed problems (kind batch) are about no enterprise and stay.
 */
export async function restrictToJurisdiction(
  db: Db,
  table: string,
  model: OfficeModel | undefined,
): Promise<void> {
  if (!model) return;
  const days = await db.all<{ d: string }>(
    `SELECT DISTINCT day::VARCHAR AS d FROM ${table}
      WHERE recipient_jurisdiction IS NOT NULL AND uscc IS NOT NULL AND day IS NOT NULL`,
  );
  const roots = await db.all<{ j: string }>(
    `SELECT DISTINCT recipient_jurisdiction AS j FROM ${table} WHERE recipient_jurisdiction IS NOT NULL`,
  );
  if (roots.length === 0) return;
  await db.run(
    `CREATE OR REPLACE TEMP TABLE nt_office (uscc VARCHAR, day DATE, office VARCHAR);
     CREATE OR REPLACE TEMP TABLE nt_sub (root VARCHAR, code VARCHAR);`,
  );
  for (const { d } of days) {
    await db.run(
      `CREATE OR REPLACE TEMP TABLE nt_scope_u AS
       SELECT DISTINCT uscc FROM ${table}
        WHERE day = ${literal(d)}::DATE AND uscc IS NOT NULL AND recipient_jurisdiction IS NOT NULL`,
    );
    await db.run(
      `INSERT INTO nt_office SELECT uscc, ${literal(d)}::DATE, office
         FROM ${model.officesAsOfSql('nt_scope_u', `${literal(d)}::DATE`)}`,
    );
  }
  for (const { j } of roots)
    await db.run(
      `INSERT INTO nt_sub SELECT ${literal(j)}, code FROM ${model.subtreeSql(literal(j))}`,
    );
  await db.run(
    `DELETE FROM ${table} c
      WHERE c.recipient_jurisdiction IS NOT NULL AND c.kind <> 'batch'
        AND NOT EXISTS (
          SELECT 1 FROM nt_office o JOIN nt_sub s ON s.code = o.office
           WHERE o.uscc = c.uscc AND o.day = c.day AND s.root = c.recipient_jurisdiction)`,
  );
}
