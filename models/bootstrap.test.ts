import { describe, expect, it } from 'vitest';
import { pairedBootstrap } from './bootstrap.ts';

describe('paired bootstrap over schemes', () => {
  it('is deterministic and gives a zero-width interval for identical scorers', () => {
    const units = Array.from({ length: 20 }, (_, i) => ({ a: i, b: i, medianA: i, medianB: i }));
    const r = pairedBootstrap(units, { scale: 10 });
    expect(r).toEqual(pairedBootstrap(units, { scale: 10 }));
    expect([r.sum.lo, r.sum.estimate, r.sum.hi]).toEqual([0, 0, 0]);
    expect([r.median.lo, r.median.hi]).toEqual([0, 0]);
  });

  it('excludes zero for a consistent difference and includes it for one lucky unit', () => {
    const steady = Array.from({ length: 30 }, (_, i) => ({
      a: 10 + (i % 3),
      b: 8 + (i % 3),
      medianA: 40,
      medianB: 30 + (i % 5),
    }));
    const s = pairedBootstrap(steady, { scale: 1 });
    expect(s.sum.lo).toBeGreaterThan(0);
    expect(s.median.lo).toBeGreaterThan(0);
    const lucky = Array.from({ length: 30 }, (_, i) => ({
      a: i === 0 ? 5 : 3,
      b: 3,
      medianA: Number.NaN,
      medianB: Number.NaN,
    }));
    const l = pairedBootstrap(lucky, { scale: 1 });
    expect(l.sum.estimate).toBe(2);
    expect(l.sum.lo).toBe(0);
    expect(Number.isNaN(l.median.estimate)).toBe(true);
  });
});
