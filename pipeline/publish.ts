/**
 * Publishing a day's list as one revision, atomically: the revision row, every scored entry and
 * the changes since the previous day's list go in one transaction, so readers see the previous
 * complete revision or the new complete one. A revision is never edited; a re-run adds one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { literal, type Db } from './db/index.ts';
import type { ScoredRow } from './modeling/score.ts';
import { StageFile } from './stage-file.ts';

export interface PublishInput {
  day: string;
  scorer: 'model' | 'rules';
  modelVersion: number | null;
  dataFingerprint: string;
  /** Ranked, best first. */
  rows: ScoredRow[];
  /** Why the rule index ranked although a model was active (stored in list_revision_notes). */
  note?: { fallback: string; modelVersion: number | null };
}

export interface PublishResult {
  day: string;
  revision: number;
  /** False when the current revision already has this exact input (same data, same model). */
  published: boolean;
  listed: number;
  changes: { new: number; level_up: number; level_down: number; dropped: number };
}

export async function currentRevision(
  db: Db,
  day: string,
): Promise<
  | { revision: number; model_version: number | null; data_fingerprint: string; scorer: string }
  | undefined
> {
  return db.one(
    `SELECT revision, model_version, data_fingerprint, scorer FROM list_revisions
     WHERE day = $d::DATE ORDER BY revision DESC LIMIT 1`,
    { d: day },
  );
}

export async function publishList(db: Db, p: PublishInput): Promise<PublishResult> {
  const cur = await currentRevision(db, p.day);
  const listed = p.rows.filter((r) => r.level !== null);
  if (
    cur &&
    cur.data_fingerprint === p.dataFingerprint &&
    cur.model_version === p.modelVersion &&
    cur.scorer === p.scorer
  ) {
    const counts = await db.all<{ change: string; n: number }>(
      `SELECT change, count(*)::INTEGER AS n FROM list_changes WHERE day = $d::DATE AND revision = $r GROUP BY change`,
      { d: p.day, r: cur.revision },
    );
    return {
      day: p.day,
      revision: cur.revision,
      published: false,
      listed: listed.length,
      changes: tally(counts),
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'dafei-publish-'));
  try {
    const stage = new StageFile(join(dir, 'entries.ndjson'));
    p.rows.forEach((r, i) =>
      stage.add(
        JSON.stringify([
          r.uscc,
          i + 1,
          r.score,
          r.level,
          r.rule,
          r.reasons ? JSON.stringify(r.reasons) : null,
          r.contributions ? JSON.stringify(r.contributions) : null,
          r.features ? JSON.stringify(r.features) : null,
        ]),
      ),
    );
    stage.close();
    return await db.transaction(async (tx) => {
      const revision = (cur?.revision ?? 0) + 1;
      const counts = { red: 0, orange: 0, yellow: 0 };
      for (const r of listed) counts[r.level!]++;
      await tx.run(
        `INSERT INTO list_revisions VALUES ($d::DATE, $rev, now(), $scorer, $mv, $fp, $n, $listed, $red, $orange, $yellow)`,
        {
          d: p.day,
          rev: revision,
          scorer: p.scorer,
          mv: p.modelVersion,
          fp: p.dataFingerprint,
          n: p.rows.length,
          listed: listed.length,
          ...counts,
        },
      );
      if (p.rows.length > 0) {
        await tx.run(
          `INSERT INTO list_entries
           SELECT $d::DATE, $rev, v[1], v[2]::INTEGER, v[3]::DOUBLE, v[4], v[5]::DOUBLE, v[6]::JSON, v[7]::JSON, v[8]::JSON
           FROM read_json(${literal(stage.path)}, format = 'newline_delimited', records = false,
                          maximum_object_size = 268435456, columns = {v: 'VARCHAR[]'})`,
          { d: p.day, rev: revision },
        );
      }
      if (p.note) {
        await tx.run(`INSERT INTO list_revision_notes VALUES ($d::DATE, $rev, $fallback, $mv)`, {
          d: p.day,
          rev: revision,
          fallback: p.note.fallback,
          mv: p.note.modelVersion,
        });
      }
      // changes since the previous day that has a list (its current revision)
      await tx.run(
        `INSERT INTO list_changes
         WITH prev_day AS (SELECT max(day) AS day FROM list_revisions WHERE day < $d::DATE),
         prev_rev AS (SELECT r.day, max(r.revision) AS revision FROM list_revisions r JOIN prev_day p ON r.day = p.day GROUP BY r.day),
         prev AS (SELECT e.uscc, e.level FROM list_entries e JOIN prev_rev p ON e.day = p.day AND e.revision = p.revision WHERE e.level IS NOT NULL),
         now_ AS (SELECT uscc, level FROM list_entries WHERE day = $d::DATE AND revision = $rev AND level IS NOT NULL)
         SELECT $d::DATE, $rev, coalesce(n.uscc, p.uscc),
                CASE WHEN p.uscc IS NULL THEN 'new'
                     WHEN n.uscc IS NULL THEN 'dropped'
                     WHEN (CASE n.level WHEN 'red' THEN 3 WHEN 'orange' THEN 2 ELSE 1 END)
                        > (CASE p.level WHEN 'red' THEN 3 WHEN 'orange' THEN 2 ELSE 1 END) THEN 'level_up'
                     ELSE 'level_down' END,
                p.level, n.level
         FROM now_ n FULL JOIN prev p ON n.uscc = p.uscc
         WHERE p.uscc IS NULL OR n.uscc IS NULL OR n.level <> p.level`,
        { d: p.day, rev: revision },
      );
      const changes = await tx.all<{ change: string; n: number }>(
        `SELECT change, count(*)::INTEGER AS n FROM list_changes WHERE day = $d::DATE AND revision = $rev GROUP BY change`,
        { d: p.day, rev: revision },
      );
      return {
        day: p.day,
        revision,
        published: true,
        listed: listed.length,
        changes: tally(changes),
      };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function tally(rows: { change: string; n: number }[]): PublishResult['changes'] {
  const out = { new: 0, level_up: 0, level_down: 0, dropped: 0 };
  for (const r of rows) if (r.change in out) out[r.change as keyof typeof out] = r.n;
  return out;
}
