/**
 * Training, registry, scoring and publication on a small simulated city (real DuckDB, real files).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMigratedDb, type Db } from '../db/index.ts';
import { loadSample } from '../demo.ts';
import { tmpDir } from '../feeds/_fixtures.ts';
import { runDay } from '../run-day.ts';
import { testCity } from '../_test-city.ts';
import { FEATURE_NAMES } from '../features/registry.ts';
import { predict, bundleFromJson, bundleToJson } from './bundle.ts';
import { addDays } from './days.ts';
import { evaluateOverTime, formatEvaluation, formatRecallByKind } from './evaluate.ts';
import { confirmedOn, labelOf } from './outcomes.ts';
import { activateModel, activeVersion, listModels, rollbackModel } from './registry.ts';
import { trainAndRegister } from './train-job.ts';
import { buildTrainingSet, trainModelAt } from './train.ts';
import {
  fitPlatt,
  fitRankFusion,
  fuseAll,
  fuseOne,
  ruleContributions,
  ruleIndex,
  selectRows,
} from '../../models/index.ts';
import type { ModelBundle } from './bundle.ts';
import { scoreMatrix } from './score.ts';
import { loadFeatureRows } from './feature-matrix.ts';

const quiet = { out: () => {}, err: () => {} };
let db: Db;
const city = testCity();
const UNTIL = '2026-04-10';

beforeAll(async () => {
  db = await openMigratedDb(`${tmpDir()}/m.duckdb`);
  await loadSample(db, quiet, `${city.dir}/`);
  const { resolve } = await import('../resolve/index.ts');
  await resolve(db);
});
afterAll(() => db.close());

describe('labels and training sets', () => {
  it('label = confirmed within H days after as_of; confirmed before as_of is not an example', () => {
    const c = new Map([['A', '2026-03-10']]);
    expect(labelOf(c, 'A', '2026-03-01', 90)).toBe(1);
    expect(labelOf(c, 'A', '2025-12-01', 90)).toBe(0); // decided 99 days later
    expect(labelOf(c, 'A', '2026-03-10', 90)).toBeNull();
    expect(labelOf(c, 'B', '2026-03-01', 90)).toBe(0);
  });

  it('confirmed enterprises come in a fixed order (the evaluation bootstrap resamples them in it)', async () => {
    // enough enterprises for DuckDB's parallel GROUP BY to return them in its own order
    const big = await openMigratedDb(':memory:');
    try {
      await big.run(
        `INSERT INTO case_outcomes_history
         SELECT 'U' || lpad(i::VARCHAR, 6, '0'), DATE '2026-01-01' + (i % 200)::INTEGER, 'confirmed',
                NULL, NULL, NULL, i::VARCHAR, i::VARCHAR, 1, i
         FROM range(200000) t(i) ORDER BY hash(i)`,
      );
      const keys = [...(await confirmedOn(big, '2099-12-31')).keys()];
      expect(keys).toHaveLength(200000);
      expect(keys.findIndex((k, i) => i > 0 && keys[i - 1]! > k)).toBe(-1); // sorted
    } finally {
      big.close();
    }
  });

  it('uses no outcome decided after the training cut-off', async () => {
    const set = await buildTrainingSet(db, { until: UNTIL });
    expect(set.days.every((d) => d < UNTIL)).toBe(true);
    const late = await db.all<{ uscc: string }>(
      `SELECT uscc FROM case_outcomes WHERE outcome = 'confirmed' AND decided_on > $u::DATE`,
      { u: UNTIL },
    );
    const lateSet = new Set(late.map((r) => r.uscc));
    const early = await db.all<{ uscc: string }>(
      `SELECT uscc FROM case_outcomes WHERE outcome = 'confirmed' AND decided_on <= $u::DATE`,
      { u: UNTIL },
    );
    const earlySet = new Set(early.map((r) => r.uscc));
    set.rows.uscc.forEach((u, i) => {
      // an enterprise confirmed only after the cut-off is never a positive
      if (lateSet.has(u) && !earlySet.has(u)) expect(set.labels[i]).toBe(0);
    });
    expect(set.labels.reduce((s, y) => s + y, 0)).toBeGreaterThan(0);
  });
});

describe('the classifier', () => {
  it('is deterministic for a seed', async () => {
    const a = await trainModelAt(db, { until: UNTIL, forest: { nEstimators: 30 } });
    const b = await trainModelAt(db, { until: UNTIL, forest: { nEstimators: 30 } });
    expect(bundleToJson(a.bundle)).toBe(bundleToJson(b.bundle));
    const round = bundleFromJson(bundleToJson(a.bundle));
    const x = selectRows(a.set.rows.matrix, [0, 1, 2, 3, 4]);
    expect(Array.from(predict(round, x).score)).toEqual(Array.from(predict(a.bundle, x).score));
  });

  /**
   * This small city holds too few held-out positives for training to fit the fusion (it then keeps
   * the calibrated forest); the mechanics are tested on a fusion fitted to the training rows.
   */
  async function fusedModel(): Promise<{
    bundle: ModelBundle;
    set: Awaited<ReturnType<typeof trainModelAt>>['set'];
  }> {
    const t = await trainModelAt(db, { until: UNTIL, forest: { nEstimators: 30 }, fusion: false });
    const forest = predict(t.bundle, t.set.rows.matrix).forest;
    const rules = ruleIndex(t.set.rows.matrix);
    const fusion = fitRankFusion(forest, rules);
    const calibrator = fitPlatt(fuseAll(fusion, forest, rules), t.set.labels);
    return { bundle: { ...t.bundle, fusion, calibrator }, set: t.set };
  }

  it('scores with the rank fusion of the forest and the rule index; a v1 artefact (no fusion) still loads', async () => {
    const t = await fusedModel();
    const back = bundleFromJson(bundleToJson(t.bundle));
    expect(back.fusion?.kind).toBe('rank-fusion');
    const x = selectRows(
      t.set.rows.matrix,
      Array.from({ length: 200 }, (_, i) => i),
    );
    expect(Array.from(predict(back, x).score)).toEqual(Array.from(predict(t.bundle, x).score));
    const p = predict(t.bundle, x);
    expect(Array.from(p.raw)).toEqual(
      Array.from(fuseAll(t.bundle.fusion!, p.forest, ruleIndex(x))),
    );
    for (let i = 0; i < 200; i++)
      expect(p.score[i]).toBeCloseTo(t.bundle.calibrator.apply(p.raw[i]!), 12);
    // the score orders like the fused key (calibration is monotone)
    for (let i = 1; i < 200; i++)
      if (p.raw[i]! > p.raw[i - 1]!) expect(p.score[i]).toBeGreaterThanOrEqual(p.score[i - 1]!);
    // without fusion: the calibrated forest alone, and a v1 artefact reads as that
    const plain = await trainModelAt(db, {
      until: UNTIL,
      forest: { nEstimators: 30 },
      fusion: false,
    });
    expect(plain.bundle.fusion).toBeUndefined();
    const v1 = JSON.parse(bundleToJson(plain.bundle)) as Record<string, unknown>;
    v1['version'] = 1;
    const old = bundleFromJson(JSON.stringify(v1));
    expect(Array.from(predict(old, x).raw)).toEqual(Array.from(predict(plain.bundle, x).forest));
  });

  it('explanations of fused scores sum to the score and come from the scorer that ranks the row higher', async () => {
    const t = await fusedModel();
    const rows = await loadFeatureRows(db, [addDays(UNTIL, 5)]);
    const scored = await scoreMatrix(rows.matrix, rows.uscc, t.bundle, {
      model: { red: 0.3, orange: 0.1, yellow: 0 },
      rules: { red: 1, orange: 1, yellow: 1 },
    });
    const listed = scored.filter((r) => r.level !== null);
    expect(listed.length).toBe(rows.uscc.length);
    for (const r of listed) {
      const sum = Object.values(r.contributions!).reduce((s, v) => s + v, 0);
      expect(sum).toBeCloseTo(r.score, 4);
    }
    // the best-ranked rows are explained by their evidence (the scorer that ranks them higher)
    const top = [...scored].sort((a, b) => b.tie - a.tie).slice(0, 10);
    for (const r of top) expect(r.reasons!.length).toBeGreaterThan(0);
    // the forest (trained with the rule index as a column) or the rule index (features only)
    const forest = predict(t.bundle, rows.matrix).forest;
    const rules = ruleIndex(rows.matrix);
    const leads = new Set<string>();
    for (const r of top) {
      const i = rows.uscc.indexOf(r.uscc);
      const lead = fuseOne(t.bundle.fusion!, forest[i]!, rules[i]!).lead;
      leads.add(lead);
      expect(Object.keys(r.contributions!).includes('rule_index')).toBe(lead === 'model');
    }
  });

  it('a sampled training set keeps every positive; its weights add up to the full set', async () => {
    const full = await trainModelAt(db, { until: UNTIL, forest: { nEstimators: 20 } });
    const sampled = await trainModelAt(db, {
      until: UNTIL,
      forest: { nEstimators: 20 },
      sampling: { negativeRate: 0.2 },
    });
    // the small city is under the 'auto' target: the full set, unweighted
    expect(full.set.sampling).toMatchObject({ easyRate: 1, hardRate: 1 });
    expect(full.set.rows.weight).toBeUndefined();
    expect(sampled.set.sampling).toMatchObject({ easyRate: 0.2, hardRate: 0.8 });
    expect(sampled.positives).toBe(full.positives);
    expect(sampled.set.labels.length).toBeLessThan(full.set.labels.length * 0.6);
    const total = sampled.set.rows.weight!.reduce((s, w) => s + w, 0);
    expect(total).toBeCloseTo(full.set.labels.length, 0);
  });

  it('production scoring walks the trees on worker threads and gives the same numbers', async () => {
    const t = await trainModelAt(db, { until: UNTIL, forest: { nEstimators: 20 } });
    const day = await loadFeatureRows(db, [addDays(UNTIL, 3)]);
    // a day of 24,000 rows: enough for two scoring threads
    const big = selectRows(
      day.matrix,
      Int32Array.from({ length: 24_000 }, (_, i) => i % day.matrix.rows),
    );
    const uscc = Array.from({ length: big.rows }, (_, i) => day.uscc[i % day.uscc.length]!);
    const scored = await scoreMatrix(big, uscc, t.bundle);
    const p = predict(t.bundle, big);
    expect(scored.every((r, i) => r.score === p.score[i] && r.tie === p.raw[i])).toBe(true);
  });

  it('calibration is monotone in the raw score', async () => {
    const t = await trainModelAt(db, { until: UNTIL, forest: { nEstimators: 30 } });
    let prev = -Infinity;
    // the calibrator maps the fused score (−ln of a tail share: 0 … ~15) or a probability
    for (let p = 0; p <= 15; p += 0.01) {
      const s = t.bundle.calibrator.apply(p);
      expect(s).toBeGreaterThanOrEqual(prev);
      prev = s;
    }
  });
});

describe('registry, scoring and publication', () => {
  it('trains, registers, activates the first model and rolls back', async () => {
    expect(await activeVersion(db)).toBeNull();
    const first = await trainAndRegister(db, {
      until: UNTIL,
      forest: { nEstimators: 40 },
      evalDays: 0,
    });
    expect(first.active).toBe(true);
    const second = await trainAndRegister(db, {
      until: addDays(UNTIL, 14),
      forest: { nEstimators: 40 },
      evalDays: 0,
      sampling: { negativeRate: 0.5 },
    });
    expect(second.active).toBe(false);
    expect(await activeVersion(db)).toBe(first.version);
    await activateModel(db, second.version);
    expect(await activeVersion(db)).toBe(second.version);
    expect(await rollbackModel(db)).toBe(first.version);
    expect(await activeVersion(db)).toBe(first.version);
    const models = await listModels(db);
    expect(models.map((m) => [m.version, m.active])).toEqual([
      [first.version, true],
      [second.version, false],
    ]);
    // the training command's sampling rates are in the registry entry
    const rates = models.map((m) => {
      const s = (m.params as { sampling: { easyRate: number; hardRate: number } }).sampling;
      return [s.easyRate, s.hardRate];
    });
    expect(rates).toEqual([
      [1, 1],
      [0.5, 1],
    ]);
    await expect(activateModel(db, 999)).rejects.toThrow(/model version 999 does not exist/);
  });

  it('publishes a list whose scores are probabilities and whose explanations sum to the score', async () => {
    const day = addDays(UNTIL, 20);
    const r = await runDay(db, day);
    expect(r.published).toBe(true);
    expect(r.scorer).toBe('model');
    const entries = await db.all<{
      score: number;
      rank: number;
      contributions: string | null;
      level: string | null;
    }>(
      `SELECT score, rank, contributions::VARCHAR AS contributions, level FROM list_entries WHERE day = $d::DATE ORDER BY rank`,
      { d: day },
    );
    expect(entries.length).toBe(r.enterprises);
    for (const e of entries) {
      expect(e.score).toBeGreaterThanOrEqual(0);
      expect(e.score).toBeLessThanOrEqual(1);
    }
    // ranks follow scores
    for (let i = 1; i < entries.length; i++)
      expect(entries[i]!.score).toBeLessThanOrEqual(entries[i - 1]!.score);
    const listed = entries.filter((e) => e.level !== null);
    expect(listed.length).toBeGreaterThan(0);
    for (const e of listed) {
      const c = JSON.parse(e.contributions!) as Record<string, number>;
      const sum = Object.values(c).reduce((s, v) => s + v, 0);
      expect(sum).toBeCloseTo(e.score, 4);
    }
  });

  it('running a day twice with the same data gives the same list; new data gives a new revision', async () => {
    const day = addDays(UNTIL, 21);
    const a = await runDay(db, day);
    const b = await runDay(db, day);
    expect(b.published).toBe(false);
    expect(b.revision).toBe(a.revision);
    // a correction to a complaint dated before D: a new revision, the old one still readable
    const before = await db.all(
      `SELECT uscc, rank, score FROM list_entries WHERE day = $d::DATE AND revision = $r ORDER BY rank`,
      { d: day, r: a.revision },
    );
    const c = (await db.one<{ id: string }>(
      `SELECT complaint_id AS id FROM complaints WHERE received_day < $d::DATE ORDER BY complaint_id LIMIT 1`,
      { d: day },
    ))!;
    const { ingest } = await import('../feeds/index.ts');
    const { writeFeedFile } = await import('../feeds/_fixtures.ts');
    const row = (await db.one<Record<string, unknown>>(
      `SELECT complaint_id, strftime(received_at, '%Y-%m-%dT%H:%M:%S+08:00') AS received_at, channel, target_name, target_uscc, text || '（补充：已无法提现）' AS text FROM complaints WHERE complaint_id = $id`,
      { id: c.id },
    ))!;
    const file = writeFeedFile(
      tmpDir(),
      'fix.ndjson',
      JSON.stringify(Object.fromEntries(Object.entries(row).filter(([, v]) => v !== null))) + '\n',
    );
    const fixed = await ingest(db, { feed: 'complaints', source: file });
    expect(fixed.corrected).toBe(1);
    const after = await runDay(db, day);
    expect(after.published).toBe(true);
    expect(after.revision).toBe(a.revision + 1);
    const old = await db.all(
      `SELECT uscc, rank, score FROM list_entries WHERE day = $d::DATE AND revision = $r ORDER BY rank`,
      { d: day, r: a.revision },
    );
    expect(old).toEqual(before);
  });

  it('the rule index explains itself: contributions sum to the index', async () => {
    const day = addDays(UNTIL, 20);
    const rows = await loadFeatureRows(db, [day]);
    for (const i of [0, 7, 42]) {
      const c = ruleContributions(rows.matrix, i);
      const sum = c.values.reduce((s, v) => s + v, 0);
      expect(sum).toBeCloseTo(c.prediction, 9);
      expect(c.columns).toEqual(FEATURE_NAMES);
    }
  });

  it('evaluation over time reports the model beside both baselines', async () => {
    const r = await evaluateOverTime(db, {
      until: UNTIL,
      to: addDays(UNTIL, 30),
      forest: { nEstimators: 30 },
    });
    expect(Object.keys(r.scorers).sort()).toEqual([
      'complaints',
      'forest',
      'model',
      'noText',
      'rules',
    ]);
    expect(r.testDays).toBe(30);
    expect(r.models).toBe(1);
    expect(r.fusedModels).toBeLessThanOrEqual(r.models);
    for (const s of Object.values(r.scorers)) {
      expect(s.precisionAt50).toBeGreaterThanOrEqual(0);
      expect(s.precisionAt50).toBeLessThanOrEqual(r.ceiling.precisionAt50 + 1e-12); // no list beats a perfect one
      if (s.leadVsDecision.count > 0)
        expect(s.leadVsDecision.q3).toBeLessThanOrEqual(r.ceiling.leadVsDecision.q3 + 1e-9);
      // the headline lead counts every scheme, a missed one as 0 days: never above the ceiling's
      expect(s.leadAllSchemes.count).toBe(s.schemes);
      expect(s.leadAllSchemes.median).toBeLessThanOrEqual(r.ceiling.leadVsDecision.median + 1e-9);
      expect(s.leadAllSchemes.histogram[1]!.count).toBeGreaterThanOrEqual(s.schemes - s.flagged);
    }
    // the perfect list bounds every scorer at every k, and per scheme
    for (const s of Object.values(r.scorers)) {
      expect(s.precisionAt20).toBeLessThanOrEqual(r.ceiling.precisionAt20 + 1e-12);
      expect(s.precisionAt100).toBeLessThanOrEqual(r.ceiling.precisionAt100 + 1e-12);
      expect(s.flagged).toBeLessThanOrEqual(r.ceiling.flagged);
    }
    expect(r.perScheme.length).toBe(r.scorers.model.schemes);
    for (const p of r.perScheme)
      for (const n of ['model', 'forest', 'rules', 'complaints'] as const)
        expect(p.lead[n]).toBeLessThanOrEqual(p.lead.perfect);
    const modelLeads = r.perScheme.map((p) => p.lead.model);
    expect(modelLeads.filter((x) => x > 0).length).toBe(r.scorers.model.flagged);
    // recall per kind: a kind holding every scheme repeats the headline recall
    const kinds = new Map(r.perScheme.map((p, i) => [p.uscc, i % 2 ? ['all', 'odd'] : ['all']]));
    const table = formatRecallByKind(r, kinds, ['all', 'odd', 'absent']);
    expect(table).toContain(`all (${r.perScheme.length})`);
    expect(table).toContain(`${r.scorers.model.flagged}/${r.scorers.model.schemes} `);
    expect(table).not.toContain('absent');
    expect(formatEvaluation(r)).toContain('perfect list');
    // the bootstrap's estimate is the table's own difference
    expect(r.versus.rules.sum.estimate).toBeCloseTo(
      r.scorers.model.precisionAt50 - r.scorers.rules.precisionAt50,
      9,
    );
    expect(r.versus.rules.sum.lo).toBeLessThanOrEqual(r.versus.rules.sum.hi);
    expect(r.versus.rules.median.estimate).toBeCloseTo(
      r.scorers.model.leadAllSchemes.median - r.scorers.rules.leadAllSchemes.median,
      9,
    );
  }, 180_000);
});
