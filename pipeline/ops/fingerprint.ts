/**
 * What a backup promises and a restore checks: the row count of every table and the fingerprint
 * of every published list (each revision of each day), read in one snapshot.
 */
import { ident, type Db } from '../db/index.ts';

export interface ListFingerprint {
  day: string;
  revision: number;
  entries: number;
  /** md5 over every column of every entry, in rank order. */
  fingerprint: string;
}

export interface DatabaseFacts {
  /** Row count per table of the main schema (views excluded). */
  tables: Record<string, number>;
  lists: ListFingerprint[];
}

/** The schema (catalog) the caller's connection uses by default. */
export async function currentDatabase(db: Db): Promise<string> {
  return (await db.one<{ d: string }>(`SELECT current_database() AS d`))!.d;
}

/** Tables of `catalog`'s main schema, by name. */
export async function tableNames(db: Db, catalog?: string): Promise<string[]> {
  const c = catalog ?? (await currentDatabase(db));
  const rows = await db.all<{ t: string }>(
    `SELECT table_name AS t FROM duckdb_tables() WHERE database_name = $c AND schema_name = 'main' AND NOT temporary
     ORDER BY table_name`,
    { c },
  );
  return rows.map((r) => r.t);
}

/** Row counts and list fingerprints of `catalog` (default: the connection's own database). */
export async function databaseFacts(db: Db, catalog?: string): Promise<DatabaseFacts> {
  const c = catalog ?? (await currentDatabase(db));
  const q = (t: string) => `${ident(c)}.main.${ident(t)}`;
  const tables: Record<string, number> = {};
  for (const t of await tableNames(db, c)) {
    tables[t] = (await db.one<{ n: number }>(`SELECT count(*)::DOUBLE AS n FROM ${q(t)}`))!.n;
  }
  const lists = await db.all<ListFingerprint>(
    `SELECT r.day::VARCHAR AS day, r.revision::INTEGER AS revision, count(e.uscc)::INTEGER AS entries,
            md5(coalesce(string_agg(concat_ws('|', e.uscc, e.rank, e.score, e.level, e.rule_score,
                                               e.reasons::VARCHAR, e.contributions::VARCHAR, e.features::VARCHAR),
                                    chr(10) ORDER BY e.rank, e.uscc), '')) AS fingerprint
     FROM ${q('list_revisions')} r LEFT JOIN ${q('list_entries')} e ON e.day = r.day AND e.revision = r.revision
     GROUP BY r.day, r.revision ORDER BY r.day, r.revision`,
  );
  return { tables, lists };
}

/** Differences between what was promised and what is there, in words (empty = identical). */
export function compareFacts(expected: DatabaseFacts, actual: DatabaseFacts): string[] {
  const out: string[] = [];
  for (const [t, n] of Object.entries(expected.tables)) {
    const m = actual.tables[t];
    if (m === undefined) out.push(`table ${t} is missing`);
    else if (m !== n) out.push(`table ${t} has ${m} rows, the backup promised ${n}`);
  }
  for (const t of Object.keys(actual.tables))
    if (!(t in expected.tables)) out.push(`table ${t} is not in the backup's manifest`);
  const key = (l: ListFingerprint) => `${l.day} revision ${l.revision}`;
  const got = new Map(actual.lists.map((l) => [key(l), l]));
  for (const l of expected.lists) {
    const a = got.get(key(l));
    if (!a) out.push(`the list of ${key(l)} is missing`);
    else if (a.fingerprint !== l.fingerprint || a.entries !== l.entries)
      out.push(`the list of ${key(l)} differs (${a.entries} entries, ${l.entries} promised)`);
    got.delete(key(l));
  }
  for (const k of got.keys()) out.push(`the list of ${k} is not in the backup's manifest`);
  return out;
}
