/**
 * The learned ad-text score (text-score.ts) on a small quiet city with enough schemes to learn
 * from: cross-fitted by enterprise (an enterprise's ads are scored by a model that never saw them),
 * point in time (the 90 days up to the row's day), kept or dropped by the held-out days, and
 * carried by the model artefact.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMigratedDb, type Db } from '../db/index.ts';
import { loadSample } from '../demo.ts';
import { tmpDir } from '../feeds/_fixtures.ts';
import { analyseNewText } from '../features/analyse-text.ts';
import { textFeatures } from '../features/text.ts';
import { tokens } from '../features/segment.ts';
import { resolve } from '../resolve/index.ts';
import { testCity } from '../_test-city.ts';
import { selectRows } from '../../models/index.ts';
import { bundleFromJson, bundleToJson, predict } from './bundle.ts';
import { addDays } from './days.ts';
import { confirmedOn } from './outcomes.ts';
import { trainModelAt } from './train.ts';
import {
  foldOf,
  textScores,
  trainAdTextScorer,
  withTextScore,
  TEXT_SCORE_COLUMN,
  type AdTextScorer,
} from './text-score.ts';

const city = testCity(500, 150, 21, 0.06, ['--traits', 'quiet']);
const UNTIL = '2026-04-20';
const FROM = '2026-01-01';
let db: Db;
let scorer: AdTextScorer;
let confirmed: Map<string, string>;

interface Ad {
  uscc: string;
  day: string;
  title: string | null;
  text: string;
}
const adsOf = (uscc: string, to: string) =>
  db.all<Ad>(
    `SELECT l.uscc, a.seen_day::VARCHAR AS day, a.title, a.text FROM ads a
       JOIN entity_links l ON l.kind = 'ad' AND l.record_id = a.ad_id AND l.status = 'linked'
      WHERE l.uscc = $u AND a.seen_day <= $to::DATE ORDER BY a.seen_day`,
    { u: uscc, to },
  );

beforeAll(async () => {
  db = await openMigratedDb(`${tmpDir()}/text.duckdb`);
  await loadSample(db, { out: () => {}, err: () => {} }, `${city.dir}/`);
  await resolve(db);
  await analyseNewText(db);
  confirmed = await confirmedOn(db, UNTIL);
  scorer = (await trainAdTextScorer(db, FROM, UNTIL))!;
}, 240_000);
afterAll(() => db.close());

describe('the learned ad-text score', () => {
  it('learns from the labelled ads of the training window', () => {
    expect(scorer).not.toBeNull();
    expect(scorer.folds).toHaveLength(4);
    expect(scorer.trainedOn.positives).toBeGreaterThanOrEqual(20);
  });

  it('trains on at most the capped positives and their negatives, the same sample whatever the rows’ order', async () => {
    const cap = 25;
    expect(scorer.trainedOn.positives).toBeGreaterThan(cap);
    const capped = (await trainAdTextScorer(db, FROM, UNTIL, { maxPositiveAds: cap }))!;
    expect(capped.trainedOn).toEqual({ ads: cap * 9, positives: cap });
    // the same data stored in another order (rolled back): the same sample, the same models
    const again = await db
      .transaction(async (t) => {
        for (const table of ['ads_history', 'entity_links']) {
          await t.run(
            `CREATE TEMP TABLE shuffled AS SELECT * FROM ${table} t ORDER BY md5(t::VARCHAR)`,
          );
          await t.run(`DELETE FROM ${table}`);
          await t.run(`INSERT INTO ${table} SELECT * FROM shuffled`);
          await t.run(`DROP TABLE shuffled`);
        }
        const first = await t.one<{ ad_id: string }>(`SELECT ad_id FROM ads_history LIMIT 1`);
        const s = (await trainAdTextScorer(t, FROM, UNTIL, { maxPositiveAds: cap }))!;
        throw Object.assign(new Error('rollback'), { s, first });
      })
      .catch((e: Error & { s: AdTextScorer; first: { ad_id: string } }) => e);
    expect(again.message).toBe('rollback');
    const before = await db.one<{ ad_id: string }>(`SELECT ad_id FROM ads_history LIMIT 1`);
    expect(again.first.ad_id).not.toBe(before!.ad_id);
    expect(again.s.trainedOn).toEqual(capped.trainedOn);
    expect(again.s.folds.map((m) => m.toJSON())).toEqual(capped.folds.map((m) => m.toJSON()));
  }, 120_000);

  it('scores an enterprise with a model that never saw its ads (cross-fitted)', async () => {
    // the confirmed enterprise with the most ads before the cut-off
    let best = { uscc: '', n: 0 };
    for (const u of confirmed.keys()) {
      const n = (await adsOf(u, addDays(UNTIL, -1))).length;
      if (n > best.n) best = { uscc: u, n };
    }
    expect(best.n).toBeGreaterThan(3);
    const own = new Set<string>();
    for (const a of await adsOf(best.uscc, addDays(UNTIL, -1)))
      for (const f of textFeatures(tokens(a.title ? `${a.title}\n${a.text}` : a.text), {
        charBigrams: true,
      }))
        own.add(f);
    // features found in this enterprise's ads and in no other ad of the window
    const others = await db.all<{ title: string | null; text: string }>(
      `SELECT a.title, a.text FROM ads a
         LEFT JOIN entity_links l ON l.kind = 'ad' AND l.record_id = a.ad_id AND l.status = 'linked'
        WHERE a.seen_day < $until::DATE AND l.uscc IS DISTINCT FROM $u`,
      { until: UNTIL, u: best.uscc },
    );
    for (const a of others)
      for (const f of textFeatures(tokens(a.title ? `${a.title}\n${a.text}` : a.text), {
        charBigrams: true,
      }))
        own.delete(f);
    expect(own.size).toBeGreaterThan(0);
    const vocab = (i: number) => new Set(scorer.folds[i]!.toJSON().features);
    const mine = foldOf(best.uscc);
    for (const f of own) expect(vocab(mine).has(f), f).toBe(false);
    // the other folds trained on its ads and kept some of its own features
    const elsewhere = [0, 1, 2, 3]
      .filter((i) => i !== mine)
      .some((i) => [...own].some((f) => vocab(i).has(f)));
    expect(elsewhere).toBe(true);
  });

  it('is the best score of the enterprise’s ads in the 90 days up to each row’s day, repeats included, with its fold’s model', async () => {
    // every linked ad up to the end of the city, with its text key (repeated captures share it)
    const ads = await db.all<Ad & { key: string }>(
      `SELECT l.uscc, a.seen_day::VARCHAR AS day, a.title, a.text, t.text_key AS key FROM ads a
         JOIN entity_links l ON l.kind = 'ad' AND l.record_id = a.ad_id AND l.status = 'linked'
         JOIN ad_text t ON t.ad_id = a.ad_id AND t._hash = a._hash
        ORDER BY a.seen_day, a.ad_id`,
    );
    const byUscc = new Map<string, (Ad & { key: string })[]>();
    for (const a of ads) {
      let list = byUscc.get(a.uscc);
      if (!list) byUscc.set(a.uscc, (list = []));
      list.push(a);
    }
    const cache = new Map<string, number>();
    const p = (a: Ad) => {
      const k = `${a.uscc}|${a.title ?? ''}|${a.text}`;
      let v = cache.get(k);
      if (v === undefined) {
        v = scorer.folds[foldOf(a.uscc)]!.probability(
          tokens(a.title ? `${a.title}\n${a.text}` : a.text),
        );
        cache.set(k, v);
      }
      return v;
    };
    // rows: every enterprise with ads, every 10 days over the city, plus one with none
    const uscc: string[] = [];
    const day: string[] = [];
    for (const u of byUscc.keys())
      for (let d = '2026-01-10'; d <= '2026-05-30'; d = addDays(d, 10)) {
        uscc.push(u);
        day.push(d);
      }
    uscc.push('NO-SUCH-ENTERPRISE');
    day.push('2026-04-01');
    const got = await textScores(db, scorer, uscc, day);
    let checked = 0;
    let repeatsOnly = 0;
    for (let i = 0; i < uscc.length - 1; i++) {
      const list = byUscc.get(uscc[i]!)!;
      const from = addDays(day[i]!, -89);
      const window = list.filter((a) => a.day >= from && a.day <= day[i]!);
      if (window.length === 0) {
        expect(got[i], `${uscc[i]} ${day[i]}`).toBeNaN();
        continue;
      }
      const expected = Math.max(...window.map(p));
      // exactly: each distinct text scored once, whichever of its ads the rows arrive with
      expect(got[i], `${uscc[i]} ${day[i]}`).toBe(Math.fround(expected));
      checked++;
      // rows whose best ad repeats a text first printed before the window: a score that kept
      // only each text's first capture would miss it
      const firstSeen = new Map<string, string>();
      for (const a of list) if (!firstSeen.has(a.key)) firstSeen.set(a.key, a.day);
      const fresh = window.filter((a) => firstSeen.get(a.key)! >= from);
      if (fresh.length === 0 || Math.max(...fresh.map(p)) < expected - 1e-6) repeatsOnly++;
    }
    expect(checked).toBeGreaterThan(100);
    expect(repeatsOnly).toBeGreaterThan(0);
    expect(got[uscc.length - 1]).toBeNaN();
  });

  it('is trained with the model, kept only when the held-out days say so, and travels in the artefact', async () => {
    const t = await trainModelAt(db, { until: UNTIL, forest: { nEstimators: 20 } });
    expect(t.textChoice).toBeDefined();
    const c = t.textChoice!;
    expect(c.kept).toBe(c.withPrecisionAtK > c.withoutPrecisionAtK);
    expect(t.withoutText?.text).toBeUndefined();
    expect(t.withoutText?.classifier.columns).not.toContain(TEXT_SCORE_COLUMN);
    // a model that reads the text score: the artefact carries the text models, and predicting
    // without the column is a clear error
    const withText = c.kept ? t.bundle : undefined;
    const never = await trainModelAt(db, {
      until: UNTIL,
      forest: { nEstimators: 20 },
      textScore: false,
    });
    expect(never.textChoice).toBeUndefined();
    expect(never.bundle.text).toBeUndefined();
    if (withText) {
      const back = bundleFromJson(bundleToJson(withText));
      expect(back.text?.folds).toHaveLength(4);
      const x = selectRows(t.set.rows.matrix, [0, 1, 2]);
      expect(() => predict(back, x)).toThrow(/ad-text score/);
      const u = t.set.rows.uscc.slice(0, 3);
      const d = t.set.rows.day.slice(0, 3);
      const a = predict(withText, await withTextScore(db, withText.text, x, u, d));
      const b = predict(back, await withTextScore(db, back.text, x, u, d));
      expect(Array.from(b.score)).toEqual(Array.from(a.score));
    }
  }, 240_000);
});
