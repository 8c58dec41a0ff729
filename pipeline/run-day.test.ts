/**
 * A broken model never stops the list: the day is published with the rule index, the revision says
 * why (list_revision_notes), the ledger says so, and admins get a notice.
 */
import { describe, expect, it } from 'vitest';
import { withDb, type Db } from './db/index.ts';
import { ingest } from './feeds/index.ts';
import { GOOD, tmpDir, toNdjson, writeFeedFile } from './feeds/_fixtures.ts';
import { openNotices } from './ops/notices.ts';
import { runDay } from './run-day.ts';

async function loadGood(db: Db): Promise<void> {
  const dir = tmpDir();
  for (const feed of ['registrations', 'ads', 'complaints'] as const) {
    await ingest(db, { feed, source: writeFeedFile(dir, `${feed}.ndjson`, toNdjson(GOOD[feed])) });
  }
}

const entries = (db: Db, day: string, revision: number) =>
  db.all(
    `SELECT uscc, rank, score, level FROM list_entries WHERE day = $d::DATE AND revision = $r ORDER BY rank`,
    { d: day, r: revision },
  );

describe('runDay with a model that cannot be loaded', () => {
  it('publishes with the rule index, marked in the list, the ledger and a notice', async () => {
    await withDb(async (db) => {
      await loadGood(db);
      const rules = await runDay(db, '2026-04-02'); // no model yet: the rule index
      // the case: an artefact that is not a model bundle, made active
      await db.run(
        `INSERT INTO model_versions VALUES (7, now(), 'forest', DATE '2026-04-01', DATE '2026-01-01', DATE '2026-03-01',
           90, 'fp', '[]', '{}', '{}', '{}', NULL)`,
      );
      await db.run(`INSERT INTO model_activations VALUES (1, 7, 'activate', now(), 'test', NULL)`);
      const r = await runDay(db, '2026-04-03');
      expect([r.scorer, r.modelVersion, r.fallback]).toEqual([
        'rules',
        null,
        'model v7 could not be loaded ([model] expected dafei-model v3, got undefined vundefined)',
      ]);
      expect(r.enterprises).toBe(rules.enterprises);
      expect(
        await db.all(
          `SELECT r.day::VARCHAR AS day, r.scorer, r.model_version, n.fallback, n.model_version AS failed
           FROM list_revisions r JOIN list_revision_notes n USING (day, revision)`,
        ),
      ).toEqual([
        {
          day: '2026-04-03',
          scorer: 'rules',
          model_version: null,
          fallback: r.fallback,
          failed: 7,
        },
      ]);
      const ledger = await db.one<{ status: string; counts: string }>(
        `SELECT status, counts::VARCHAR AS counts FROM job_runs WHERE target = '2026-04-03'`,
      );
      expect(ledger!.status).toBe('ok');
      expect((JSON.parse(ledger!.counts) as { fallback: string }).fallback).toBe(r.fallback);
      expect((await openNotices(db)).map((n) => [n.kind, n.subject, n.message])).toEqual([
        [
          'model_fallback',
          '2026-04-03',
          `the list of 2026-04-03 (revision 1) was ranked by the rule index: ${r.fallback!}`,
        ],
      ]);
      // the same ranking the rule index gives with no model at all
      await db.run(
        `INSERT INTO model_activations VALUES (2, NULL, 'rollback', now(), 'test', NULL)`,
      );
      const plain = await runDay(db, '2026-04-04');
      expect(plain.fallback).toBeUndefined();
      expect((await entries(db, '2026-04-03', 1)).map((e) => (e as { uscc: string }).uscc)).toEqual(
        (await entries(db, '2026-04-04', 1)).map((e) => (e as { uscc: string }).uscc),
      );
    });
  });
});
