/**
 * Scores over time per enterprise (the `score` events of a timeline), from the read model
 * api_score_history (0006, one row per enterprise and month since 0012) when it is fresh, else
 * straight from list_entries (a full scan).
 */
import type { Db } from '../db/index.ts';
import { createReadModelKeeper, type ReadModelKeeper } from './read-model.ts';

/**
 * Days whose current revision is not the one the read model reflects (new days, re-published days),
 * and days the read model holds that no longer have a list.
 */
const CHANGED_DAYS_SQL = `
  WITH cur AS (SELECT day, max(revision) AS revision FROM list_revisions GROUP BY day)
  SELECT coalesce(c.day, d.day) AS day, c.revision
  FROM cur c FULL JOIN api_score_history_days d ON d.day = c.day
  WHERE c.revision IS DISTINCT FROM d.revision`;

/** Whether the read model reflects the published lists as they are now. */
export async function scoreHistoryFresh(db: Db): Promise<boolean> {
  const r = await db.one<{ stale: boolean }>(`SELECT EXISTS (${CHANGED_DAYS_SQL}) AS stale`);
  return r?.stale === false;
}

/**
 * Brings api_score_history up to date incrementally, in one transaction: only the months holding a
 * day whose current revision changed are rebuilt (one row per enterprise and month), so a daily
 * publication costs one month of scores, however many days are kept. An empty read model is
 * built whole the same way. Returns seconds taken.
 */
export async function rebuildScoreHistory(db: Db): Promise<number> {
  const t0 = performance.now();
  await db.transaction(async (tx) => {
    await tx.run(`CREATE OR REPLACE TEMP TABLE _score_days AS ${CHANGED_DAYS_SQL}`);
    await tx.run(
      `CREATE OR REPLACE TEMP TABLE _score_months AS
       SELECT DISTINCT date_trunc('month', day)::DATE AS month FROM _score_days`,
    );
    await tx.run(
      `DELETE FROM api_score_history WHERE month IN (SELECT month FROM _score_months) OR month IS NULL`,
    );
    await tx.run(
      `INSERT INTO api_score_history (uscc, scores, month)
       WITH cur AS (SELECT day, max(revision) AS revision FROM list_revisions
                    WHERE date_trunc('month', day)::DATE IN (SELECT month FROM _score_months) GROUP BY day)
       SELECT e.uscc,
              to_json(list({'day': e.day::VARCHAR, 'revision': e.revision, 'rank': e.rank, 'score': e.score, 'level': e.level} ORDER BY e.day)),
              date_trunc('month', e.day)::DATE AS month
       FROM list_entries e JOIN cur ON cur.day = e.day AND cur.revision = e.revision
       GROUP BY e.uscc, month ORDER BY e.uscc, month`,
    );
    await tx.run(`DELETE FROM api_score_history_days WHERE day IN (SELECT day FROM _score_days)`);
    await tx.run(
      `INSERT INTO api_score_history_days SELECT day, revision FROM _score_days WHERE revision IS NOT NULL`,
    );
    await tx.run(`DROP TABLE _score_days`);
    await tx.run(`DROP TABLE _score_months`);
  });
  return (performance.now() - t0) / 1000;
}

/** SQL for the (day, revision, rank, score, level) rows of `$u`, fresh read model or not. */
export function scoreRowsSql(fresh: boolean): string {
  return fresh
    ? `SELECT s.day::DATE AS day, s.revision::INTEGER AS revision, s.rank::INTEGER AS rank, s.score::DOUBLE AS score, s.level::VARCHAR AS level
       FROM (SELECT unnest(from_json(scores, '[{"day":"VARCHAR","revision":"INTEGER","rank":"INTEGER","score":"DOUBLE","level":"VARCHAR"}]')) AS s
             FROM api_score_history WHERE uscc = $u)`
    : `SELECT e.day, e.revision, e.rank, e.score, e.level FROM list_entries e WHERE e.uscc = $u
       QUALIFY e.revision = max(e.revision) OVER (PARTITION BY e.day)`;
}

export type ScoreHistoryKeeper = ReadModelKeeper;

/** Keeps api_score_history fresh (see createReadModelKeeper): a publish shows within a second. */
export function createScoreHistoryKeeper(
  db: Db,
  log: (m: string, err?: unknown) => void,
): ScoreHistoryKeeper {
  return createReadModelKeeper(
    db,
    { name: 'api_score_history', fresh: scoreHistoryFresh, rebuild: rebuildScoreHistory },
    log,
  );
}
