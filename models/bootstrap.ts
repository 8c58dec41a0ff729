/**
 * Paired bootstrap over units (e.g. confirmed schemes) for comparing two scorers evaluated on the
 * same units: resample the units with replacement, recompute each statistic for both scorers and
 * report the percentile interval of the difference. With a few dozen schemes this is what tells a
 * real difference from noise.
 */
import { createRng } from './random.ts';

export interface PairedUnit {
  /** Per-unit additive quantity of scorer A and B (e.g. days in the top 50 while positive). */
  a: number;
  b: number;
  /** Per-unit value whose median is compared (e.g. lead time); NaN = not defined for that unit. */
  medianA: number;
  medianB: number;
}

export interface BootstrapInterval {
  /** The difference A − B on the sample itself. */
  estimate: number;
  lo: number;
  hi: number;
  /** Share of resamples where A − B > 0 (and < 0). */
  above: number;
  below: number;
}

export interface PairedBootstrapResult {
  /** (Σ a − Σ b) / scale. */
  sum: BootstrapInterval;
  /** median(medianA) − median(medianB). */
  median: BootstrapInterval;
}

function median(xs: number[]): number {
  const v = xs.filter((x) => !Number.isNaN(x)).sort((p, q) => p - q);
  if (v.length === 0) return Number.NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
}

function interval(estimate: number, draws: number[], level: number): BootstrapInterval {
  const v = draws.filter((x) => !Number.isNaN(x)).sort((p, q) => p - q);
  const at = (p: number) =>
    v.length ? v[Math.min(v.length - 1, Math.max(0, Math.round(p * (v.length - 1))))]! : Number.NaN;
  const alpha = (1 - level) / 2;
  return {
    estimate,
    lo: at(alpha),
    hi: at(1 - alpha),
    above: v.length ? v.filter((x) => x > 0).length / v.length : Number.NaN,
    below: v.length ? v.filter((x) => x < 0).length / v.length : Number.NaN,
  };
}

export function pairedBootstrap(
  units: readonly PairedUnit[],
  o: { scale?: number; resamples?: number; level?: number; seed?: number } = {},
): PairedBootstrapResult {
  const scale = o.scale ?? 1;
  const n = units.length;
  const stat = (us: readonly PairedUnit[]) => ({
    sum: us.reduce((s, u) => s + u.a - u.b, 0) / scale,
    median: median(us.map((u) => u.medianA)) - median(us.map((u) => u.medianB)),
  });
  const est = stat(units);
  const rng = createRng(o.seed ?? 5, 0);
  const sums: number[] = [];
  const medians: number[] = [];
  for (let r = 0; r < (o.resamples ?? 2000) && n > 0; r++) {
    const sample = Array.from({ length: n }, () => units[rng.int(n)]!);
    const s = stat(sample);
    sums.push(s.sum);
    medians.push(s.median);
  }
  return {
    sum: interval(est.sum, sums, o.level ?? 0.95),
    median: interval(est.median, medians, o.level ?? 0.95),
  };
}
