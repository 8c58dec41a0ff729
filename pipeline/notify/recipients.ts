/**
 * Who can receive a notification, and what each may see.
 *
 * A subscriber is a principal name: `user:<username>` for a dashboard user (its role from
 * api_users; a disabled user receives nothing), otherwise an API token's name (its role from the
 * newest active token of that name; when every token of the name is revoked or expired it receives
 * nothing). Roles are read when a notification is made, never copied into the subscription.
 *
 * Jurisdiction: `jurisdiction` is the subtree the account may see (NULL = the whole tree), and
 * `restrictToJurisdiction` removes the candidate notifications about enterprises outside it, as of
 * the event's day. These two are the one seam where notifications meet the office model.
 */
import type { Db } from '../db/index.ts';

/** SQL of a relation (subscriber, role, jurisdiction) of every account that can receive at $now. */
export const RECIPIENTS_SQL = `
  SELECT 'user:' || username AS subscriber, role, NULL::VARCHAR AS jurisdiction
    FROM api_users WHERE disabled_at IS NULL
  UNION ALL
  SELECT name AS subscriber, arg_max(role, token_id) AS role, NULL::VARCHAR AS jurisdiction
    FROM api_tokens
   WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $now::TIMESTAMPTZ)
     AND name NOT LIKE 'user:%'
   GROUP BY name`;

/**
 * Deletes from `table` (columns recipient_jurisdiction, uscc, day, kind) the candidates the
 * recipient may not see: an enterprise outside the recipient's subtree on the event's day, and
 * any event about no known enterprise (an unlinked complaint) for an account below the top.
 */
export async function restrictToJurisdiction(db: Db, table: string): Promise<void> {
  const scoped = await db.one<{ n: number }>(
    `SELECT count(*)::INTEGER AS n FROM ${table} WHERE recipient_jurisdiction IS NOT NULL`,
  );
  if (!scoped || scoped.n === 0) return;
  await db.run(
    `DELETE FROM ${table} WHERE recipient_jurisdiction IS NOT NULL AND kind <> 'batch' AND uscc IS NULL`,
  );
  throw new Error('jurisdiction scoping needs the office model (issue 14)');
}
