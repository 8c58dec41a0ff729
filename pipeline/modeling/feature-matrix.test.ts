/**
 * The feature matrix: one snapshot, no silent loss, and the sampled training set's strata and
 * weights. A small synthetic feature table in a real (in-memory) DuckDB.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMigratedDb, type Db } from '../db/index.ts';
import { createMatrix } from '../../models/index.ts';
import { FEATURE_NAMES } from '../features/registry.ts';
import { loadFeatureRows, readDay } from './feature-matrix.ts';
import { chooseRates } from './sampling.ts';

const DAYS = ['2026-03-01', '2026-03-08', '2026-03-15'];
const N = 3000;
let db: Db;

beforeAll(async () => {
  db = await openMigratedDb(':memory:');
  // enterprise i: ads in the last 90 days for i % 10 == 0, complaints for i % 15 == 0, the rest
  // quiet; age_days grows with i; every other feature NULL
  await db.run(
    `INSERT INTO feature_values (as_of, uscc, ads_90d, complaints_90d, age_days)
     SELECT d::DATE, 'U' || lpad(i::VARCHAR, 6, '0'),
            CASE WHEN i % 10 = 0 THEN 1 + i % 3 ELSE 0 END,
            CASE WHEN i % 15 = 0 THEN 2 ELSE NULL END,
            i + 0.5
     FROM range(${N}) t(i), unnest(['${DAYS.join("','")}']) u(d)
     ORDER BY hash(i)`,
  );
  // 30 enterprises confirmed (two after the cut-off used below, so not in its confirmed stratum)
  await db.run(
    `INSERT INTO case_outcomes_history
     SELECT 'U' || lpad((i * 97)::VARCHAR, 6, '0'),
            CASE WHEN i < 28 THEN DATE '2026-02-01' + i::INTEGER ELSE DATE '2026-05-01' END,
            'confirmed', NULL, NULL, NULL, i::VARCHAR, i::VARCHAR, 1, i
     FROM range(30) t(i)`,
  );
});
afterAll(() => db.close());

describe('loadFeatureRows', () => {
  it('reads every row, ordered by day then uscc, NULL as NaN, column by column', async () => {
    const r = await loadFeatureRows(db, [...DAYS].reverse());
    expect(r.matrix.rows).toBe(3 * N);
    expect(r.matrix.cols).toBe(FEATURE_NAMES.length);
    expect(r.day[0]).toBe(DAYS[0]);
    expect(r.day.at(-1)).toBe(DAYS[2]);
    const sorted = r.uscc.slice(0, N);
    expect(sorted).toEqual([...sorted].sort());
    const age = FEATURE_NAMES.indexOf('age_days');
    const complaints = FEATURE_NAMES.indexOf('complaints_90d');
    const i = r.uscc.indexOf('U000030');
    expect(r.matrix.data[i * r.matrix.cols + age]).toBe(30.5);
    expect(r.matrix.data[i * r.matrix.cols + complaints]).toBe(2);
    expect(r.matrix.data[(i + 1) * r.matrix.cols + complaints]).toBeNaN();
    expect(r.weight).toBeUndefined();
  });

  it('reads one snapshot: rows written while it reads are not seen, and nothing is lost', async () => {
    const before = await loadFeatureRows(db, DAYS);
    const after = await loadFeatureRows(db, DAYS, {
      onDay: async (day) => {
        if (day !== DAYS[0]) return;
        // a writer on another connection, between two days of the read
        await db.run(
          `INSERT INTO feature_values (as_of, uscc, age_days) VALUES ('${DAYS[1]}', 'U999999', 1), ('${DAYS[2]}', 'U999998', 2)`,
        );
        await db.run(`DELETE FROM feature_values WHERE as_of = '${DAYS[2]}' AND uscc = 'U000001'`);
      },
    });
    expect(after.uscc).toEqual(before.uscc);
    expect(Array.from(after.matrix.data)).toEqual(Array.from(before.matrix.data));
    // the writes did land: a new read sees them
    const now = await loadFeatureRows(db, DAYS);
    expect(now.matrix.rows).toBe(before.matrix.rows + 1);
    await db.run(`DELETE FROM feature_values WHERE uscc IN ('U999999', 'U999998')`);
    await db.run(
      `INSERT INTO feature_values (as_of, uscc, ads_90d, age_days) VALUES ('${DAYS[2]}', 'U000001', 0, 1.5)`,
    );
  });

  it('a stream that disagrees with its count is a hard error, never a short or overrun matrix', async () => {
    const sql = `SELECT uscc, age_days::DOUBLE FROM feature_values WHERE as_of = '${DAYS[0]}' ORDER BY uscc`;
    const m = createMatrix(N, 1, ['age_days']);
    await expect(
      readDay(db.streamChunks(sql), DAYS[0]!, N - 1, m, 0, 1, () => true),
    ).rejects.toThrow(
      new RegExp(
        `feature rows of ${DAYS[0]}: counted ${N - 1}, the stream in the same snapshot held more`,
      ),
    );
    const bigger = createMatrix(N + 5, 1, ['age_days']);
    await expect(
      readDay(db.streamChunks(sql), DAYS[0]!, N + 5, bigger, 0, 1, () => true),
    ).rejects.toThrow(new RegExp(`counted ${N + 5}, the stream in the same snapshot held ${N};`));
    expect(await readDay(db.streamChunks(sql), DAYS[0]!, N, m, 0, 1, () => true)).toBe(N);
  });

  it('drops the rows `keep` declines as they stream', async () => {
    const r = await loadFeatureRows(db, DAYS, { keep: (u) => u.endsWith('7') });
    expect(r.matrix.rows).toBe((3 * N) / 10);
    expect(r.uscc.every((u) => u.endsWith('7'))).toBe(true);
    const age = FEATURE_NAMES.indexOf('age_days');
    r.uscc.forEach((u, i) =>
      expect(r.matrix.data[i * r.matrix.cols + age]).toBe(Number(u.slice(1)) + 0.5),
    );
  });
});

describe('sampled training sets', () => {
  const until = '2026-04-01';
  const sample = { until, negativeRate: 0.1, hardFactor: 4 } as const;

  it('keeps every row of confirmed enterprises and weighs the rest back to their day and stratum', async () => {
    const r = await loadFeatureRows(db, DAYS, { sample });
    const s = r.sampling!;
    expect(s).toMatchObject({ easyRate: 0.1, hardRate: 0.4 });
    // 28 confirmed by the cut-off; hard = ads or complaints (i % 10 == 0 or i % 15 == 0)
    const hard = Array.from({ length: N }, (_, i) => i).filter((i) => i % 10 === 0 || i % 15 === 0);
    const confirmed = new Set(Array.from({ length: 28 }, (_, i) => i * 97));
    const hardNotConfirmed = hard.filter((i) => !confirmed.has(i)).length;
    expect(s.candidates).toEqual({
      confirmed: 3 * 28,
      hard: 3 * hardNotConfirmed,
      easy: 3 * (N - 28 - hardNotConfirmed),
    });
    expect(s.kept.confirmed).toBe(3 * 28);
    for (const id of confirmed) {
      const u = `U${String(id).padStart(6, '0')}`;
      expect(r.uscc.filter((x) => x === u)).toHaveLength(3);
    }
    // kept shares near the rates
    expect(s.kept.hard / s.candidates.hard).toBeGreaterThan(0.3);
    expect(s.kept.hard / s.candidates.hard).toBeLessThan(0.5);
    expect(s.kept.easy / s.candidates.easy).toBeGreaterThan(0.07);
    expect(s.kept.easy / s.candidates.easy).toBeLessThan(0.13);
    // weights: every day's rows of each stratum add up to that day's candidates
    const w = r.weight!;
    for (const day of DAYS) {
      let sum = 0;
      r.day.forEach((d, i) => (d === day ? (sum += w[i]!) : 0));
      expect(sum).toBeCloseTo(N, 6);
    }
    // the same rows on every run
    const again = await loadFeatureRows(db, DAYS, { sample });
    expect(again.uscc).toEqual(r.uscc);
    expect(Array.from(again.weight!)).toEqual(Array.from(w));
  });

  it('rates of 1 read the full set, unweighted', async () => {
    const full = await loadFeatureRows(db, DAYS);
    const r = await loadFeatureRows(db, DAYS, { sample: { until, negativeRate: 1 } });
    expect(r.uscc).toEqual(full.uscc);
    expect(Array.from(r.matrix.data)).toEqual(Array.from(full.matrix.data));
    expect(r.weight).toBeUndefined();
    expect(r.sampling).toMatchObject({ easyRate: 1, hardRate: 1 });
  });

  it("'auto' aims at the target size, and keeps a small city whole", () => {
    const c = { confirmed: 1000, hard: 100_000, easy: 1_000_000 };
    const { easyRate, hardRate } = chooseRates({ targetExamples: 100_000 }, c);
    expect(hardRate).toBeCloseTo(4 * easyRate, 6);
    const kept = c.confirmed + c.hard * hardRate + c.easy * easyRate;
    expect(Math.abs(kept - 100_000)).toBeLessThan(50);
    expect(chooseRates({ targetExamples: 2_000_000 }, c)).toEqual({ easyRate: 1, hardRate: 1 });
    expect(() => chooseRates({ negativeRate: 0 }, c)).toThrow(/in \(0, 1\]/);
  });
});
