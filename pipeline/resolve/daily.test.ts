/**
 * The daily cost of resolution: a day's data (new enterprises, renames, new ads and complaints)
 * re-resolves that day's records only — the keys it adds or changes are valid from that day, and
 * whether a key is too common is decided on each record's day — and the result equals a full run.
 */
import { describe, expect, it } from 'vitest';
import { openMigratedDb } from '../db/index.ts';
import { loadSample } from '../demo.ts';
import { tmpDir } from '../feeds/_fixtures.ts';
import { cityUpTo, testCity } from '../_test-city.ts';
import { resolve } from './resolve.ts';

const quiet = { out: () => {}, err: () => {} };

describe('resolve: a daily run', () => {
  it('re-resolves only the new day’s records, and equals a full run', async () => {
    const city = testCity();
    const db = await openMigratedDb(`${tmpDir()}/daily.duckdb`);
    try {
      await loadSample(db, quiet, `${cityUpTo(city, '2026-03-30')}/`);
      await resolve(db);
      let previous = '2026-03-30';
      let registerRows = 0;
      // days on which the register changes too (new snapshots, renames and other changes)
      for (const day of ['2026-03-31', '2026-04-03', '2026-04-06', '2026-04-11']) {
        await loadSample(db, quiet, `${cityUpTo(city, day)}/`);
        const fresh = await db.one<{ n: number; reg: number }>(
          `SELECT (SELECT count(*) FROM ads WHERE seen_day > $p::DATE AND seen_day <= $d::DATE)::INTEGER
                + (SELECT count(*) FROM complaints WHERE received_day > $p::DATE AND received_day <= $d::DATE)::INTEGER AS n,
                  (SELECT count(*) FROM registrations WHERE as_of > $p::DATE AND as_of <= $d::DATE)::INTEGER
                + (SELECT count(*) FROM registration_changes WHERE changed_on > $p::DATE AND changed_on <= $d::DATE)::INTEGER AS reg`,
          { p: previous, d: day },
        );
        registerRows += fresh!.reg;
        const r = await resolve(db);
        expect(r.mode).toBe('incremental');
        expect(r.resolved.ads + r.resolved.complaints).toBe(fresh!.n);
        previous = day;
      }
      expect(registerRows).toBeGreaterThan(5);
      const links = () =>
        db.all(
          `SELECT kind, record_id, uscc, status, method, confidence, candidates::VARCHAR AS c FROM entity_links ORDER BY ALL`,
        );
      const incremental = await links();
      await resolve(db, { full: true });
      expect(await links()).toEqual(incremental);
    } finally {
      db.close();
    }
  }, 120_000);
});
