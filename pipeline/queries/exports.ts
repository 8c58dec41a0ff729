/**
 * Exports are written by DuckDB to a temporary file (the database is held only for the COPY) and
 * then streamed to the client from that file, so a large export never blocks other readers and
 * never holds its rows in memory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { literal, type Db } from '../db/index.ts';
import { FEATURE_NAMES } from '../features/registry.ts';
import { currentRevisionOf } from './alerts.ts';
import { AppError } from '../errors.ts';
import { DISPOSITION_INITIAL } from './dispositions.ts';
import { neutraliseSql } from '../format.ts';

export interface TempExport {
  path: string;
  rows: number;
  /** Removes the file and its folder. */
  cleanup(): void;
}

function tempFile(name: string): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'dafei-export-'));
  return { dir, path: join(dir, name) };
}

/** Columns of the alerts export, in order (CSV header, XLSX columns, NDJSON keys). */
export const ALERT_EXPORT_COLUMNS = [
  'date',
  'revision',
  'rank',
  'uscc',
  'name',
  'district',
  'legal_rep',
  'score',
  'level',
  'rule_score',
  'change',
  'status',
  'reasons',
] as const;

/**
 * The current revision of a day's list (listed entries), as CSV (header, no BOM: the caller adds
 * it) or NDJSON, into a temporary file. CSV text cells are neutralised against formula injection
 * (format.ts); `personal: false` leaves the legal representative out (a person name).
 */
export async function exportAlerts(
  db: Db,
  day: string,
  format: 'csv' | 'ndjson',
  o: { personal: boolean },
): Promise<TempExport & { revision: number }> {
  const revision = await currentRevisionOf(db, day);
  if (revision === undefined)
    throw new AppError('not_found', `no alert list has been published for ${day}`);
  const { dir, path } = tempFile(`alerts.${format}`);
  const reasons =
    format === 'csv'
      ? `coalesce(array_to_string(list_transform(from_json(e.reasons, '[{"text":"VARCHAR"}]'), x -> x.text), '；'), '')`
      : `coalesce(list_transform(from_json(e.reasons, '[{"text":"VARCHAR"}]'), x -> x.text), [])`;
  const legalRep = o.personal ? 'reg.legal_rep' : 'NULL::VARCHAR';
  const text = (e: string) => (format === 'csv' ? neutraliseSql(e) : e);
  const select = `
    WITH e AS (SELECT * FROM list_entries WHERE day = ${'$d'}::DATE AND revision = $rev AND level IS NOT NULL),
    reg AS (
      SELECT r.uscc, r.name, r.district, r.legal_rep FROM registrations r SEMI JOIN e ON r.uscc = e.uscc
      WHERE r.as_of <= $d::DATE QUALIFY row_number() OVER (PARTITION BY r.uscc ORDER BY r.as_of DESC) = 1
    ),
    st AS (SELECT uscc, arg_max(status, disposition_id) AS status FROM dispositions GROUP BY uscc),
    ch AS (SELECT uscc, change FROM list_changes WHERE day = $d::DATE AND revision = $rev)
    SELECT e.day::VARCHAR AS date, e.revision, e.rank, e.uscc, ${text('reg.name')} AS name,
           ${text('reg.district')} AS district, ${text(legalRep)} AS legal_rep,
           round(e.score, 6) AS score, e.level, round(e.rule_score, 6) AS rule_score, ch.change,
           coalesce(st.status, $initial) AS status, ${text(reasons)} AS reasons
    FROM e LEFT JOIN reg ON reg.uscc = e.uscc LEFT JOIN st ON st.uscc = e.uscc LEFT JOIN ch ON ch.uscc = e.uscc
    ORDER BY e.rank`;
  const params = { d: day, rev: revision, initial: DISPOSITION_INITIAL };
  try {
    const opts = format === 'csv' ? `(FORMAT csv, HEADER true)` : `(FORMAT json)`;
    await db.run(`COPY (${select}) TO ${literal(path)} ${opts}`, params);
    const n = await db.one<{ n: number }>(
      `SELECT count(*)::INTEGER AS n FROM list_entries WHERE day = $d::DATE AND revision = $rev AND level IS NOT NULL`,
      { d: day, rev: revision },
    );
    return {
      path,
      rows: n?.n ?? 0,
      revision,
      cleanup: () => rmSync(dir, { recursive: true, force: true }),
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Whether features were computed for a day. */
export async function featureDayExists(db: Db, day: string): Promise<boolean> {
  return (
    (await db.one(`SELECT 1 AS x FROM feature_values WHERE as_of = $d::DATE LIMIT 1`, {
      d: day,
    })) !== undefined
  );
}

/**
 * The feature table of a day (as_of, uscc, every registry feature; no personal fields exist in
 * it) as Parquet (zstd) or NDJSON (for the Arrow writer), into a temporary file.
 */
export async function exportFeatures(
  db: Db,
  day: string,
  format: 'parquet' | 'ndjson',
): Promise<TempExport> {
  if (!(await featureDayExists(db, day)))
    throw new AppError('not_found', `no features were computed for ${day}`);
  const { dir, path } = tempFile(`features.${format}`);
  const cols = ['as_of', 'uscc', ...FEATURE_NAMES].map((c) => `"${c}"`).join(', ');
  try {
    const opts = format === 'parquet' ? `(FORMAT parquet, COMPRESSION zstd)` : `(FORMAT json)`;
    await db.run(
      `COPY (SELECT ${cols} FROM feature_values WHERE as_of = $d::DATE ORDER BY uscc) TO ${literal(path)} ${opts}`,
      { d: day },
    );
    const n = await db.one<{ n: number }>(
      `SELECT count(*)::INTEGER AS n FROM feature_values WHERE as_of = $d::DATE`,
      { d: day },
    );
    return { path, rows: n?.n ?? 0, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
