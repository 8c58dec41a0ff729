/** Feature rows from `feature_values` as a models/ Matrix (NaN = missing). */
import type { Db } from '../db/index.ts';
import { FEATURE_NAMES } from '../features/registry.ts';
import { createMatrix, type Matrix } from '../../models/index.ts';

export interface FeatureRows {
  matrix: Matrix;
  uscc: string[];
  day: string[];
}

/** All enterprises' features on the given days (which must have been computed), ordered by day, uscc. */
export async function loadFeatureRows(db: Db, days: readonly string[]): Promise<FeatureRows> {
  const cols = FEATURE_NAMES;
  const count = (await db.one<{ n: number }>(
    `SELECT count(*)::INTEGER AS n FROM feature_values WHERE list_contains(string_split($days, ',')::DATE[], as_of)`,
    { days: days.join(',') },
  ))!.n;
  const matrix = createMatrix(count, cols.length, cols);
  const uscc: string[] = new Array<string>(count);
  const day: string[] = new Array<string>(count);
  let i = 0;
  for await (const rows of db.stream<Record<string, string | number | null>>(
    `SELECT as_of::VARCHAR AS as_of, uscc, ${cols.join(', ')} FROM feature_values
     WHERE list_contains(string_split($days, ',')::DATE[], as_of) ORDER BY as_of, uscc`,
    { days: days.join(',') },
  )) {
    for (const r of rows) {
      uscc[i] = r['uscc'] as string;
      day[i] = r['as_of'] as string;
      const base = i * cols.length;
      for (let j = 0; j < cols.length; j++) {
        const v = r[cols[j]!];
        matrix.data[base + j] = v === null || v === undefined ? Number.NaN : Number(v);
      }
      i++;
    }
  }
  return { matrix, uscc, day };
}
