import type { Classifier, Contributions } from './classifier.ts';
import type { Matrix } from './matrix.ts';
import { alignColumns } from './matrix.ts';

/**
 * Turning contributions into reasons in words. The wording belongs to the feature registry,
 * which is data passed in (written next to the features in pipeline/): each entry names a
 * feature, gives its Chinese label and optionally a formatter for its value, e.g.
 * `{ name: 'promised_yield', label_zh: '承诺年化收益', format: (v) => \`承诺年化收益 ${v}%\` }`.
 * This module only ranks and assembles; it never invents wording.
 */
export interface FeatureInfo {
  name: string;
  label_zh: string;
  /** Renders the feature value as a phrase ("承诺年化收益 24%"); default `${label_zh} ${value}`. */
  format?: (value: number) => string;
}

export interface Reason {
  feature: string;
  label: string;
  value: number;
  /** Contribution to the score (probability points). */
  contribution: number;
  text: string;
}

export interface ReasonOptions {
  /** How many reasons. Default 3. */
  k?: number;
  /** Only contributions above this (default 0: reasons that raise the score). */
  minContribution?: number;
  /** 'up' (default): what raised the score; 'down': what lowered it; 'both': by |contribution|. */
  direction?: 'up' | 'down' | 'both';
  /** Text for a missing value when the feature has no formatter. Default '缺失'. */
  missingText?: string;
}

export function defaultFormat(label: string, value: number, missingText = '缺失'): string {
  if (Number.isNaN(value)) return `${label} ${missingText}`;
  const rounded = Number.isInteger(value) ? String(value) : String(Math.round(value * 100) / 100);
  return `${label} ${rounded}`;
}

/**
 * The top-k reasons of one row: contributions ranked (ties by column order), each rendered with
 * the registry's formatter. `values` is the row's feature values aligned with `contrib.columns`.
 */
export function topReasons(
  contrib: Contributions,
  values: ArrayLike<number>,
  registry: readonly FeatureInfo[],
  options: ReasonOptions = {},
): Reason[] {
  const k = options.k ?? 3;
  const min = options.minContribution ?? 0;
  const direction = options.direction ?? 'up';
  const byName = new Map(registry.map((f) => [f.name, f] as const));
  const order = Array.from(contrib.values.keys()).filter((j) => {
    const c = contrib.values[j]!;
    if (direction === 'up') return c > min;
    if (direction === 'down') return c < -min;
    return Math.abs(c) > min;
  });
  const key = (j: number): number => {
    const c = contrib.values[j]!;
    return direction === 'up' ? c : direction === 'down' ? -c : Math.abs(c);
  };
  order.sort((a, b) => key(b) - key(a) || a - b);
  return order.slice(0, k).map((j) => {
    const name = contrib.columns[j]!;
    const info = byName.get(name);
    const label = info?.label_zh ?? name;
    const value = values[j]!;
    const text = info?.format
      ? info.format(value)
      : defaultFormat(label, value, options.missingText);
    return { feature: name, label, value, contribution: contrib.values[j]!, text };
  });
}

/** Contributions and reasons for one row of a matrix, in one call. */
export function explainRow(
  model: Classifier,
  x: Matrix,
  row: number,
  registry: readonly FeatureInfo[],
  options: ReasonOptions = {},
): { contributions: Contributions; reasons: Reason[] } {
  const contributions = model.contributions(x, row);
  const m = alignColumns(x, model.columns);
  const values = m.data.subarray(row * m.cols, (row + 1) * m.cols);
  return { contributions, reasons: topReasons(contributions, values, registry, options) };
}
