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
import { officesAsOfSql } from '../jurisdictions/index.ts';
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
  'office',
  'overall_rank',
] as const;

/** `offices` filter over a relation with an `office` column: '' for everything. */
function officeFilter(offices: readonly string[] | null, col: string): string {
  return offices === null ? '' : `AND list_contains(from_json($offices, '["VARCHAR"]'), ${col})`;
}

/**
 * The current revision of a day's list (listed entries), as CSV (header, no BOM: the caller adds
 * it) or NDJSON, into a temporary file. CSV text cells are neutralised against formula injection
 * (format.ts); `personal: false` leaves the legal representative out (a person name). With
 * `offices`, only enterprises of those offices as of the day, ranked among themselves (`rank`;
 * `overall_rank` is the rank in the whole revision).
 */
export async function exportAlerts(
  db: Db,
  day: string,
  format: 'csv' | 'ndjson',
  o: { personal: boolean; offices?: readonly string[] | null },
): Promise<TempExport & { revision: number }> {
  const offices = o.offices ?? null;
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
    WITH e0 AS (SELECT * FROM list_entries WHERE day = ${'$d'}::DATE AND revision = $rev AND level IS NOT NULL),
    off AS ${officesAsOfSql({ relation: 'e0' }, '$d::DATE')},
    e AS (
      SELECT e0.*, off.office, row_number() OVER (ORDER BY e0.rank) AS office_rank
      FROM e0 LEFT JOIN off ON off.uscc = e0.uscc WHERE true ${officeFilter(offices, 'off.office')}
    ),
    reg AS (
      SELECT r.uscc, r.name, r.district, r.legal_rep FROM registrations r SEMI JOIN e ON r.uscc = e.uscc
      WHERE r.as_of <= $d::DATE QUALIFY row_number() OVER (PARTITION BY r.uscc ORDER BY r.as_of DESC) = 1
    ),
    st AS (SELECT uscc, arg_max(status, disposition_id) AS status FROM dispositions GROUP BY uscc),
    ch AS (SELECT uscc, change FROM list_changes WHERE day = $d::DATE AND revision = $rev)
    SELECT e.day::VARCHAR AS date, e.revision, e.office_rank::INTEGER AS rank, e.uscc, ${text('reg.name')} AS name,
           ${text('reg.district')} AS district, ${text(legalRep)} AS legal_rep,
           round(e.score, 6) AS score, e.level, round(e.rule_score, 6) AS rule_score, ch.change,
           coalesce(st.status, $initial) AS status, ${text(reasons)} AS reasons, e.office, e.rank AS overall_rank
    FROM e LEFT JOIN reg ON reg.uscc = e.uscc LEFT JOIN st ON st.uscc = e.uscc LEFT JOIN ch ON ch.uscc = e.uscc
    ORDER BY e.rank`;
  const params = {
    d: day,
    rev: revision,
    initial: DISPOSITION_INITIAL,
    ...(offices === null ? {} : { offices: JSON.stringify(offices) }),
  };
  try {
    const opts = format === 'csv' ? `(FORMAT csv, HEADER true)` : `(FORMAT json)`;
    await db.run(`COPY (${select}) TO ${literal(path)} ${opts}`, params);
    const n = await db.one<{ n: number }>(`SELECT count(*)::INTEGER AS n FROM (${select})`, params);
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
 * it) as Parquet (zstd) or NDJSON (for the Arrow writer), into a temporary file. With `offices`,
 * only enterprises of those offices as of the day.
 */
export async function exportFeatures(
  db: Db,
  day: string,
  format: 'parquet' | 'ndjson',
  o: { offices?: readonly string[] | null } = {},
): Promise<TempExport> {
  const offices = o.offices ?? null;
  if (!(await featureDayExists(db, day)))
    throw new AppError('not_found', `no features were computed for ${day}`);
  const { dir, path } = tempFile(`features.${format}`);
  const cols = ['as_of', 'uscc', ...FEATURE_NAMES].map((c) => `"${c}"`).join(', ');
  try {
    const opts = format === 'parquet' ? `(FORMAT parquet, COMPRESSION zstd)` : `(FORMAT json)`;
    const scoped =
      offices === null
        ? ''
        : `AND uscc IN (SELECT uscc FROM ${officesAsOfSql({ relation: '(SELECT uscc FROM feature_values WHERE as_of = $d::DATE)' }, '$d::DATE')}
                        WHERE true ${officeFilter(offices, 'office')})`;
    const params = { d: day, ...(offices === null ? {} : { offices: JSON.stringify(offices) }) };
    await db.run(
      `COPY (SELECT ${cols} FROM feature_values WHERE as_of = $d::DATE ${scoped} ORDER BY uscc) TO ${literal(path)} ${opts}`,
      params,
    );
    const n = await db.one<{ n: number }>(
      `SELECT count(*)::INTEGER AS n FROM feature_values WHERE as_of = $d::DATE ${scoped}`,
      params,
    );
    return { path, rows: n?.n ?? 0, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
