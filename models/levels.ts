import { ModelError } from './errors.ts';

/**
 * Alert levels: 红 (red) ≥ red threshold > 橙 (orange) ≥ orange threshold > 黄 (yellow) ≥
 * yellow threshold > no level. Thresholds are on the calibrated score in [0, 1] and are data a
 * data scientist sets (stored with the model or in config), not constants in code.
 */
export type Level = 'red' | 'orange' | 'yellow';

export const LEVEL_LABELS_ZH: Readonly<Record<Level, string>> = {
  red: '红',
  orange: '橙',
  yellow: '黄',
};

export interface LevelThresholds {
  red: number;
  orange: number;
  yellow: number;
}

export const DEFAULT_LEVEL_THRESHOLDS: Readonly<LevelThresholds> = {
  red: 0.7,
  orange: 0.4,
  yellow: 0.2,
};

/** Check 0 ≤ yellow ≤ orange ≤ red ≤ 1; throws ModelError('input_invalid'). */
export function validateLevelThresholds(t: LevelThresholds): LevelThresholds {
  const ok = [t.red, t.orange, t.yellow].every((v) => typeof v === 'number' && v >= 0 && v <= 1);
  if (!ok || !(t.yellow <= t.orange && t.orange <= t.red)) {
    throw new ModelError(
      'input_invalid',
      `[levels] thresholds must satisfy 0 ≤ yellow ≤ orange ≤ red ≤ 1, got red ${t.red}, orange ${t.orange}, yellow ${t.yellow}`,
    );
  }
  return t;
}

/** The level of one score, or null when below the yellow threshold (or NaN). */
export function levelFor(
  score: number,
  thresholds: LevelThresholds = DEFAULT_LEVEL_THRESHOLDS,
): Level | null {
  if (score >= thresholds.red) return 'red';
  if (score >= thresholds.orange) return 'orange';
  if (score >= thresholds.yellow) return 'yellow';
  return null;
}

/** A level function bound to validated thresholds. */
export function createLevels(thresholds: LevelThresholds = DEFAULT_LEVEL_THRESHOLDS): {
  thresholds: Readonly<LevelThresholds>;
  levelFor(score: number): Level | null;
  labelFor(score: number): string | null;
} {
  const t = Object.freeze({ ...validateLevelThresholds(thresholds) });
  return {
    thresholds: t,
    levelFor: (s) => levelFor(s, t),
    labelFor: (s) => {
      const l = levelFor(s, t);
      return l ? LEVEL_LABELS_ZH[l] : null;
    },
  };
}

/** Count of scores per level (and below yellow). */
export function levelCounts(
  scores: ArrayLike<number>,
  thresholds: LevelThresholds = DEFAULT_LEVEL_THRESHOLDS,
): Record<Level | 'none', number> {
  const out: Record<Level | 'none', number> = { red: 0, orange: 0, yellow: 0, none: 0 };
  for (let i = 0; i < scores.length; i++) out[levelFor(scores[i]!, thresholds) ?? 'none']++;
  return out;
}
