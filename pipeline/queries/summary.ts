/**
 * A day's list in numbers — scored, listed per level, changes since the previous list — for the
 * whole tree or for some offices (their enterprises as of that day).
 */
import { z } from 'zod';
import type { Db } from '../db/index.ts';
import { officesAsOfSql } from '../jurisdictions/index.ts';

const Count = z.number().int();

export const ListSummary = z.object({
  day: z.string(),
  revision: z.number().int(),
  published_at: z.string(),
  scorer: z.string(),
  model_version: z.number().int().nullable(),
  fallback: z.string().nullable().meta({
    description:
      'why the rule index ranked although a model was active (the model failed), if it did',
  }),
  enterprises: Count.meta({ description: 'enterprises scored' }),
  listed: Count,
  red: Count,
  orange: Count,
  yellow: Count,
  new: Count.meta({ description: 'listed, not on the previous list' }),
  level_up: Count,
  level_down: Count,
  dropped: Count.meta({ description: 'on the previous list, not on this one' }),
});
export type ListSummary = z.output<typeof ListSummary>;

/**
 * The current revision of `day` (default: the latest day with a list) in numbers, or undefined
 * when the day has no list.
 */
export async function listSummary(
  db: Db,
  day: string | undefined,
  offices: readonly string[] | null = null,
): Promise<ListSummary | undefined> {
  const scoped = offices !== null;
  return db.one<ListSummary>(
    `WITH r AS (SELECT * FROM list_revisions WHERE day = coalesce($d::DATE, (SELECT max(day) FROM list_revisions))
                ORDER BY revision DESC LIMIT 1),
     e0 AS (SELECT e.uscc, e.level FROM list_entries e JOIN r USING (day, revision)),
     c0 AS (SELECT l.uscc, l.change FROM list_changes l JOIN r USING (day, revision)),
     ids AS (SELECT uscc FROM e0 UNION SELECT uscc FROM c0),
     mine AS ${
       scoped
         ? `(SELECT uscc FROM ${officesAsOfSql({ relation: 'ids' }, '(SELECT day FROM r)')}
             WHERE list_contains(from_json($offices, '["VARCHAR"]'), office))`
         : '(SELECT uscc FROM ids)'
     },
     e AS (SELECT * FROM e0 SEMI JOIN mine USING (uscc)),
     c AS (SELECT change, count(*)::INTEGER AS n FROM c0 SEMI JOIN mine USING (uscc) GROUP BY change)
     SELECT r.day::VARCHAR AS day, r.revision::INTEGER AS revision,
            strftime(r.published_at AT TIME ZONE 'Asia/Shanghai', '%Y-%m-%d %H:%M') AS published_at,
            r.scorer, r.model_version::INTEGER AS model_version,
            (SELECT n.fallback FROM list_revision_notes n WHERE n.day = r.day AND n.revision = r.revision) AS fallback,
            ${
              scoped
                ? `(SELECT count(*) FROM e)::INTEGER AS enterprises,
            (SELECT count(level) FROM e)::INTEGER AS listed,
            (SELECT count(*) FILTER (WHERE level = 'red') FROM e)::INTEGER AS red,
            (SELECT count(*) FILTER (WHERE level = 'orange') FROM e)::INTEGER AS orange,
            (SELECT count(*) FILTER (WHERE level = 'yellow') FROM e)::INTEGER AS yellow,`
                : `r.enterprises::INTEGER AS enterprises, r.listed::INTEGER AS listed, r.red::INTEGER AS red,
            r.orange::INTEGER AS orange, r.yellow::INTEGER AS yellow,`
            }
            coalesce((SELECT n FROM c WHERE change = 'new'), 0) AS new,
            coalesce((SELECT n FROM c WHERE change = 'level_up'), 0) AS level_up,
            coalesce((SELECT n FROM c WHERE change = 'level_down'), 0) AS level_down,
            coalesce((SELECT n FROM c WHERE change = 'dropped'), 0) AS dropped
     FROM r`,
    { d: day ?? null, ...(scoped ? { offices: JSON.stringify(offices) } : {}) },
  );
}
