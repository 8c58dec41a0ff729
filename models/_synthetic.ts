import { createMatrix } from './matrix.ts';
import type { Matrix } from './matrix.ts';
import { createRng } from './random.ts';

/**
 * A seeded synthetic binary task for tests and benchmarks (not exported from index.ts):
 * `informative` features drive a non-linear logit (thresholds, an interaction, a monotone
 * term), the rest are noise; `missing` is the share of NaN cells; the intercept is tuned so
 * roughly `positiveRate` of rows are positive.
 */
export interface SyntheticOptions {
  rows: number;
  cols: number;
  informative?: number;
  positiveRate?: number;
  missing?: number;
  seed?: number;
  /** Label noise: share of labels flipped at random. */
  flip?: number;
}

export function makeClassification(o: SyntheticOptions): { x: Matrix; y: Uint8Array } {
  const rng = createRng(o.seed ?? 1, 99);
  const informative = Math.min(o.cols, o.informative ?? Math.max(2, Math.floor(o.cols / 4)));
  const x = createMatrix(o.rows, o.cols);
  const normal = (): number => {
    const u = Math.max(1e-12, rng.next());
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
  };
  const logit = new Float64Array(o.rows);
  for (let i = 0; i < o.rows; i++) {
    let z = 0;
    for (let j = 0; j < o.cols; j++) {
      const v = j % 5 === 4 ? Math.floor(rng.next() * 6) : normal();
      x.data[i * o.cols + j] = v;
      if (j < informative) {
        const w = 1.2 / Math.sqrt(informative);
        switch (j % 4) {
          case 0:
            z += w * 2 * (v > 0.5 ? 1 : -0.3);
            break;
          case 1:
            z += w * v;
            break;
          case 2:
            z += w * (v * v - 1);
            break;
          default:
            z += w * Math.tanh(2 * v) * (x.data[i * o.cols + j - 1]! > 0 ? 1.5 : -0.5);
        }
      }
    }
    logit[i] = z;
  }
  // Intercept by bisection so that the mean probability matches positiveRate.
  const target = o.positiveRate ?? 0.1;
  let lo = -20;
  let hi = 20;
  for (let it = 0; it < 60; it++) {
    const mid = (lo + hi) / 2;
    let s = 0;
    for (let i = 0; i < o.rows; i++) s += 1 / (1 + Math.exp(-(3 * logit[i]! + mid)));
    if (s / o.rows < target) lo = mid;
    else hi = mid;
  }
  const b = (lo + hi) / 2;
  const y = new Uint8Array(o.rows);
  const flip = o.flip ?? 0;
  for (let i = 0; i < o.rows; i++) {
    let label = rng.next() < 1 / (1 + Math.exp(-(3 * logit[i]! + b))) ? 1 : 0;
    if (flip > 0 && rng.next() < flip) label = 1 - label;
    y[i] = label;
  }
  const missing = o.missing ?? 0;
  if (missing > 0) {
    for (let k = 0; k < x.data.length; k++) if (rng.next() < missing) x.data[k] = Number.NaN;
  }
  return { x, y };
}
