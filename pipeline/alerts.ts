/** A day's published list (its current revision) with names, for `dafei alerts` and exports. */
import type { Db } from './db/index.ts';

export interface AlertLine {
  date: string;
  revision: number;
  rank: number;
  uscc: string;
  name: string | null;
  district: string | null;
  score: number;
  level: string;
  rule_score: number;
  reasons: string[];
}

export async function listAlerts(db: Db, day: string, limit?: number): Promise<AlertLine[]> {
  const rows = await db.all<Omit<AlertLine, 'reasons'> & { reasons: string | null }>(
    `WITH rev AS (SELECT max(revision) AS r FROM list_revisions WHERE day = $d::DATE),
     reg AS (
       SELECT uscc, name, district FROM registrations WHERE as_of <= $d::DATE
       QUALIFY row_number() OVER (PARTITION BY uscc ORDER BY as_of DESC) = 1
     )
     SELECT e.day::VARCHAR AS date, e.revision, e.rank, e.uscc, reg.name, reg.district, e.score, e.level,
            e.rule_score, e.reasons::VARCHAR AS reasons
     FROM list_entries e JOIN rev ON e.revision = rev.r LEFT JOIN reg USING (uscc)
     WHERE e.day = $d::DATE AND e.level IS NOT NULL
     ORDER BY e.rank
     LIMIT $limit`,
    { d: day, limit: limit ?? 1_000_000 },
  );
  return rows.map((r) => ({
    ...r,
    reasons: r.reasons ? (JSON.parse(r.reasons) as { text: string }[]).map((x) => x.text) : [],
  }));
}

export async function hasList(db: Db, day: string): Promise<boolean> {
  return (await db.one(`SELECT 1 AS x FROM list_revisions WHERE day = $d::DATE LIMIT 1`, { d: day })) !== undefined;
}
