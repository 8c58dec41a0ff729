/**
 * Training and scoring on a worker thread (what `dafei serve`'s weekly job does): the same model
 * and scores as on the calling thread, progress forwarded, failures raised, and the calling thread
 * free meanwhile.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMigratedDb, type Db } from '../db/index.ts';
import { loadSample } from '../demo.ts';
import { tmpDir } from '../feeds/_fixtures.ts';
import { testCity } from '../_test-city.ts';
import { selectRows } from '../../models/index.ts';
import { bundleToJson, predict } from './bundle.ts';
import { fitBundle, type TrainingSet } from './fit.ts';
import { fitBundleInWorker, predictInWorker } from './model-thread.ts';
import { buildTrainingSet, trainModelAt } from './train.ts';

const quiet = { out: () => {}, err: () => {} };
const city = testCity();
const UNTIL = '2026-04-10';
const forest = { nEstimators: 20 };
let db: Db;
let set: TrainingSet;

beforeAll(async () => {
  db = await openMigratedDb(`${tmpDir()}/fit.duckdb`);
  await loadSample(db, quiet, `${city.dir}/`);
  const { resolve } = await import('../resolve/index.ts');
  await resolve(db);
  set = await buildTrainingSet(db, { until: UNTIL });
});
afterAll(() => db.close());

describe('fitting on a worker thread', () => {
  it('gives the model the calling thread gives, and forwards the progress', async () => {
    const progress: string[] = [];
    const here = fitBundle(set, { forest });
    const there = await fitBundleInWorker(set, { forest, onProgress: (m) => progress.push(m) });
    expect(bundleToJson(there.bundle)).toBe(bundleToJson(here.bundle));
    expect(there.calibrationDays).toEqual(here.calibrationDays);
    expect(there.fusionChoice).toEqual(here.fusionChoice);
    expect(progress[0]).toMatch(/^training 20 trees on \d+ examples/);
    const x = selectRows(set.rows.matrix, [0, 1, 2, 3, 4]);
    expect(predict(there.bundle, x).score).toEqual(predict(here.bundle, x).score);
  });

  it('scores on a worker thread exactly as on the calling thread', async () => {
    const { bundle } = fitBundle(set, { forest });
    const x = set.rows.matrix;
    const here = predict(bundle, x);
    const there = await predictInWorker(bundle, x);
    expect(there.score).toEqual(here.score);
    expect(there.raw).toEqual(here.raw);
    expect(there.forest).toEqual(here.forest);
    expect(there.rules).toEqual(here.rules);
    expect(there.score.length).toBe(x.rows);
  });

  it('leaves the calling thread free while it fits', async () => {
    // from the moment the forest starts growing, count the turns of the event loop until it is done
    const watch = () => {
      let on = true;
      let turns = 0;
      const tick = () => {
        if (!on) return;
        turns++;
        setImmediate(tick);
      };
      return {
        onProgress: (m: string) => void (m.startsWith('training ') && setImmediate(tick)),
        stop: () => ((on = false), turns),
      };
    };
    const inWorker = watch();
    const trained = await trainModelAt(db, {
      until: UNTIL,
      forest,
      worker: true,
      onProgress: inWorker.onProgress,
    });
    expect(inWorker.stop()).toBeGreaterThan(10);
    expect(trained.positives).toBeGreaterThanOrEqual(3);
    // on the calling thread the loop never turns during the fit
    const here = watch();
    await trainModelAt(db, { until: UNTIL, forest, onProgress: here.onProgress });
    expect(here.stop()).toBe(0);
  });

  it('a fit that fails in the worker is a model_failed error, not a hang', async () => {
    // options the forest refuses: the worker's error comes back with its message
    await expect(fitBundleInWorker(set, { forest: { nEstimators: 0 } })).rejects.toMatchObject({
      code: 'model_failed',
      message: '[train] [forest] nEstimators must be a positive integer',
    });
  });
});
