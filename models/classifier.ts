import type { Matrix } from './matrix.ts';
import type { ModelArtifact } from './artifact.ts';
import { ModelError } from './errors.ts';

/**
 * Per-feature contributions for one row (Saabas / tree-path contributions averaged over
 * trees): `bias + Σ values = prediction` (within float rounding), `values[j]` belongs to
 * `columns[j]`.
 */
export interface Contributions {
  bias: number;
  values: Float64Array;
  prediction: number;
  columns: readonly string[];
}

/** A binary classifier over a Matrix; labels are 0/1, `predictProba` returns P(label = 1). */
export interface Classifier {
  readonly kind: ModelArtifact['format'];
  /** Feature names the model was trained on (inputs are aligned to these by name). */
  readonly columns: readonly string[];
  fit(x: Matrix, y: ArrayLike<number>): this;
  predictProba(x: Matrix): Float64Array;
  contributions(x: Matrix, row: number): Contributions;
  toArtifact(): ModelArtifact;
}

/** Validate 0/1 labels against a matrix; returns them as a Uint8Array. */
export function toBinaryLabels(y: ArrayLike<number>, rows: number, where: string): Uint8Array {
  if (y.length !== rows) {
    throw new ModelError('input_invalid', `[${where}] ${y.length} labels for ${rows} rows`);
  }
  const out = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) {
    const v = y[i];
    if (v !== 0 && v !== 1) {
      throw new ModelError(
        'input_invalid',
        `[${where}] label ${i} is ${String(v)}, expected 0 or 1`,
      );
    }
    out[i] = v;
  }
  return out;
}
