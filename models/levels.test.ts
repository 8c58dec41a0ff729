import { describe, expect, it } from 'vitest';
import { createLevels, levelCounts, levelFor } from './levels.ts';

describe('levels', () => {
  it('bands scores into 红 / 橙 / 黄 by configurable thresholds', () => {
    const t = { red: 0.8, orange: 0.5, yellow: 0.3 };
    expect(levelFor(0.95, t)).toBe('red');
    expect(levelFor(0.8, t)).toBe('red');
    expect(levelFor(0.79, t)).toBe('orange');
    expect(levelFor(0.3, t)).toBe('yellow');
    expect(levelFor(0.29, t)).toBeNull();
    expect(levelFor(Number.NaN, t)).toBeNull();
    const levels = createLevels(t);
    expect(levels.labelFor(0.6)).toBe('橙');
    expect(levelCounts([0.9, 0.6, 0.4, 0.1], t)).toEqual({ red: 1, orange: 1, yellow: 1, none: 1 });
  });

  it('rejects thresholds out of order', () => {
    expect(() => createLevels({ red: 0.3, orange: 0.5, yellow: 0.1 })).toThrow(
      /yellow ≤ orange ≤ red/,
    );
  });
});
