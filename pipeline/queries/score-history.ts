/**
 * Scores over time per enterprise (the `score` events of a timeline), from the read model
 * api_score_history (0006) when it is fresh, else straight from list_entries (a full scan).
 */
import type { Db } from '../db/index.ts';
import {
  createReadModelKeeper,
  readModelFresh,
  rebuildReadModel,
  type ReadModelKeeper,
  type StampedReadModel,
} from './read-model.ts';

const STAMP_SQL = `SELECT count(*) || ':' || coalesce(max(published_at)::VARCHAR, '') FROM list_revisions`;

const MODEL: StampedReadModel = {
  table: 'api_score_history',
  stampSql: STAMP_SQL,
  buildSql: `WITH cur AS (SELECT day, max(revision) AS revision FROM list_revisions GROUP BY day)
       SELECT e.uscc, to_json(list({'day': e.day::VARCHAR, 'revision': e.revision, 'rank': e.rank, 'score': e.score, 'level': e.level} ORDER BY e.day))
       FROM list_entries e JOIN cur ON cur.day = e.day AND cur.revision = e.revision
       GROUP BY e.uscc ORDER BY e.uscc`,
};

/** Whether the read model reflects the published lists as they are now. */
export const scoreHistoryFresh = (db: Db): Promise<boolean> => readModelFresh(db, MODEL);

/** Rebuilds api_score_history (see rebuildReadModel); returns seconds taken. */
export const rebuildScoreHistory = (db: Db): Promise<number> => rebuildReadModel(db, MODEL);

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
