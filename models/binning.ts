import type { Matrix } from './matrix.ts';
import { createRng } from './random.ts';

/**
 * Quantile binning of a Matrix into ≤ 256 bins per feature, stored as a column-major Uint8Array.
 *
 * Bin 0 is reserved for missing values (NaN); non-missing values go to bins 1..nBins[f].
 * Bin b (b ≥ 1) holds the values x with edges[b-2] < x ≤ edges[b-1]: a value's bin is
 * 1 + (number of edges strictly below it). So the split "bin ≤ t" is exactly "x ≤ edges[t-1]"
 * for t ≥ 1, and "x is NaN" for t = 0. Because NaN compares false with everything, scoring raw
 * values with `x > threshold ? right : left` sends NaN left, i.e. missing behaves as the lowest
 * value at every split, and a split at t = 0 isolates "missing" from "present".
 */
export interface BinEdges {
  /** Per feature, ascending Float32 bin upper edges (length = non-missing bins − 1). */
  edges: Float32Array[];
  /** Per feature, number of non-missing bins (≥ 1). */
  nBins: Uint16Array;
}

export interface BinnedMatrix {
  /** Column-major codes: codes[f * rows + i]. */
  codes: Uint8Array;
  rows: number;
  cols: number;
}

export interface BinOptions {
  /** Maximum non-missing bins per feature, 2..255 (bin 0 is NaN). Default 255. */
  maxBins?: number;
  /** Values sampled per feature to find quantiles. Default 200,000. */
  sampleSize?: number;
  seed?: number;
}

export const MAX_BINS = 255;

/** Learn per-feature bin edges from the (non-missing) values of each column. */
export function fitBins(m: Matrix, options: BinOptions = {}): BinEdges {
  const maxBins = Math.max(2, Math.min(MAX_BINS, options.maxBins ?? MAX_BINS));
  const sampleSize = options.sampleSize ?? 200_000;
  const rng = createRng(options.seed ?? 0, 0x5eed);
  const rows = m.rows;
  let sampleRows: Int32Array | null = null;
  if (rows > sampleSize) {
    // Deterministic sample without replacement (partial Fisher–Yates).
    const perm = new Int32Array(rows);
    for (let i = 0; i < rows; i++) perm[i] = i;
    for (let i = 0; i < sampleSize; i++) {
      const j = i + rng.int(rows - i);
      const t = perm[i]!;
      perm[i] = perm[j]!;
      perm[j] = t;
    }
    sampleRows = perm.slice(0, sampleSize).sort();
  }
  const n = sampleRows ? sampleRows.length : rows;
  const buf = new Float32Array(n);
  const edges: Float32Array[] = [];
  const nBins = new Uint16Array(m.cols);
  for (let f = 0; f < m.cols; f++) {
    let k = 0;
    for (let s = 0; s < n; s++) {
      const r = sampleRows ? sampleRows[s]! : s;
      const v = m.data[r * m.cols + f]!;
      if (!Number.isNaN(v)) buf[k++] = v;
    }
    const e = edgesFor(buf.subarray(0, k).sort(), maxBins);
    edges.push(e);
    nBins[f] = e.length + 1;
  }
  return { edges, nBins };
}

/** Edges from sorted non-missing values. */
function edgesFor(sorted: Float32Array, maxBins: number): Float32Array {
  const n = sorted.length;
  if (n === 0) return new Float32Array(0);
  // Distinct values.
  const distinct: number[] = [];
  // (only whether there are more than maxBins matters beyond that: stop there)
  for (let i = 0; i < n && distinct.length <= maxBins; i++) {
    const v = sorted[i]!;
    if (distinct.length === 0 || v !== distinct[distinct.length - 1]) distinct.push(v);
  }
  const out: number[] = [];
  const cut = (lo: number, hi: number): void => {
    // Midpoint rounded to float32, kept strictly inside [lo, hi).
    let e = Math.fround((lo + hi) / 2);
    if (!(e >= lo && e < hi)) e = lo;
    if (out.length === 0 || e > out[out.length - 1]!) out.push(e);
  };
  if (distinct.length <= maxBins) {
    for (let i = 0; i + 1 < distinct.length; i++) cut(distinct[i]!, distinct[i + 1]!);
  } else {
    // Quantile cut points; each cut falls between a quantile value and the next distinct value,
    // so heavy values (e.g. many zeros) get a bin of their own.
    for (let q = 1; q < maxBins; q++) {
      const v = sorted[Math.min(n - 1, Math.floor((q * n) / maxBins))]!;
      const next = upperBound(sorted, v);
      if (next >= n) break;
      cut(v, sorted[next]!);
    }
  }
  return Float32Array.from(out);
}

function upperBound(sorted: Float32Array, v: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The bin of one value: 0 for NaN, else 1 + number of edges strictly below v. */
export function binOf(edges: Float32Array, v: number): number {
  if (Number.isNaN(v)) return 0;
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (edges[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo + 1;
}

/** Apply edges to a matrix (columns in the same order as when fitted). */
export function applyBins(m: Matrix, bins: BinEdges): BinnedMatrix {
  const { rows, cols } = m;
  const codes = new Uint8Array(rows * cols);
  for (let f = 0; f < cols; f++) {
    const e = bins.edges[f]!;
    const off = f * rows;
    for (let i = 0, p = f; i < rows; i++, p += cols) codes[off + i] = binOf(e, m.data[p]!);
  }
  return { codes, rows, cols };
}

/**
 * The raw threshold equivalent to the split "bin ≤ t": go right iff x > threshold.
 * t = 0 (NaN vs present) maps to −Infinity (NaN > −∞ is false, so NaN goes left).
 */
export function thresholdOf(bins: BinEdges, f: number, t: number): number {
  return t === 0 ? Number.NEGATIVE_INFINITY : bins.edges[f]![t - 1]!;
}
