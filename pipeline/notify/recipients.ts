/**
 * Who can receive a notification, and what each may see.
 *
 * A subscriber is a principal name: `user:<username>` for a dashboard user (its role and office
 * from api_users; a disabled user receives nothing), otherwise an API token's name (its role and
 * office from the newest active token of that name; when every token of the name is revoked or
 * expired it receives nothing). Roles and offices are read when a notification is made, never
 * copied into the subscription.
 *
 * Jurisdiction (issue 14, pipeline/jurisdictions): an account of an office sees that office's
 * subtree only. `restrictToJurisdiction` removes every candidate notification about an enterprise
 * whose office, as of the event's day, lies outside the recipient's subtree — the one rule the
 * API's lists follow too (officesAsOfSql: register, address changes, accepted referrals).
 */
import { literal, type Db } from '../db/index.ts';
import { ensureOffices, officeFactsSql, subtreeSql } from '../jurisdictions/index.ts';

/**
 * SQL of a relation (subscriber, role, jurisdiction) of every account that can receive at $now;
 * jurisdiction NULL = the whole tree (no office, or the tree's root).
 */
export const RECIPIENTS_SQL = `
  SELECT subscriber, role,
         CASE WHEN jurisdiction = (SELECT code FROM jurisdictions WHERE parent IS NULL LIMIT 1) THEN NULL
              ELSE jurisdiction END AS jurisdiction
    FROM (
      SELECT 'user:' || username AS subscriber, role, jurisdiction FROM api_users WHERE disabled_at IS NULL
      UNION ALL
      SELECT name AS subscriber, arg_max(role, token_id) AS role, arg_max(jurisdiction, token_id) AS jurisdiction
        FROM api_tokens
       WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $now::TIMESTAMPTZ)
         AND name NOT LIKE 'user:%'
       GROUP BY name)`;

/** SQL (subscriber, role, jurisdiction) of the recipients at `now`. */
export function recipientsSql(now: Date): string {
  return RECIPIENTS_SQL.replaceAll('$now', literal(now.toISOString()));
}

/**
 * Fills the temp table nt_sub (root, code): for every office of a recipient (nt_recipients), that
 * office and every office below it. An office the tree does not know has no row: its accounts see
 * nothing (fail closed).
 */
export async function recipientSubtrees(db: Db): Promise<void> {
  await db.run(`CREATE OR REPLACE TEMP TABLE nt_sub (root VARCHAR, code VARCHAR)`);
  const roots = await db.all<{ j: string }>(
    `SELECT DISTINCT jurisdiction AS j FROM nt_recipients WHERE jurisdiction IS NOT NULL ORDER BY j`,
  );
  for (const { j } of roots)
    await db.run(`INSERT INTO nt_sub SELECT ${literal(j)}, code FROM ${subtreeSql(literal(j))}`);
}

/**
 * Deletes from `table` (columns recipient_jurisdiction, uscc, day, kind, scope_office) the
 * candidates a scoped recipient may not see: an enterprise whose office on the event's day is
 * outside the recipient's subtree (nt_sub), or — for an event placed by an office rather than by
 * its enterprise (scope_office: a referral waits for its target office) — that office outside it;
 * and an event about no known enterprise (a keyword in an unlinked complaint), which only accounts
 * of the whole tree receive. Feed problems (kind batch) are about no enterprise and stay.
 */
export async function restrictToJurisdiction(db: Db, table: string): Promise<void> {
  const scoped = await db.one<{ n: number }>(
    `SELECT count(*)::INTEGER AS n FROM ${table} WHERE recipient_jurisdiction IS NOT NULL`,
  );
  if (!scoped || scoped.n === 0) return;
  await ensureOffices(db);
  // the office of each (enterprise, day) of the scoped candidates: the latest fact on or before
  // the day, as officesAsOfSql chooses it (valid_from, then pri), for every day at once
  await db.run(
    `CREATE OR REPLACE TEMP TABLE nt_scope_u AS
     SELECT DISTINCT uscc, day FROM ${table}
      WHERE recipient_jurisdiction IS NOT NULL AND uscc IS NOT NULL AND day IS NOT NULL AND scope_office IS NULL`,
  );
  await db.run(
    `CREATE OR REPLACE TEMP TABLE nt_office AS
     SELECT u.uscc, u.day, arg_max(f.office, (f.valid_from, f.pri)) AS office
       FROM nt_scope_u u JOIN ${officeFactsSql({ relation: 'nt_scope_u' })} f
         ON f.uscc = u.uscc AND f.valid_from <= u.day
      GROUP BY u.uscc, u.day`,
  );
  await db.run(
    `DELETE FROM ${table} c
      WHERE c.recipient_jurisdiction IS NOT NULL AND c.kind <> 'batch'
        AND NOT EXISTS (
          SELECT 1 FROM nt_sub s
           WHERE s.root = c.recipient_jurisdiction
             AND s.code = coalesce(c.scope_office,
                   (SELECT o.office FROM nt_office o WHERE o.uscc = c.uscc AND o.day = c.day)))`,
  );
}
