/**
 * Point in time: features as of D are the same whether or not records dated after D exist, and a
 * daily (incremental) computation equals one from scratch.
 */
import { describe, expect, it } from 'vitest';
import { openMigratedDb, type Db } from '../db/index.ts';
import { loadSample } from '../demo.ts';
import { resolve } from '../resolve/index.ts';
import { cityUpTo, testCity } from '../_test-city.ts';
import { tmpDir } from '../feeds/_fixtures.ts';
import { computeFeatures } from './compute.ts';
import { FEATURE_NAMES } from './registry.ts';

const quiet = { out: () => {}, err: () => {} };

async function featuresOf(db: Db, day: string): Promise<Record<string, unknown>[]> {
  return db.all(
    `SELECT uscc, ${FEATURE_NAMES.join(', ')} FROM feature_values WHERE as_of = $d::DATE ORDER BY uscc`,
    { d: day },
  );
}

async function build(dir: string): Promise<Db> {
  const db = await openMigratedDb(`${tmpDir()}/pit.duckdb`);
  await loadSample(db, quiet, `${dir}/`);
  return db;
}

describe('features are point in time', () => {
  const city = testCity();
  const D = '2026-03-15';

  it('adding records dated after D leaves features as of D unchanged', async () => {
    const early = await build(cityUpTo(city, D));
    const full = await build(city.dir);
    try {
      await resolve(early);
      await computeFeatures(early, D);
      await resolve(full);
      await computeFeatures(full, D);
      const a = await featuresOf(early, D);
      const b = await featuresOf(full, D);
      expect(a.length).toBeGreaterThan(100);
      // enterprises registered after D are unknown on D in both
      expect(b).toEqual(a);
    } finally {
      early.close();
      full.close();
    }
  });

  it.each([
    ['a test city', testCity(), ['2026-03-01', '2026-03-20', '2026-04-10']],
    [
      // a second, different city: more schemes, a longer history
      'another test city (800 enterprises, 170 days, 2 % schemes)',
      testCity(800, 170, 23, 0.02),
      ['2026-04-20', '2026-05-10', '2026-06-01'],
    ],
  ] as const)(
    'incremental (data arriving day by day) equals from scratch: %s',
    async (_name, city, days) => {
      const inc = await build(cityUpTo(city, days[0]));
      const scratch = await build(city.dir);
      try {
        // incremental: features each day as the data arrives
        for (const [i, d] of days.entries()) {
          if (i > 0) await loadSample(inc, quiet, `${cityUpTo(city, d)}/`);
          await resolve(inc);
          await computeFeatures(inc, d);
        }
        await resolve(scratch, { full: true });
        for (const d of days) await computeFeatures(scratch, d);
        expect((await featuresOf(inc, days[0])).length).toBeGreaterThan(100);
        for (const d of days)
          expect(await featuresOf(inc, d)).toEqual(await featuresOf(scratch, d));
      } finally {
        inc.close();
        scratch.close();
      }
    },
  );
});

describe('the point-in-time check catches leakage', () => {
  it('a feature that peeks after D differs between the truncated and the full city', async () => {
    const city = testCity();
    const D = '2026-03-15';
    const early = await build(cityUpTo(city, D));
    const full = await build(city.dir);
    try {
      // a leaky "feature": ads in the 30 days AFTER D
      const leaky = (db: Db) =>
        db.all(
          `SELECT advertiser_name, count(*)::INTEGER AS n FROM ads WHERE seen_day > $d::DATE - 30 AND seen_day <= $d::DATE + 30
           GROUP BY 1 ORDER BY 1`,
          { d: D },
        );
      const honest = (db: Db) =>
        db.all(
          `SELECT advertiser_name, count(*)::INTEGER AS n FROM ads WHERE seen_day > $d::DATE - 30 AND seen_day <= $d::DATE
           GROUP BY 1 ORDER BY 1`,
          { d: D },
        );
      expect(await leaky(early)).not.toEqual(await leaky(full));
      expect(await honest(early)).toEqual(await honest(full));
    } finally {
      early.close();
      full.close();
    }
  });
});
