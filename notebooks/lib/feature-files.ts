/**
 * A day's feature table as files a data scientist can take anywhere: Parquet written by DuckDB
 * (`COPY … TO … (FORMAT parquet)`), read back into an Apache Arrow table, and Arrow IPC
 * (`.arrow`, readable by pandas / polars / R arrow). Arrow tables turn into a models/ `Matrix`.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { tableFromIPC, tableFromJSON, tableToIPC, type Table } from 'apache-arrow';
import { literal, openDb, type Db } from '../../pipeline/db/index.ts';
import { FEATURE_NAMES } from '../../pipeline/features/registry.ts';
import { createMatrix, type Matrix } from '../../models/index.ts';

export interface FileInfo {
  path: string;
  rows: number;
  bytes: number;
}

/** Writes `feature_values` of one day (as_of, uscc, every registry feature) to a Parquet file. */
export async function writeFeatureParquet(db: Db, day: string, path: string): Promise<FileInfo> {
  const cols = ['as_of', 'uscc', ...FEATURE_NAMES].map((c) => `"${c}"`).join(', ');
  await db.run(
    `COPY (SELECT ${cols} FROM feature_values WHERE as_of = $d::DATE ORDER BY uscc)
     TO ${literal(path)} (FORMAT parquet, COMPRESSION zstd)`,
    { d: day },
  );
  const n = (await db.one<{ n: number }>(
    `SELECT count(*)::INTEGER AS n FROM feature_values WHERE as_of = $d::DATE`,
    { d: day },
  ))!.n;
  return { path, rows: n, bytes: statSync(path).size };
}

/**
 * Reads a Parquet file into an Arrow table (through an in-memory DuckDB: no project database
 * needed, so it works on any exported file). Dates become strings, numbers Float64, NULL stays null.
 */
export async function readParquetAsArrow(path: string): Promise<Table> {
  const mem = await openDb(':memory:');
  try {
    const rows = await mem.all<Record<string, unknown>>(
      `SELECT * REPLACE (as_of::VARCHAR AS as_of) FROM read_parquet(${literal(path)})`,
    );
    return tableFromJSON(rows as Record<string, string | number | null>[]);
  } finally {
    mem.close();
  }
}

export function writeArrowFile(table: Table, path: string): FileInfo {
  writeFileSync(path, tableToIPC(table, 'file'));
  return { path, rows: table.numRows, bytes: statSync(path).size };
}

export function readArrowFile(path: string): Table {
  return tableFromIPC(readFileSync(path));
}

/** Numeric columns of an Arrow table as a Matrix (null → NaN). Default: every registry feature. */
export function matrixFromArrow(table: Table, columns: readonly string[] = FEATURE_NAMES): Matrix {
  const m = createMatrix(table.numRows, columns.length, columns);
  columns.forEach((name, j) => {
    const col = table.getChild(name);
    if (!col) throw new Error(`column ${name} is not in the Arrow table`);
    for (let i = 0; i < table.numRows; i++) {
      const v = col.get(i) as number | null;
      m.data[i * columns.length + j] = v === null ? Number.NaN : Number(v);
    }
  });
  return m;
}

/** A string column of an Arrow table as an array. */
export function stringsFromArrow(table: Table, name: string): string[] {
  const col = table.getChild(name);
  if (!col) throw new Error(`column ${name} is not in the Arrow table`);
  return Array.from({ length: table.numRows }, (_, i) => String(col.get(i)));
}
