/**
 * Bounded growth: the retention policy of the config, applied by the scheduler every night (and by
 * `dafei db compact`).
 *
 * - Superseded revisions (a later revision of the same day exists) superseded more than
 *   `superseded_entries_days` ago keep only their listed entries — the alerts they issued, with
 *   reasons, contributions and features, so any alert ever issued can still be explained. The
 *   unlisted scores go. The latest revision of every day stays whole. Recorded in list_compactions.
 * - Quarantine raw text older than `quarantine_raw_days` is replaced by a marker (the line number,
 *   source and reason stay). Recorded in quarantine_purges.
 * - The oldest audit entries, up to the first one newer than `audit_days`, are written to a
 *   Parquet file in the archive folder (read back and counted before anything is deleted),
 *   recorded in audit_archives with the hash of the last one, then deleted from audit_log. The
 *   files are kept (and copied into every backup); the hash chain goes on from the archive.
 */
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { literal, type Db } from '../db/index.ts';
import { sha256File } from './backup.ts';

export interface RetentionPolicy {
  supersededEntriesDays: number;
  quarantineRawDays: number;
  auditDays: number;
  /** Where audit archives go (`<files dir>/audit-archive`). */
  archiveDir: string;
}

export interface RetentionResult {
  revisionsCompacted: number;
  entriesDeleted: number;
  quarantineBatchesPurged: number;
  quarantineLinesPurged: number;
  auditArchived: number;
  archiveFile: string | null;
  seconds: number;
}

export const PURGED_MARKER = '[raw text removed by the retention policy]';

const DAY_MS = 86_400_000;

export async function applyRetention(
  db: Db,
  p: RetentionPolicy,
  now: Date = new Date(),
): Promise<RetentionResult> {
  const t0 = performance.now();
  const at = now.toISOString();
  const cutoff = (days: number) => new Date(now.getTime() - days * DAY_MS).toISOString();

  // 1. superseded revisions: keep their listed entries only
  const compacted = await db.transaction(async (tx) => {
    await tx.run(
      `CREATE OR REPLACE TEMP TABLE _compact AS
       WITH latest AS (SELECT day, max(revision) AS revision FROM list_revisions GROUP BY day),
       superseded AS (
         SELECT r.day, r.revision,
                (SELECT min(n.published_at) FROM list_revisions n WHERE n.day = r.day AND n.revision > r.revision) AS superseded_at
         FROM list_revisions r JOIN latest l ON l.day = r.day AND r.revision < l.revision
         ANTI JOIN list_compactions c ON c.day = r.day AND c.revision = r.revision)
       SELECT s.day, s.revision,
              (SELECT count(*) FROM list_entries e WHERE e.day = s.day AND e.revision = s.revision)::INTEGER AS before
       FROM superseded s WHERE s.superseded_at <= $cut::TIMESTAMPTZ`,
      { cut: cutoff(p.supersededEntriesDays) },
    );
    await tx.run(
      `DELETE FROM list_entries e USING _compact c
       WHERE e.day = c.day AND e.revision = c.revision AND e.level IS NULL`,
    );
    await tx.run(
      `INSERT INTO list_compactions
       SELECT c.day, c.revision, $at::TIMESTAMPTZ, c.before,
              (SELECT count(*) FROM list_entries e WHERE e.day = c.day AND e.revision = c.revision)::INTEGER
       FROM _compact c`,
      { at },
    );
    const d = await tx.one<{ revisions: number; deleted: number }>(
      `SELECT count(*)::DOUBLE AS revisions, coalesce(sum(l.entries_before - l.entries_after), 0)::DOUBLE AS deleted
       FROM list_compactions l SEMI JOIN _compact c ON c.day = l.day AND c.revision = l.revision`,
    );
    await tx.run(`DROP TABLE _compact`);
    return d ?? { revisions: 0, deleted: 0 };
  });

  // 2. quarantine raw text of batches whose every line is older than the cut-off
  const purged = await db.transaction(async (tx) => {
    await tx.run(
      `CREATE OR REPLACE TEMP TABLE _purge AS
       SELECT q.batch_id, count(*) AS lines FROM quarantine q
       ANTI JOIN quarantine_purges p ON p.batch_id = q.batch_id
       GROUP BY q.batch_id HAVING max(q.quarantined_at) <= $cut::TIMESTAMPTZ`,
      { cut: cutoff(p.quarantineRawDays) },
    );
    await tx.run(
      `UPDATE quarantine SET raw = $marker WHERE batch_id IN (SELECT batch_id FROM _purge)`,
      {
        marker: PURGED_MARKER,
      },
    );
    await tx.run(
      `INSERT INTO quarantine_purges SELECT batch_id, $at::TIMESTAMPTZ, lines FROM _purge`,
      {
        at,
      },
    );
    const r = await tx.one<{ batches: number; lines: number }>(
      `SELECT count(*)::DOUBLE AS batches, coalesce(sum(lines), 0)::DOUBLE AS lines FROM _purge`,
    );
    await tx.run(`DROP TABLE _purge`);
    return r ?? { batches: 0, lines: 0 };
  });

  // 3. audit log → Parquet: the oldest entries up to the first one newer than the cut-off (a
  // contiguous run of ids, so the hash chain goes on from the archive), written and read back
  // before anything is deleted
  let archived = 0;
  let archiveFile: string | null = null;
  const range = await db.one<{ first: number | null; last: number | null; n: number }>(
    `WITH bound AS (SELECT coalesce((SELECT min(audit_id) - 1 FROM audit_log WHERE logged_at > $cut::TIMESTAMPTZ),
                                    (SELECT max(audit_id) FROM audit_log)) AS last)
     SELECT min(audit_id)::DOUBLE AS first, max(audit_id)::DOUBLE AS last, count(*)::DOUBLE AS n
     FROM audit_log, bound WHERE audit_id <= bound.last`,
    { cut: cutoff(p.auditDays) },
  );
  if (range && range.n > 0 && range.first !== null && range.last !== null) {
    mkdirSync(p.archiveDir, { recursive: true });
    const name = `audit-${range.first}-${range.last}.parquet`;
    const file = join(p.archiveDir, name);
    const temp = `${file}.tmp`;
    const where = `audit_id BETWEEN ${range.first} AND ${range.last}`;
    await db.run(
      `COPY (SELECT * FROM audit_log WHERE ${where} ORDER BY audit_id) TO ${literal(temp)} (FORMAT parquet)`,
    );
    const back = await db.one<{ n: number }>(
      `SELECT count(*)::DOUBLE AS n FROM read_parquet(${literal(temp)})`,
    );
    if (back?.n !== range.n) {
      rmSync(temp, { force: true });
      throw new Error(`audit archive ${temp} holds ${back?.n} rows, expected ${range.n}`);
    }
    if (existsSync(file)) rmSync(file);
    renameSync(temp, file);
    const sha = await sha256File(file);
    await db.transaction(async (tx) => {
      await tx.run(
        `INSERT INTO audit_archives
         SELECT $name, min(audit_id), max(audit_id), min(logged_at), max(logged_at), count(*), $sha, $at::TIMESTAMPTZ,
                arg_min(prev_hash, audit_id), arg_max(entry_hash, audit_id)
         FROM audit_log WHERE ${where}`,
        { name, sha, at },
      );
      await tx.run(`DELETE FROM audit_log WHERE ${where}`);
    });
    archived = range.n;
    archiveFile = file;
  }
  // the freed blocks are reused by later writes. A plain CHECKPOINT (it fails, harmlessly, while
  // another transaction runs; FORCE would hold up every new transaction, API reads included)
  await db.run('CHECKPOINT').catch(() => undefined);
  return {
    revisionsCompacted: compacted.revisions,
    entriesDeleted: compacted.deleted,
    quarantineBatchesPurged: purged.batches,
    quarantineLinesPurged: purged.lines,
    auditArchived: archived,
    archiveFile,
    seconds: (performance.now() - t0) / 1000,
  };
}

export function formatRetention(r: RetentionResult): string {
  return (
    `retention: ${r.revisionsCompacted} superseded revisions compacted (${r.entriesDeleted} unlisted entries deleted), ` +
    `quarantine raw text purged in ${r.quarantineBatchesPurged} batches (${r.quarantineLinesPurged} lines), ` +
    `${r.auditArchived} audit entries archived${r.archiveFile ? ` to ${r.archiveFile}` : ''} (${r.seconds.toFixed(1)} s)`
  );
}
