/**
 * Bounded growth: superseded revisions keep only their listed entries once superseded long enough
 * (the latest revision of every day stays whole), quarantine raw text is replaced after its days,
 * and the audit log goes to Parquet (read back before anything is deleted). Time is passed in.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { literal, withDb, type Db } from '../db/index.ts';
import { tmpDir } from '../feeds/_fixtures.ts';
import type { ScoredRow } from '../modeling/score.ts';
import { publishList } from '../publish.ts';
import { verifyAuditChain, writeAudits } from '../queries/audit.ts';
import { applyRetention, PURGED_MARKER } from './retention.ts';
import { dbStats } from './stats.ts';

function rows(n: number, listed: number, seed: number): ScoredRow[] {
  return Array.from({ length: n }, (_, i) => ({
    uscc: `U${String(i).padStart(4, '0')}`,
    score: (n - i + seed) / (n + seed),
    rule: 0.5,
    level: i < listed ? ('red' as const) : null,
    ...(i < listed
      ? { reasons: [{ feature: 'x', text: '理由' }], contributions: { x: 0.1 }, features: { x: 1 } }
      : {}),
  })) as unknown as ScoredRow[];
}

const count = async (db: Db, sql: string) =>
  (await db.one<{ n: number }>(`SELECT count(*)::INTEGER AS n FROM ${sql}`))!.n;

describe('retention', () => {
  it('compacts superseded revisions after their days; the latest revision stays whole', async () => {
    await withDb(async (db) => {
      const publish = (day: string, fp: string, seed: number) =>
        publishList(db, {
          day,
          scorer: 'rules',
          modelVersion: null,
          dataFingerprint: fp,
          rows: rows(50, 5, seed),
        });
      await publish('2026-03-01', 'a', 0);
      await publish('2026-03-01', 'b', 1); // supersedes revision 1
      await publish('2026-03-02', 'a', 2); // the only revision of its day
      const policy = {
        supersededEntriesDays: 30,
        quarantineRawDays: 10_000,
        auditDays: 10_000,
        archiveDir: join(tmpDir(), 'archive'),
      };
      // superseded just now: not yet
      const early = await applyRetention(db, policy, new Date());
      expect([early.revisionsCompacted, early.entriesDeleted]).toEqual([0, 0]);
      const later = new Date(Date.now() + 31 * 86_400_000);
      const r = await applyRetention(db, policy, later);
      expect([r.revisionsCompacted, r.entriesDeleted]).toEqual([1, 45]);
      expect(
        await db.all(
          `SELECT day::VARCHAR AS day, revision, count(*)::INTEGER AS n, count(level)::INTEGER AS listed
           FROM list_entries GROUP BY ALL ORDER BY day, revision`,
        ),
      ).toEqual([
        { day: '2026-03-01', revision: 1, n: 5, listed: 5 }, // its alerts, with their reasons
        { day: '2026-03-01', revision: 2, n: 50, listed: 5 },
        { day: '2026-03-02', revision: 1, n: 50, listed: 5 },
      ]);
      expect(
        await count(
          db,
          `list_entries WHERE day = '2026-03-01' AND revision = 1 AND reasons IS NULL`,
        ),
      ).toBe(0);
      expect(
        await db.all(
          `SELECT day::VARCHAR AS day, revision, entries_before, entries_after FROM list_compactions`,
        ),
      ).toEqual([{ day: '2026-03-01', revision: 1, entries_before: 50, entries_after: 5 }]);
      // done once
      expect((await applyRetention(db, policy, later)).revisionsCompacted).toBe(0);
      expect((await dbStats(db)).retention).toMatchObject({ compactedRevisions: 1, superseded: 1 });
    });
  });

  it('purges old quarantine text and archives the old audit log to Parquet', async () => {
    await withDb(async (db) => {
      await db.run(
        `INSERT INTO quarantine VALUES (1, 'ads', 'old.ndjson', 3, 'raw old', 'bad', TIMESTAMPTZ '2026-01-01 00:00:00+08'),
                                       (2, 'ads', 'new.ndjson', 4, 'raw new', 'bad', TIMESTAMPTZ '2026-06-01 00:00:00+08')`,
      );
      await db.run(
        `INSERT INTO audit_log (logged_at, actor, role, action, target, status, detail)
         SELECT TIMESTAMPTZ '2025-01-01 00:00:00+08' + INTERVAL (i) HOUR, 'a', 'admin', 'alert.read', 't' || i, 200, NULL
         FROM range(100) t(i)
         UNION ALL SELECT TIMESTAMPTZ '2026-06-01 00:00:00+08', 'b', 'admin', 'alert.read', 'recent', 200, NULL`,
      );
      const archiveDir = join(tmpDir(), 'archive');
      const r = await applyRetention(
        db,
        { supersededEntriesDays: 30, quarantineRawDays: 90, auditDays: 365, archiveDir },
        new Date('2026-06-02T00:00:00Z'),
      );
      expect([r.quarantineBatchesPurged, r.quarantineLinesPurged, r.auditArchived]).toEqual([
        1, 1, 100,
      ]);
      expect(await db.all(`SELECT batch_id::INTEGER AS b, raw FROM quarantine ORDER BY b`)).toEqual(
        [
          { b: 1, raw: PURGED_MARKER },
          { b: 2, raw: 'raw new' },
        ],
      );
      expect(await db.all(`SELECT target FROM audit_log`)).toEqual([{ target: 'recent' }]);
      expect(readdirSync(archiveDir)).toEqual(['audit-1-100.parquet']);
      const archived = await db.all<{ n: number; first: string; last: string }>(
        `SELECT count(*)::INTEGER AS n, min(target) AS first, max(audit_id)::INTEGER AS last
         FROM read_parquet(${literal(join(archiveDir, 'audit-1-100.parquet'))})`,
      );
      expect(archived).toEqual([{ n: 100, first: 't0', last: 100 }]);
      expect(await db.all(`SELECT file, rows::INTEGER AS rows FROM audit_archives`)).toEqual([
        { file: 'audit-1-100.parquet', rows: 100 },
      ]);
      // again: nothing more to do
      const again = await applyRetention(
        db,
        { supersededEntriesDays: 30, quarantineRawDays: 90, auditDays: 365, archiveDir },
        new Date('2026-06-02T00:00:00Z'),
      );
      expect([again.quarantineBatchesPurged, again.auditArchived]).toEqual([0, 0]);
    });
  });

  it('keeps the audit hash chain whole across the archive', async () => {
    await withDb(async (db) => {
      const entry = (i: number, at: string) => ({
        actor: 'a',
        role: 'admin',
        action: 'alert.read',
        target: `t${i}`,
        status: 200,
        at: new Date(at),
      });
      await writeAudits(db, [
        ...Array.from({ length: 30 }, (_, i) => entry(i, '2025-01-01T00:00:00Z')),
        entry(30, '2026-06-01T00:00:00Z'),
        entry(31, '2025-02-01T00:00:00Z'), // old, but after a recent one: stays (ids stay contiguous)
        entry(32, '2026-06-01T00:00:00Z'),
      ]);
      expect(await verifyAuditChain(db)).toMatchObject({ ok: true, checked: 33 });
      const archiveDir = join(tmpDir(), 'archive');
      const r = await applyRetention(
        db,
        { supersededEntriesDays: 30, quarantineRawDays: 90, auditDays: 365, archiveDir },
        new Date('2026-06-02T00:00:00Z'),
      );
      expect(r.auditArchived).toBe(30);
      expect(readdirSync(archiveDir)).toEqual(['audit-1-30.parquet']);
      expect(await db.all(`SELECT target FROM audit_log ORDER BY audit_id`)).toEqual([
        { target: 't30' },
        { target: 't31' },
        { target: 't32' },
      ]);
      // the chain goes on from the archive's last entry
      expect(await verifyAuditChain(db)).toMatchObject({ ok: true, checked: 3 });
      // removing the entry right after the archive is still seen
      await db.run(`DELETE FROM audit_log WHERE audit_id = 31`);
      expect((await verifyAuditChain(db)).broken?.reason).toBe(
        'entries 31…31 are missing (removed)',
      );
    });
  });
});
