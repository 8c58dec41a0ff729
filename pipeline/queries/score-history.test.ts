/**
 * api_score_history is updated incrementally: a publication rebuilds only the month of its day
 * (the other months' rows are left as they are, same row ids), and the result equals a build from
 * scratch.
 */
import { describe, expect, it } from 'vitest';
import { withDb, type Db } from '../db/index.ts';
import type { ScoredRow } from '../modeling/score.ts';
import { publishList } from '../publish.ts';
import { rebuildScoreHistory, scoreHistoryFresh } from './score-history.ts';

const rows = (seed: number): ScoredRow[] =>
  Array.from({ length: 6 }, (_, i) => ({
    uscc: `U${(i + seed) % 6}`,
    score: 1 - i / 10,
    rule: 0.5,
    level: i === 0 ? ('red' as const) : null,
  })) as unknown as ScoredRow[];

const publish = (db: Db, day: string, seed: number, fp = 'a') =>
  publishList(db, {
    day,
    scorer: 'rules',
    modelVersion: null,
    dataFingerprint: fp,
    rows: rows(seed),
  });

const content = (db: Db) =>
  db.all(
    `SELECT uscc, month::VARCHAR AS month, scores::VARCHAR AS scores FROM api_score_history ORDER BY uscc, month`,
  );
const rowIds = async (db: Db, month: string) =>
  (
    await db.all<{ id: string }>(
      `SELECT rowid::VARCHAR AS id FROM api_score_history WHERE month = $m::DATE ORDER BY uscc`,
      { m: month },
    )
  ).map((r) => r.id);

describe('api_score_history', () => {
  it('rebuilds only the months whose days changed, and equals a build from scratch', async () => {
    await withDb(async (db) => {
      await publish(db, '2026-01-30', 0);
      await publish(db, '2026-01-31', 1);
      await publish(db, '2026-02-01', 2);
      expect(await scoreHistoryFresh(db)).toBe(false);
      await rebuildScoreHistory(db);
      expect(await scoreHistoryFresh(db)).toBe(true);
      const january = await rowIds(db, '2026-01-01');
      expect(january).toHaveLength(6);
      const february = await rowIds(db, '2026-02-01');

      // a new day in February, and a re-published (corrected) day in February
      await publish(db, '2026-02-02', 3);
      await publish(db, '2026-02-01', 4, 'corrected');
      expect(await scoreHistoryFresh(db)).toBe(false);
      await rebuildScoreHistory(db);
      expect(await scoreHistoryFresh(db)).toBe(true);
      expect(await rowIds(db, '2026-01-01')).toEqual(january); // untouched
      expect(await rowIds(db, '2026-02-01')).not.toEqual(february);
      expect(
        await db.all(
          `SELECT day::VARCHAR AS day, revision FROM api_score_history_days ORDER BY day`,
        ),
      ).toEqual([
        { day: '2026-01-30', revision: 1 },
        { day: '2026-01-31', revision: 1 },
        { day: '2026-02-01', revision: 2 },
        { day: '2026-02-02', revision: 1 },
      ]);

      const incremental = await content(db);
      await db.run(`DELETE FROM api_score_history; DELETE FROM api_score_history_days`);
      await rebuildScoreHistory(db);
      expect(await content(db)).toEqual(incremental);
      // one enterprise's scores, in day order, from the current revisions
      const u0 = await db.all<{ s: string }>(
        `SELECT scores::VARCHAR AS s FROM api_score_history WHERE uscc = 'U0' ORDER BY month`,
      );
      expect(
        u0.flatMap((r) =>
          (JSON.parse(r.s) as { day: string; revision: number }[]).map(
            (p) => `${p.day}#${p.revision}`,
          ),
        ),
      ).toEqual(['2026-01-30#1', '2026-01-31#1', '2026-02-01#2', '2026-02-02#1']);
    });
  });
});
