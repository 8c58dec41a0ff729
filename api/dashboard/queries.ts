/**
 * The few reads the API has no route for, all without personal fields or enterprises: the days
 * that have a list, the districts, and one enterprise's daily series of score, ads and complaints
 * (for the chart). Callers check access through the API first. (A day's counts come from
 * GET /v1/summary: they depend on the caller's area.)
 */
import type { Db } from '../../pipeline/db/index.ts';
import type { SummaryOfArea } from '../routes/workflow.ts';

export async function listDays(db: Db, limit = 400): Promise<string[]> {
  const rows = await db.all<{ d: string }>(
    `SELECT DISTINCT day::VARCHAR AS d FROM list_revisions ORDER BY d DESC LIMIT $n`,
    { n: limit },
  );
  return rows.map((r) => r.d);
}

/** A day's list in numbers, as GET /v1/summary answers. */
export type DaySummary = SummaryOfArea;

export async function listDistricts(db: Db): Promise<string[]> {
  const rows = await db.all<{ d: string }>(
    `SELECT DISTINCT district AS d FROM registrations WHERE district IS NOT NULL AND district <> '' ORDER BY d LIMIT 200`,
  );
  return rows.map((r) => r.d);
}

export interface SeriesRow {
  day: string;
  score: number | null;
  level: string | null;
  ads: number;
  complaints: number;
}

/**
 * Day by day in (to − days, to]: the enterprise's score on that day's current list revision (null
 * when it was not scored), and its ads and complaints (linked by resolution or by USCC, as the
 * evidence is).
 */
export async function entitySeries(
  db: Db,
  uscc: string,
  to: string,
  days: number,
): Promise<SeriesRow[]> {
  return db.all<SeriesRow & Record<string, unknown>>(
    `WITH d AS (SELECT unnest(generate_series($to::DATE - ($n::INTEGER - 1), $to::DATE, INTERVAL 1 DAY))::DATE AS day),
     s AS (
       SELECT e.day, e.score, e.level FROM list_entries e
       WHERE e.uscc = $u AND e.day > $to::DATE - $n::INTEGER AND e.day <= $to::DATE
       QUALIFY e.revision = max(e.revision) OVER (PARTITION BY e.day)
     ),
     a AS (
       SELECT a.seen_day AS day, count(*)::INTEGER AS n FROM ads a
       WHERE (a.advertiser_uscc = $u OR a.ad_id IN (SELECT record_id FROM entity_links WHERE kind = 'ad' AND status = 'linked' AND uscc = $u))
         AND a.seen_day > $to::DATE - $n::INTEGER AND a.seen_day <= $to::DATE
       GROUP BY 1
     ),
     c AS (
       SELECT c.received_day AS day, count(*)::INTEGER AS n FROM complaints c
       WHERE (c.target_uscc = $u OR c.complaint_id IN (SELECT record_id FROM entity_links WHERE kind = 'complaint' AND status = 'linked' AND uscc = $u))
         AND c.received_day > $to::DATE - $n::INTEGER AND c.received_day <= $to::DATE
       GROUP BY 1
     )
     SELECT d.day::VARCHAR AS day, s.score, s.level, coalesce(a.n, 0) AS ads, coalesce(c.n, 0) AS complaints
     FROM d LEFT JOIN s USING (day) LEFT JOIN a USING (day) LEFT JOIN c USING (day)
     ORDER BY d.day`,
    { u: uscc, to, n: days },
  );
}
