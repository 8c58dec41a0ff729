/**
 * Point in time on a quiet city (issue 21): the licence-mismatch and early-behaviour features and
 * the links made through aliases learned from the data are the same as of D whether or not the
 * records dated after D exist — and the check is not vacuous: each new feature fires on D, and
 * some records are linked through a learned alias.
 */
import { describe, expect, it } from 'vitest';
import { openMigratedDb, type Db } from '../db/index.ts';
import { loadSample } from '../demo.ts';
import { resolve } from '../resolve/index.ts';
import { cityUpTo, testCity } from '../_test-city.ts';
import { tmpDir } from '../feeds/_fixtures.ts';
import { computeFeatures } from './compute.ts';
import { FEATURE_NAMES } from './registry.ts';
import { QUIET_FEATURES } from './registry-quiet.ts';

const quiet = { out: () => {}, err: () => {} };

async function build(dir: string): Promise<Db> {
  const db = await openMigratedDb(`${tmpDir()}/pitq.duckdb`);
  await loadSample(db, quiet, `${dir}/`);
  await resolve(db);
  return db;
}

const links = (db: Db, day: string) =>
  db.all(
    `SELECT kind, record_id, uscc, method, status, confidence, evidence_from::VARCHAR AS evidence_from
       FROM entity_links WHERE record_day <= $d::DATE ORDER BY kind, record_id`,
    { d: day },
  );

describe('quiet-scheme features and learned aliases are point in time', () => {
  it('records dated after D change nothing as of D', async () => {
    const city = testCity(500, 150, 21, 0.06, ['--traits', 'quiet']);
    const D = '2026-04-10';
    const early = await build(cityUpTo(city, D));
    const full = await build(city.dir);
    try {
      // the links of records up to D, those through a learned alias included
      const a = await links(early, D);
      const aliasLinked = a.filter((l) => (l as { method: string }).method === 'learned_alias');
      expect(aliasLinked.length).toBeGreaterThan(0);
      expect(await links(full, D)).toEqual(a);
      await computeFeatures(early, D);
      await computeFeatures(full, D);
      const cols = FEATURE_NAMES.join(', ');
      const q = `SELECT uscc, ${cols} FROM feature_values WHERE as_of = $d::DATE ORDER BY uscc`;
      const fa = await early.all<Record<string, number | null>>(q, { d: D });
      expect(await full.all(q, { d: D })).toEqual(fa);
      for (const f of QUIET_FEATURES)
        expect(
          fa.some((r) => (r[f.name] ?? 0) > 0),
          f.name,
        ).toBe(true);
    } finally {
      early.close();
      full.close();
    }
  }, 180_000);
});
