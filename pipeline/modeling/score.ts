/**
 * Scoring a day: the active model (calibrated probability — of the forest fused with the rule
 * index when the model has a fusion, models/ensemble.ts) or, with no active model, the rule
 * index alone; the rule index is always computed beside it. Listed enterprises (those with a
 * level) keep their reasons, each feature's contribution and the feature values as issued.
 */
import {
  createLevels,
  fuseOne,
  ruleContributions,
  ruleIndex,
  selectRows,
  topReasons,
  type Contributions,
  type Level,
  type LevelThresholds,
  type Matrix,
  type RankFusion,
} from '../../models/index.ts';
import { FEATURES } from '../features/registry.ts';
import { modelInput, predictParallel, type ModelBundle } from './bundle.ts';
import { DERIVED_FEATURES } from './derived.ts';
import { TEXT_SCORE_COLUMN, TEXT_SCORE_LABEL } from './text-score.ts';

export interface ScoredRow {
  uscc: string;
  score: number;
  /** Ranking key after score: the forest's raw probability (or the rule index). */
  tie: number;
  rule: number;
  level: Level | null;
  reasons?: { feature: string; label: string; value: number; contribution: number; text: string }[];
  contributions?: Record<string, number>;
  features?: Record<string, number | null>;
}

export const DEFAULT_THRESHOLDS: { model: LevelThresholds; rules: LevelThresholds } = {
  model: { red: 0.3, orange: 0.1, yellow: 0.01 },
  rules: { red: 0.45, orange: 0.3, yellow: 0.2 },
};

const REGISTRY = [
  ...FEATURES.map((f) => ({ name: f.name, label_zh: f.label_zh, format: f.describe })),
  ...DERIVED_FEATURES.map((f) => ({ name: f.name, label_zh: f.label_zh, format: f.describe })),
  {
    name: 'rule_index',
    label_zh: '冒烟指数',
    format: (v: number) => `冒烟指数（规则综合分）${v.toFixed(2)}`,
  },
  {
    name: TEXT_SCORE_COLUMN,
    label_zh: TEXT_SCORE_LABEL,
    format: (v: number) => `广告文本与已认定案件广告相似（文本模型分 ${v.toFixed(2)}）`,
  },
];

/**
 * Contributions of a calibrated score: the forest's path contributions, rescaled so that
 * bias + Σ contributions = calibrated score (exact for a monotone calibrator).
 */
function calibrated(c: Contributions, calibrate: (p: number) => number): Contributions {
  const bias = calibrate(c.bias);
  const score = calibrate(c.prediction);
  const span = c.prediction - c.bias;
  const k = Math.abs(span) > 1e-12 ? (score - bias) / span : 0;
  return { bias, values: c.values.map((v) => v * k), prediction: score, columns: c.columns };
}

/** Scores a day's matrix: the model's trees on worker threads (bundle.ts predictParallel). */
export async function scoreMatrix(
  x: Matrix,
  uscc: readonly string[],
  model: ModelBundle | null,
  thresholds = DEFAULT_THRESHOLDS,
): Promise<ScoredRow[]> {
  const pred = model ? await predictParallel(model, x) : null;
  const rules = pred?.rules ?? ruleIndex(x);
  const levels = createLevels(model ? thresholds.model : thresholds.rules);
  const rows: ScoredRow[] = uscc.map((u, i) => {
    const score = pred ? pred.score[i]! : rules[i]!;
    return {
      uscc: u,
      score,
      tie: pred ? pred.raw[i]! : rules[i]!,
      rule: rules[i]!,
      level: levels.levelFor(score),
    };
  });
  rows.forEach((r, i) => {
    if (r.level === null) return;
    const values = x.data.subarray(i * x.cols, (i + 1) * x.cols);
    const fusion = model?.fusion;
    const lead =
      model && fusion
        ? fuseOne(fusion, pred!.forest[i]!, rules[i]!).lead
        : model
          ? 'model'
          : 'rules';
    const one = lead === 'model' ? modelInput(model!, selectRows(x, [i])) : null;
    let c: Contributions;
    if (!model) c = ruleContributions(x, i);
    else if (!fusion)
      c = calibrated(model.classifier.contributions(one!, 0), (p) => model.calibrator.apply(p));
    else
      c = fusedContributions(
        lead === 'model' ? model.classifier.contributions(one!, 0) : ruleContributions(x, i),
        r.score,
        fusion,
        (s) => model.calibrator.apply(s),
      );
    r.reasons = topReasons(c, one ? alignedValues(one, c.columns) : values, REGISTRY, { k: 5 });
    r.contributions = Object.fromEntries(c.columns.map((name, j) => [name, round(c.values[j]!)]));
    r.contributions['_bias'] = round(c.bias);
    r.features = Object.fromEntries(
      x.columns.map((name, j) => [name, Number.isNaN(values[j]!) ? null : values[j]!]),
    );
  });
  return rows;
}

function alignedValues(one: Matrix, columns: readonly string[]): Float32Array {
  const out = new Float32Array(columns.length);
  columns.forEach((c, j) => (out[j] = one.data[one.columns.indexOf(c)] ?? Number.NaN));
  return out;
}

/**
 * Contributions of a fused score: those of the scorer that ranks the row higher (the forest's path
 * contributions or the rule index's), rescaled so that bias + Σ contributions = the calibrated
 * score, where the bias is the calibrated score of an enterprise ranked in the middle by both.
 */
function fusedContributions(
  c: Contributions,
  score: number,
  fusion: RankFusion,
  calibrate: (s: number) => number,
): Contributions {
  const bias = calibrate(-Math.log(0.5) * (1 + fusion.lambda));
  const sum = c.values.reduce((s, v) => s + v, 0);
  const k = Math.abs(sum) > 1e-12 ? (score - bias) / sum : 0;
  if (k <= 0)
    return { bias: score, values: c.values.map(() => 0), prediction: score, columns: c.columns };
  return { bias, values: c.values.map((v) => v * k), prediction: score, columns: c.columns };
}

const round = (v: number) => Math.round(v * 1e6) / 1e6;

/** Orders rows for the list: score, then the tie key, then uscc (deterministic). */
export function rankRows(rows: ScoredRow[]): ScoredRow[] {
  return [...rows].sort(
    (a, b) =>
      b.score - a.score || b.tie - a.tie || (a.uscc < b.uscc ? -1 : a.uscc > b.uscc ? 1 : 0),
  );
}
