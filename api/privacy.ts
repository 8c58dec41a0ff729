/**
 * The personal-data catalogue (pipeline/privacy) in the API: `redact(body, role, names)` for every
 * JSON body, and the PersonalDataGuard that keeps the matcher of person names the register knows
 * (legal representatives, person shareholders, the before / after of their changes), rebuilt
 * when a new ingest batch lands (checked at most once a second, in the background while a matcher
 * younger than a second is in hand).
 */
import type { Db } from '../pipeline/db/index.ts';
import { refreshAhead } from '../pipeline/refresh-ahead.ts';
import { nameMatcher, NO_NAMES, type NameMatcher } from '../pipeline/privacy/index.ts';

export interface PersonalDataGuard {
  /** Person names known to the register (for masking names inside free text). */
  names(): Promise<NameMatcher>;
}

const NAMES_SQL = `
SELECT DISTINCT n FROM (
  SELECT legal_rep AS n FROM registrations_history WHERE legal_rep IS NOT NULL
  UNION ALL
  SELECT trim(s.name) FROM (
    SELECT unnest(from_json(shareholders, '[{"name":"VARCHAR","kind":"VARCHAR"}]')) AS s
    FROM registrations_history WHERE shareholders IS NOT NULL)
  WHERE coalesce(s.kind, 'person') <> 'company' AND s.name IS NOT NULL
  UNION ALL
  SELECT "before" FROM registration_changes_history WHERE field IN ('legal_rep', 'shareholder') AND "before" IS NOT NULL
  UNION ALL
  SELECT "after" FROM registration_changes_history WHERE field IN ('legal_rep', 'shareholder') AND "after" IS NOT NULL)`;

const STAMP_SQL = `SELECT coalesce(max(batch_id), 0)::VARCHAR || ':' || count(*)::VARCHAR AS s FROM ingest_batches`;

export function createPersonalDataGuard(
  db: Db,
  log: (m: string, err?: unknown) => void,
  o: { ttlMs?: number; clock?: () => number } = {},
): PersonalDataGuard {
  let current: { stamp: string; m: NameMatcher } | undefined;
  const refresh = async (): Promise<NameMatcher> => {
    const stamp = (await db.one<{ s: string }>(STAMP_SQL))?.s ?? '';
    if (current?.stamp !== stamp) {
      const rows = await db.all<{ n: string }>(NAMES_SQL);
      current = { stamp, m: nameMatcher(rows.map((r) => r.n)) };
    }
    return current.m;
  };
  const failed = (err: unknown) => log('loading the person names for masking failed', err);
  // checked again in the background from ¾ of the TTL on: no request waits for the check
  const names = refreshAhead(refresh, {
    ttlMs: o.ttlMs ?? 1_000,
    ...(o.clock ? { now: o.clock } : {}),
    onError: failed,
  });
  return {
    names: () =>
      names.get().catch((err: unknown) => {
        failed(err);
        return current?.m ?? NO_NAMES;
      }),
  };
}
