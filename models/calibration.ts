import { ModelError } from './errors.ts';

/**
 * Probability calibration fitted on held-out scores (later days / other folds), so a score
 * becomes a probability. Both calibrators are monotone non-decreasing in the raw score, so they
 * never change the ranking except by merging ties (isotonic).
 *
 * - Isotonic: pool-adjacent-violators on (score, label), then linear interpolation between the
 *   block centres, clipped to the end values (as scikit-learn's IsotonicRegression with
 *   out_of_bounds='clip'). Flexible; wants a few hundred held-out positives.
 * - Platt: p = 1 / (1 + exp(a·s + b)) with Platt's smoothed targets, fitted by Newton's method;
 *   a ≤ 0 is enforced (monotone). Two parameters; robust on few positives.
 */
export type CalibratorJson =
  | { kind: 'isotonic'; version: 1; x: number[]; y: number[] }
  | { kind: 'platt'; version: 1; a: number; b: number }
  | { kind: 'identity'; version: 1 };

export interface Calibrator {
  readonly kind: CalibratorJson['kind'];
  apply(score: number): number;
  applyAll(scores: ArrayLike<number>): Float64Array;
  toJSON(): CalibratorJson;
}

function applyAll(c: { apply(s: number): number }, scores: ArrayLike<number>): Float64Array {
  const out = new Float64Array(scores.length);
  for (let i = 0; i < scores.length; i++) out[i] = c.apply(scores[i]!);
  return out;
}

function checkInputs(scores: ArrayLike<number>, labels: ArrayLike<number>, where: string): void {
  if (scores.length !== labels.length) {
    throw new ModelError(
      'input_invalid',
      `[calibration:${where}] ${scores.length} scores for ${labels.length} labels`,
    );
  }
  if (scores.length === 0)
    throw new ModelError('input_invalid', `[calibration:${where}] no held-out scores`);
}

export function identityCalibrator(): Calibrator {
  const c: Calibrator = {
    kind: 'identity',
    apply: (s) => s,
    applyAll: (s) => Float64Array.from(s),
    toJSON: () => ({ kind: 'identity', version: 1 }),
  };
  return c;
}

/** Isotonic regression (PAV) of labels on scores; optional per-row weights. */
export function fitIsotonic(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  weights?: ArrayLike<number>,
): Calibrator {
  checkInputs(scores, labels, 'isotonic');
  const order = Array.from({ length: scores.length }, (_, i) => i)
    .filter((i) => !Number.isNaN(scores[i]!))
    .sort((a, b) => scores[a]! - scores[b]! || a - b);
  // Blocks of equal score first (ties share one fitted value), then PAV.
  const bx: number[] = []; // weighted mean score of the block
  const by: number[] = []; // weighted mean label
  const bw: number[] = [];
  let i = 0;
  while (i < order.length) {
    let j = i;
    const s = scores[order[i]!]!;
    let w = 0;
    let yw = 0;
    while (j < order.length && scores[order[j]!]! === s) {
      const wi = weights ? weights[order[j]!]! : 1;
      w += wi;
      yw += wi * labels[order[j]!]!;
      j++;
    }
    bx.push(s);
    by.push(w > 0 ? yw / w : 0);
    bw.push(w);
    // Merge while the previous block's mean exceeds the new one (violators).
    while (by.length > 1 && by[by.length - 2]! > by[by.length - 1]!) {
      const w2 = bw.pop()!;
      const y2 = by.pop()!;
      const x2 = bx.pop()!;
      const w1 = bw[bw.length - 1]!;
      const tot = w1 + w2;
      by[by.length - 1] = (by[by.length - 1]! * w1 + y2 * w2) / tot;
      bx[bx.length - 1] = (bx[bx.length - 1]! * w1 + x2 * w2) / tot;
      bw[bw.length - 1] = tot;
    }
    i = j;
  }
  return isotonicFromPoints(bx, by);
}

function isotonicFromPoints(x: number[], y: number[]): Calibrator {
  if (x.length !== y.length || x.length === 0) {
    throw new ModelError(
      'input_invalid',
      '[calibration:isotonic] needs matching, non-empty x and y',
    );
  }
  const apply = (s: number): number => {
    if (Number.isNaN(s)) return Number.NaN;
    if (s <= x[0]!) return y[0]!;
    const n = x.length;
    if (s >= x[n - 1]!) return y[n - 1]!;
    let lo = 0;
    let hi = n - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1;
      if (x[mid]! <= s) lo = mid;
      else hi = mid;
    }
    const x0 = x[lo]!;
    const x1 = x[hi]!;
    return x1 > x0 ? y[lo]! + ((y[hi]! - y[lo]!) * (s - x0)) / (x1 - x0) : y[hi]!;
  };
  const c: Calibrator = {
    kind: 'isotonic',
    apply,
    applyAll: (s) => applyAll(c, s),
    toJSON: () => ({ kind: 'isotonic', version: 1, x: [...x], y: [...y] }),
  };
  return c;
}

/**
 * Platt scaling: logistic regression of the label on the score (one feature); optional per-row
 * weights (a sampled-down negative stands for 1 / its sampling rate rows).
 */
export function fitPlatt(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  weights?: ArrayLike<number>,
): Calibrator {
  checkInputs(scores, labels, 'platt');
  const s: number[] = [];
  const yv: number[] = [];
  const wv: number[] = [];
  for (let i = 0; i < scores.length; i++) {
    if (Number.isNaN(scores[i]!)) continue;
    s.push(scores[i]!);
    yv.push(labels[i]!);
    wv.push(weights ? weights[i]! : 1);
  }
  let nPos = 0;
  let nNeg = 0;
  for (let i = 0; i < yv.length; i++) {
    if (yv[i] === 1) nPos += wv[i]!;
    else nNeg += wv[i]!;
  }
  // Platt's targets avoid infinite weights on separable data.
  const hiT = (nPos + 1) / (nPos + 2);
  const loT = 1 / (nNeg + 2);
  const t = yv.map((v) => (v === 1 ? hiT : loT));
  // p = 1 / (1 + exp(a·s + b)); minimise cross-entropy by Newton with backtracking.
  let a = 0;
  let b = Math.log((nNeg + 1) / (nPos + 1));
  const loss = (aa: number, bb: number): number => {
    let l = 0;
    for (let i = 0; i < s.length; i++) {
      const f = aa * s[i]! + bb;
      // log(1 + e^f) stably
      const log1pexp = f > 0 ? f + Math.log1p(Math.exp(-f)) : Math.log1p(Math.exp(f));
      l += wv[i]! * (t[i]! * log1pexp + (1 - t[i]!) * (log1pexp - f));
    }
    return l;
  };
  let current = loss(a, b);
  for (let it = 0; it < 100; it++) {
    let g1 = 0;
    let g2 = 0;
    let h11 = 1e-12;
    let h22 = 1e-12;
    let h21 = 0;
    for (let i = 0; i < s.length; i++) {
      const f = a * s[i]! + b;
      const p = f >= 0 ? Math.exp(-f) / (1 + Math.exp(-f)) : 1 / (1 + Math.exp(f));
      const q = 1 - p;
      const d1 = wv[i]! * (t[i]! - p); // dL/df
      const d2 = wv[i]! * p * q;
      g1 += s[i]! * d1;
      g2 += d1;
      h11 += s[i]! * s[i]! * d2;
      h22 += d2;
      h21 += s[i]! * d2;
    }
    if (Math.abs(g1) < 1e-10 && Math.abs(g2) < 1e-10) break;
    const det = h11 * h22 - h21 * h21;
    const da = -(h22 * g1 - h21 * g2) / det;
    const db = -(-h21 * g1 + h11 * g2) / det;
    let step = 1;
    while (step > 1e-10) {
      const na = a + step * da;
      const nb = b + step * db;
      const nl = loss(na, nb);
      if (nl < current + 1e-4 * step * (g1 * da + g2 * db)) {
        a = na;
        b = nb;
        current = nl;
        break;
      }
      step /= 2;
    }
    if (step <= 1e-10) break;
  }
  // Monotone non-decreasing in the score: a must not be positive.
  if (a > 0) {
    a = 0;
    b = Math.log((nNeg + 1) / (nPos + 1));
  }
  return plattFromParams(a, b);
}

function plattFromParams(a: number, b: number): Calibrator {
  const apply = (sc: number): number => {
    const f = a * sc + b;
    return f >= 0 ? Math.exp(-f) / (1 + Math.exp(-f)) : 1 / (1 + Math.exp(f));
  };
  const c: Calibrator = {
    kind: 'platt',
    apply,
    applyAll: (s) => applyAll(c, s),
    toJSON: () => ({ kind: 'platt', version: 1, a, b }),
  };
  return c;
}

/** Fit a calibrator by name; optional per-row weights. */
export function fitCalibrator(
  kind: CalibratorJson['kind'],
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  weights?: ArrayLike<number>,
): Calibrator {
  if (kind === 'isotonic') return fitIsotonic(scores, labels, weights);
  if (kind === 'platt') return fitPlatt(scores, labels, weights);
  return identityCalibrator();
}

/** Rebuild a calibrator from its JSON; validates kind, version and shape. */
export function calibratorFromJSON(json: unknown): Calibrator {
  const o = json as Partial<Record<string, unknown>> | null;
  if (typeof o !== 'object' || o === null)
    throw new ModelError('artifact_invalid', '[calibration] expected an object');
  if (o['version'] !== 1) {
    throw new ModelError(
      'artifact_invalid',
      `[calibration] unsupported version ${JSON.stringify(o['version'])}; expected 1`,
    );
  }
  switch (o['kind']) {
    case 'identity':
      return identityCalibrator();
    case 'platt': {
      const a = o['a'];
      const b = o['b'];
      if (typeof a !== 'number' || typeof b !== 'number')
        throw new ModelError('artifact_invalid', '[calibration] platt needs numbers a and b');
      return plattFromParams(a, b);
    }
    case 'isotonic': {
      const x = o['x'];
      const y = o['y'];
      const ok = (v: unknown): v is number[] =>
        Array.isArray(v) && v.every((e) => typeof e === 'number');
      if (!ok(x) || !ok(y) || x.length !== y.length || x.length === 0) {
        throw new ModelError(
          'artifact_invalid',
          '[calibration] isotonic needs equal-length number arrays x and y',
        );
      }
      for (let i = 1; i < x.length; i++) {
        if (!(x[i]! >= x[i - 1]!) || !(y[i]! >= y[i - 1]!)) {
          throw new ModelError(
            'artifact_invalid',
            '[calibration] isotonic points must be non-decreasing',
          );
        }
      }
      return isotonicFromPoints(x, y);
    }
    default:
      throw new ModelError(
        'artifact_invalid',
        `[calibration] unknown kind ${JSON.stringify(o['kind'])}`,
      );
  }
}
