import { ModelError } from './errors.ts';

/**
 * A dense feature matrix: row-major Float32, NaN = missing. `columns` names each column
 * (feature names are how models, artefacts and explanations line up).
 */
export interface Matrix {
  data: Float32Array;
  rows: number;
  cols: number;
  columns: string[];
}

/** A zero-filled (or NaN-filled) matrix. Column names default to `f0, f1, …`. */
export function createMatrix(
  rows: number,
  cols: number,
  columns?: readonly string[],
  fill = 0,
): Matrix {
  const names = columns ? [...columns] : Array.from({ length: cols }, (_, j) => `f${j}`);
  if (names.length !== cols) {
    throw new ModelError(
      'input_invalid',
      `[matrix] ${names.length} column names for ${cols} columns`,
    );
  }
  const data = new Float32Array(rows * cols);
  if (fill !== 0) data.fill(fill);
  return { data, rows, cols, columns: names };
}

/** Build from an array of rows (`null`/`undefined` become NaN). */
export function matrixFromRows(
  rows: readonly (readonly (number | null | undefined)[])[],
  columns?: readonly string[],
): Matrix {
  const cols = columns ? columns.length : (rows[0]?.length ?? 0);
  const m = createMatrix(rows.length, cols, columns);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (r.length !== cols) {
      throw new ModelError(
        'input_invalid',
        `[matrix] row ${i} has ${r.length} values, expected ${cols}`,
      );
    }
    for (let j = 0; j < cols; j++) {
      const v = r[j];
      m.data[i * cols + j] = v === null || v === undefined ? Number.NaN : v;
    }
  }
  return m;
}

/** Check shape invariants; throws ModelError('input_invalid'). */
export function assertMatrix(m: Matrix, where = 'matrix'): void {
  if (!(m.data instanceof Float32Array)) {
    throw new ModelError('input_invalid', `[${where}] data must be a Float32Array`);
  }
  if (m.data.length !== m.rows * m.cols) {
    throw new ModelError(
      'input_invalid',
      `[${where}] data has ${m.data.length} values, expected ${m.rows}×${m.cols}`,
    );
  }
  if (m.columns.length !== m.cols) {
    throw new ModelError(
      'input_invalid',
      `[${where}] ${m.columns.length} column names for ${m.cols} columns`,
    );
  }
}

/** A copy of one column. */
export function columnValues(m: Matrix, col: number): Float32Array {
  const out = new Float32Array(m.rows);
  for (let i = 0, p = col; i < m.rows; i++, p += m.cols) out[i] = m.data[p]!;
  return out;
}

/** A new matrix with the given rows, in the given order. */
export function selectRows(m: Matrix, rows: ArrayLike<number>): Matrix {
  const out = createMatrix(rows.length, m.cols, m.columns);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    out.data.set(m.data.subarray(r * m.cols, (r + 1) * m.cols), i * m.cols);
  }
  return out;
}

/**
 * Reorder (or subset) columns by name so `m` lines up with a model's `columns`.
 * Returns `m` itself when it already matches. Missing columns throw unless `missing: 'nan'`.
 */
export function alignColumns(
  m: Matrix,
  columns: readonly string[],
  options: { missing?: 'throw' | 'nan' } = {},
): Matrix {
  if (m.cols === columns.length && m.columns.every((c, j) => c === columns[j])) return m;
  const index = new Map(m.columns.map((c, j) => [c, j] as const));
  const src = columns.map((c) => index.get(c) ?? -1);
  const absent = columns.filter((_, j) => src[j] === -1);
  if (absent.length > 0 && options.missing !== 'nan') {
    throw new ModelError('input_invalid', `[matrix] missing columns: ${absent.join(', ')}`);
  }
  const out = createMatrix(m.rows, columns.length, columns);
  for (let i = 0; i < m.rows; i++) {
    const base = i * m.cols;
    const ob = i * columns.length;
    for (let j = 0; j < columns.length; j++) {
      const s = src[j]!;
      out.data[ob + j] = s < 0 ? Number.NaN : m.data[base + s]!;
    }
  }
  return out;
}
