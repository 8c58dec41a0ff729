import type { Db } from '../db/index.ts';
import { computeFeatures, dataFingerprint } from '../features/compute.ts';

/**
 * Makes sure `feature_values` holds every day of `days`, computed on the data as it is now
 * (a day whose data fingerprint changed since it was computed is computed again); returns how many
 * days it computed.
 */
export async function ensureFeatures(
  db: Db,
  days: readonly string[],
  onDay?: (day: string, i: number, n: number) => void,
): Promise<number> {
  const known = new Map(
    (
      await db.all<{ d: string; f: string }>(
        `SELECT as_of::VARCHAR AS d, fingerprint AS f FROM feature_days`,
      )
    ).map((r) => [r.d, r.f]),
  );
  let i = 0;
  let computed = 0;
  for (const day of days) {
    onDay?.(day, i++, days.length);
    const now = await dataFingerprint(db, day);
    if (known.get(day) === now) continue;
    await computeFeatures(db, day, now);
    computed++;
  }
  return computed;
}
