/**
 * The weights of a sampled training set keep the calibrated probabilities where the full set puts
 * them (fitModel: the forest, then Platt / isotonic on the held-out days). A synthetic set, no
 * database.
 */
import { describe, expect, it } from 'vitest';
import { createMatrix, createRng, selectRows, type Matrix } from '../../models/index.ts';
import { addDays } from './days.ts';
import { bundleToJson, predict } from './bundle.ts';
import { fitModel, fitModelInWorker } from './fit-model.ts';
import type { TrainingSet } from './train.ts';

const DAYS = 40;
const PER_DAY = 800;

/** Seeded rows: 8 normal features, P(1) a logistic function of three of them (about 4 %). */
function synthetic(rows: number): { x: Matrix; y: Uint8Array } {
  const rng = createRng(3);
  const normal = () =>
    Math.sqrt(-2 * Math.log(Math.max(1e-12, rng.next()))) * Math.cos(2 * Math.PI * rng.next());
  const x = createMatrix(rows, 8);
  const y = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < 8; j++) x.data[i * 8 + j] = normal();
    const v = x.data.subarray(i * 8, i * 8 + 8);
    const logit = 1.6 * v[0]! + 1.2 * v[1]! * v[2]! - 4;
    y[i] = rng.next() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
  }
  return { x, y };
}

function fullSet(): TrainingSet {
  const { x, y } = synthetic(DAYS * PER_DAY);
  const days = Array.from({ length: DAYS }, (_, d) => addDays('2026-01-01', d));
  const day = Array.from({ length: x.rows }, (_, i) => days[Math.floor(i / PER_DAY)]!);
  const uscc = Array.from({ length: x.rows }, (_, i) => `U${i}`);
  return { rows: { matrix: x, uscc, day }, labels: y, days };
}

/** Every positive, negatives kept at `rate` per day and weighted back (or not). */
function sampledSet(full: TrainingSet, rate: number, weighted: boolean): TrainingSet {
  const rng = createRng(9);
  const keep: number[] = [];
  for (let i = 0; i < full.labels.length; i++)
    if (full.labels[i] === 1 || rng.next() < rate) keep.push(i);
  const weight = new Float64Array(keep.length);
  for (const d of full.days) {
    let n = 0;
    let k = 0;
    full.rows.day.forEach((x, i) => (x === d && full.labels[i] === 0 ? n++ : 0));
    keep.forEach((i) => (full.rows.day[i] === d && full.labels[i] === 0 ? k++ : 0));
    keep.forEach((i, j) => {
      if (full.rows.day[i] === d) weight[j] = full.labels[i] === 1 ? 1 : n / k;
    });
  }
  return {
    rows: {
      matrix: selectRows(full.rows.matrix, keep),
      uscc: keep.map((i) => full.rows.uscc[i]!),
      day: keep.map((i) => full.rows.day[i]!),
      ...(weighted ? { weight } : {}),
    },
    labels: Uint8Array.from(keep, (i) => full.labels[i]!),
    days: full.days,
  };
}

describe('fitModel on a sampled training set', () => {
  it('keeps the calibrated probabilities of the full set (and would not without the weights)', async () => {
    const full = fullSet();
    const o = {
      until: addDays('2026-01-01', DAYS),
      forest: { nEstimators: 15, minSamplesLeaf: 5 },
      stackRuleIndex: false,
      derived: false,
      fusion: false,
      threads: 1,
    };
    const meanScore = async (set: TrainingSet) => {
      const m = await fitModel(set, o);
      expect(m.bundle.calibrator.kind).not.toBe('identity');
      const s = predict(m.bundle, full.rows.matrix).score;
      return s.reduce((a, b) => a + b, 0) / s.length;
    };
    const rate = full.labels.reduce((a, b) => a + b, 0) / full.labels.length;
    const fullMean = await meanScore(full);
    const weighted = await meanScore(sampledSet(full, 0.1, true));
    const unweighted = await meanScore(sampledSet(full, 0.1, false));
    expect(fullMean / rate).toBeGreaterThan(0.7);
    expect(fullMean / rate).toBeLessThan(1.4);
    expect(weighted / fullMean).toBeGreaterThan(0.75);
    expect(weighted / fullMean).toBeLessThan(1.33);
    // the contrast: 10 % of the negatives, unweighted, about 3 times the probability here
    expect(unweighted / fullMean).toBeGreaterThan(2);
  });
});

describe('fitModelInWorker', () => {
  const set = fullSet();
  const o = {
    until: addDays('2026-01-01', DAYS),
    forest: { nEstimators: 8 },
    stackRuleIndex: false,
    derived: false,
    fusion: false,
  };

  it('fits on a worker thread the same model as fitModel, with its progress', async () => {
    const here = await fitModel(set, o);
    const trees: number[] = [];
    const messages: string[] = [];
    const there = await fitModelInWorker(set, {
      ...o,
      onTree: (done) => trees.push(done),
      onProgress: (m) => messages.push(m),
    });
    expect(bundleToJson(there.bundle)).toBe(bundleToJson(here.bundle));
    expect(there.positives).toBe(here.positives);
    expect(there.calibrationDays).toEqual(here.calibrationDays);
    expect(trees).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(messages[0]).toMatch(/^training 8 trees on \d+ examples/);
  });

  it("a worker's error keeps its class and code", async () => {
    const few = { ...set, labels: new Uint8Array(set.labels.length) };
    await expect(fitModelInWorker(few, o)).rejects.toMatchObject({
      name: 'AppError',
      code: 'model_failed',
      message: expect.stringMatching(/only 0 positive examples/) as unknown,
    });
  });
});
