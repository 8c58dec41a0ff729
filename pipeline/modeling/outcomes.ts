import type { Db } from '../db/index.ts';
import { addDays } from './days.ts';

/** First `confirmed` decision per enterprise, among decisions made on or before `until`. */
export async function confirmedOn(db: Db, until: string): Promise<Map<string, string>> {
  const rows = await db.all<{ uscc: string; d: string }>(
    `SELECT uscc, min(decided_on)::VARCHAR AS d FROM case_outcomes
     WHERE outcome = 'confirmed' AND decided_on <= $until::DATE GROUP BY uscc ORDER BY uscc`,
    { until },
  );
  return new Map(rows.map((r) => [r.uscc, r.d]));
}

/**
 * The label of an example (enterprise, asOf): 1 when confirmed with decided_on in
 * (asOf, asOf + horizon] (decisions after `until` are unknown and count 0); null when it was
 * already confirmed on or before asOf (not an example).
 */
export function labelOf(
  confirmed: Map<string, string>,
  uscc: string,
  asOf: string,
  horizon: number,
): 0 | 1 | null {
  const d = confirmed.get(uscc);
  if (d === undefined) return 0;
  if (d <= asOf) return null;
  return d <= addDays(asOf, horizon) ? 1 : 0;
}
