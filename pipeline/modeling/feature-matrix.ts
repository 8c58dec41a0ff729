/**
 * Feature rows from `feature_values` as a models/ Matrix (NaN = missing).
 *
 * - One consistent snapshot: the rows are counted and then streamed inside one read transaction
 *   on a connection of their own (`db.fork()`), so writers (a daily run, an ingest) neither change
 *   what is read halfway nor stop the stream. If a day's stream still disagrees with its count,
 *   loading stops with an error naming the day and both numbers: rows are never dropped or
 *   written past the matrix.
 * - Bounded memory: the matrix is allocated once at its counted size and filled column by column
 *   from DuckDB's chunks (no object per row); days are streamed one at a time (a sort of one day).
 * - Optionally a sampled training set (pipeline/modeling/sampling.ts): the strata are counted in
 *   the same snapshot, and each row carries its weight.
 */
import type { Db, DbChunk } from '../db/index.ts';
import { AppError } from '../errors.ts';
import { FEATURE_NAMES } from '../features/registry.ts';
import { createMatrix, type Matrix } from '../../models/index.ts';
import {
  chooseRates,
  DEFAULT_SAMPLING,
  HARD_NEGATIVE_SQL,
  ppm,
  STRATA,
  type SamplingOptions,
  type SamplingRecord,
  type StratumCounts,
} from './sampling.ts';

export interface FeatureRows {
  matrix: Matrix;
  uscc: string[];
  day: string[];
  /**
   * Sampled rows only: how many rows of its day and stratum each row stands for (absent when
   * every row was read).
   */
  weight?: Float64Array;
  /** Sampled rows only: the rates and counts. */
  sampling?: SamplingRecord;
}

export interface LoadFeatureOptions {
  /** Rows for which this returns false are skipped as they stream (e.g. enterprises already confirmed). */
  keep?: (uscc: string, day: string) => boolean;
  /**
   * A sampled training set: negatives sampled by stratum, the `confirmed` stratum being the
   * enterprises with a confirmed outcome decided on or before `until`.
   */
  sample?: SamplingOptions & { until: string };
  /** Called after each day is read, with the rows read so far and in all (progress). */
  onDay?: (day: string, read: number, total: number) => void | Promise<void>;
}

const dayList = (days: readonly string[]) => ({ days: days.join(',') });
const IN_DAYS = `list_contains(string_split($days, ',')::DATE[], f.as_of)`;
const CONFIRMED = `(SELECT DISTINCT uscc FROM case_outcomes WHERE outcome = 'confirmed' AND decided_on <= $until::DATE)`;
const STRATUM_SQL = `CASE WHEN c.uscc IS NOT NULL THEN 0 WHEN ${HARD_NEGATIVE_SQL} THEN 1 ELSE 2 END`;
/** A row's place in [0, 1e6): the same for the same (uscc, as_of, seed) on every run. */
const HASH_SQL = `(hash(f.uscc, f.as_of, $seed::INTEGER) % 1000000)::INTEGER`;
const KEPT_SQL = `(stratum = 0 OR (stratum = 1 AND u < $hardPpm) OR (stratum = 2 AND u < $easyPpm))`;

/** All enterprises' features on the given days (computed already), ordered by day, uscc. */
export async function loadFeatureRows(
  db: Db,
  days: readonly string[],
  o: LoadFeatureOptions = {},
): Promise<FeatureRows> {
  const snapshot = await db.fork();
  try {
    return await snapshot.transaction((tx) => readSnapshot(tx, [...days].sort(), o));
  } finally {
    snapshot.close();
  }
}

async function readSnapshot(tx: Db, days: string[], o: LoadFeatureOptions): Promise<FeatureRows> {
  const cols = FEATURE_NAMES;
  const select = cols.map((c) => `f.${c}::DOUBLE`).join(', ');
  let expected: Map<string, number>;
  let rowSql: string;
  let params: (day: string) => Record<string, string | number>;
  let weightOf: ((day: string, stratum: number) => number) | null = null;
  let sampling: SamplingRecord | undefined;
  if (o.sample) {
    const s = o.sample;
    const seed = s.seed ?? DEFAULT_SAMPLING.seed;
    const strata = `SELECT f.as_of, ${STRATUM_SQL} AS stratum, ${HASH_SQL} AS u
      FROM feature_values f LEFT JOIN ${CONFIRMED} c ON c.uscc = f.uscc WHERE ${IN_DAYS}`;
    const base = { ...dayList(days), until: s.until, seed };
    const all = await tx.all<{ stratum: number; n: number }>(
      `SELECT stratum, count(*)::BIGINT::DOUBLE AS n FROM (${strata}) GROUP BY stratum`,
      base,
    );
    const candidates = countsOf(all.map((r) => [r.stratum, r.n]));
    const rates = chooseRates(s, candidates);
    const kept = await tx.all<{ d: string; stratum: number; n: number; k: number }>(
      `SELECT as_of::VARCHAR AS d, stratum, count(*)::BIGINT::DOUBLE AS n,
              (count(*) FILTER (WHERE ${KEPT_SQL}))::BIGINT::DOUBLE AS k
       FROM (${strata}) GROUP BY ALL`,
      { ...base, hardPpm: ppm(rates.hardRate), easyPpm: ppm(rates.easyRate) },
    );
    expected = new Map();
    const weights = new Map<string, number>();
    for (const r of kept) {
      expected.set(r.d, (expected.get(r.d) ?? 0) + r.k);
      if (r.k > 0) weights.set(`${r.d}|${r.stratum}`, r.n / r.k);
    }
    weightOf = (day, stratum) => weights.get(`${day}|${stratum}`) ?? Number.NaN;
    sampling = {
      ...rates,
      seed,
      candidates,
      kept: countsOf(kept.map((r) => [r.stratum, r.k])),
    };
    rowSql = `SELECT uscc, stratum, * EXCLUDE (uscc, stratum, u) FROM (
        SELECT f.uscc, ${STRATUM_SQL} AS stratum, ${HASH_SQL} AS u, ${select}
        FROM feature_values f LEFT JOIN ${CONFIRMED} c ON c.uscc = f.uscc
        WHERE f.as_of = $day::DATE)
      WHERE ${KEPT_SQL} ORDER BY uscc`;
    params = (day) => ({
      day,
      until: s.until,
      seed,
      hardPpm: ppm(rates.hardRate),
      easyPpm: ppm(rates.easyRate),
    });
  } else {
    const counts = await tx.all<{ d: string; n: number }>(
      `SELECT f.as_of::VARCHAR AS d, count(*)::BIGINT::DOUBLE AS n FROM feature_values f WHERE ${IN_DAYS} GROUP BY ALL`,
      dayList(days),
    );
    expected = new Map(counts.map((r) => [r.d, r.n]));
    rowSql = `SELECT f.uscc, ${select} FROM feature_values f WHERE f.as_of = $day::DATE ORDER BY f.uscc`;
    params = (day) => ({ day });
  }
  const total = [...expected.values()].reduce((s, n) => s + n, 0);
  const matrix = createMatrix(total, cols.length, cols);
  const uscc: string[] = [];
  const day: string[] = [];
  const weight = weightOf ? new Float64Array(total) : null;
  const first = weightOf ? 2 : 1; // columns before the features: uscc (, stratum)
  let filled = 0;
  let read = 0;
  for (const d of days) {
    const want = expected.get(d) ?? 0;
    const chunks = tx.streamChunks(rowSql, params(d));
    filled = await readDay(chunks, d, want, matrix, filled, first, (c, i, row) => {
      const u = c.uscc[i]!;
      if (o.keep && !o.keep(u, d)) return false;
      uscc.push(u);
      day.push(d);
      if (weight && weightOf) weight[row] = weightOf(d, c.stratum![i]!);
      return true;
    });
    read += want;
    await o.onDay?.(d, read, total);
  }
  const rows = filled;
  const out: FeatureRows = {
    matrix: { ...matrix, rows, data: matrix.data.subarray(0, rows * cols.length) },
    uscc,
    day,
  };
  // every rate 1: the full set, weights all 1 (left out, so training takes its unweighted path)
  if (weight && sampling && (sampling.easyRate < 1 || sampling.hardRate < 1))
    out.weight = weight.subarray(0, rows);
  if (sampling) out.sampling = sampling;
  return out;
}

function countsOf(rows: [number, number][]): StratumCounts {
  const c: StratumCounts = { confirmed: 0, hard: 0, easy: 0 };
  for (const [s, n] of rows) c[STRATA[s]!] += n;
  return c;
}

/** One chunk's identifying columns, for the per-row decision. */
export interface ChunkKeys {
  uscc: string[];
  stratum: Float64Array | null;
}

/**
 * Reads one day's stream into `matrix` from row `filled` on: the chunk's feature columns (from
 * column `first` on) straight into the typed array, then rows `take` declines are squeezed out.
 * Throws, before writing, when the stream holds more rows than `expected`, and at the end when it
 * held fewer. Returns the new fill level.
 */
export async function readDay(
  chunks: AsyncIterable<DbChunk>,
  day: string,
  expected: number,
  matrix: Matrix,
  filled: number,
  first: number,
  take: (keys: ChunkKeys, i: number, row: number) => boolean,
): Promise<number> {
  const cols = matrix.cols;
  const data = matrix.data;
  let streamed = 0;
  let stratum: Float64Array | null = null;
  for await (const chunk of chunks) {
    const n = chunk.rowCount;
    if (streamed + n > expected || filled + n > matrix.rows) {
      throw mismatch(day, expected, `more (at least ${streamed + n})`);
    }
    streamed += n;
    const uscc = chunk.strings(0).map((u) => u ?? '');
    if (first > 1) {
      stratum ??= new Float64Array(4096);
      if (stratum.length < n) stratum = new Float64Array(n);
      chunk.numbers(1, stratum, 0, 1);
    }
    for (let j = 0; j < cols; j++) chunk.numbers(first + j, data, filled * cols + j, cols);
    const keys: ChunkKeys = { uscc, stratum };
    let dst = filled;
    for (let i = 0; i < n; i++) {
      if (!take(keys, i, dst)) continue;
      if (dst !== filled + i)
        data.copyWithin(dst * cols, (filled + i) * cols, (filled + i + 1) * cols);
      dst++;
    }
    filled = dst;
  }
  if (streamed !== expected) throw mismatch(day, expected, String(streamed));
  return filled;
}

function mismatch(day: string, expected: number, got: string): AppError {
  return new AppError(
    'model_failed',
    `[features] feature rows of ${day}: counted ${expected}, the stream in the same snapshot held ${got}; nothing was used (the feature table changed under a reader that does not see one snapshot?)`,
  );
}
