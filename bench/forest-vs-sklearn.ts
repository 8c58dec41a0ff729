/**
 * Histogram forest vs scikit-learn, side by side in one run.
 *
 *   node --import tsx bench/forest-vs-sklearn.ts [--rows 50000] [--cols 40] [--trees 100]
 *
 * Builds a seeded synthetic matrix (rows × cols for training plus 25 % more held out; 10 %
 * positives, 1 % missing, 2 % flipped labels), writes it to a temporary folder (x.f32 row-major
 * float32, y.u8, meta.json), trains our forest on the training rows and scores the held-out
 * ones, then runs /usr/bin/python3 bench/forest_sklearn.py on the same files:
 * - RandomForestClassifier(n_estimators, n_jobs=1), defaults otherwise (unlimited depth,
 *   min_samples_leaf 1, sqrt features, bootstrap): the same configuration as ours, but exact
 *   splits (every distinct value a candidate threshold), where ours is a HISTOGRAM forest (each
 *   feature binned once into ≤ 255 quantile bins; splits between bins);
 * - HistGradientBoostingClassifier(max_iter = trees, early_stopping=False), one OpenMP thread:
 *   histogram splits like ours, but boosted trees rather than a forest.
 * Every fit is on one thread. Prints stable "label: value" lines, the ratios against both, and the
 * bars: fit time ≤ 0.1 × RandomForest's; AUC not below HistGradientBoosting's by more than 0.01.
 * Also prints our fit on worker threads (every core), which the pipeline uses.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { HistogramForest } from '../models/forest.ts';
import { fitForestParallel } from '../models/forest-parallel.ts';
import { makeClassification } from '../models/_synthetic.ts';
import { selectRows } from '../models/matrix.ts';
import { averagePrecision, rocAuc } from '../models/metrics.ts';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '50000' },
    cols: { type: 'string', default: '40' },
    trees: { type: 'string', default: '100' },
    seed: { type: 'string', default: '7' },
    histogram: { type: 'string', default: 'auto' },
  },
});
const rows = Number(values.rows);
const cols = Number(values.cols);
const trees = Number(values.trees);
const seed = Number(values.seed);
const histogram = values.histogram as 'auto' | 'direct' | 'subtract';
// Train on exactly `rows` rows; a further rows / 4 are generated as the held-out part.
const trainRows = rows;
const totalRows = rows + Math.floor(rows / 4);

const here = dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'dafei-forest-bench-'));
try {
  const { x, y } = makeClassification({
    rows: totalRows,
    cols,
    seed,
    positiveRate: 0.1,
    missing: 0.01,
    flip: 0.02,
  });
  writeFileSync(
    join(dir, 'x.f32'),
    Buffer.from(x.data.buffer, x.data.byteOffset, x.data.byteLength),
  );
  writeFileSync(join(dir, 'y.u8'), y);
  writeFileSync(
    join(dir, 'meta.json'),
    JSON.stringify({ rows: totalRows, cols, train_rows: trainRows, n_estimators: trees, seed }),
  );

  const train = Int32Array.from({ length: trainRows }, (_, i) => i);
  const test = Int32Array.from({ length: totalRows - trainRows }, (_, i) => trainRows + i);
  const xTrain = selectRows(x, train);
  const xTest = selectRows(x, test);
  const yTrain = y.subarray(0, trainRows);
  const yTest = y.subarray(trainRows);

  console.log(
    `forest: ours is a histogram forest (features binned into <= 255 quantile bins; bootstrap, sqrt features, gini, unlimited depth); scikit-learn's RandomForest splits on exact values; HistGradientBoosting is histogram-based boosting`,
  );
  console.log(
    `load average at start: ${loadavg()
      .map((v) => v.toFixed(2))
      .join(' ')}`,
  );
  console.log(`matrix: ${trainRows} x ${cols} train, ${totalRows - trainRows} held out`);
  console.log(`trees: ${trees}`);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const forest = new HistogramForest({ nEstimators: trees, seed, histogram }).fit(xTrain, yTrain);
  const fitS = (performance.now() - t0) / 1000;
  const fitCpu = process.cpuUsage(c0);
  const t1 = performance.now();
  const p = forest.predictProba(xTest);
  const predS = (performance.now() - t1) / 1000;
  const ours = { fit: fitS, auc: rocAuc(yTest, p), ap: averagePrecision(yTest, p) };
  console.log(`ours fit seconds: ${fitS.toFixed(3)}`);
  console.log(`ours fit cpu seconds: ${((fitCpu.user + fitCpu.system) / 1e6).toFixed(3)}`);
  console.log(`ours predict seconds: ${predS.toFixed(3)}`);
  console.log(`ours nodes: ${forest.stats().nodes}`);
  console.log(`ours roc_auc: ${ours.auc.toFixed(4)}`);
  console.log(`ours pr_auc: ${ours.ap.toFixed(4)}`);
  const t2 = performance.now();
  const par = await fitForestParallel(
    new HistogramForest({ nEstimators: trees, seed, histogram }),
    xTrain,
    yTrain,
  );
  const parS = (performance.now() - t2) / 1000;
  const same = par.predictProba(xTest).every((v, i) => v === p[i]);
  console.log(
    `ours fit seconds on worker threads (${availableParallelism()}): ${parS.toFixed(3)} (same forest: ${same ? 'yes' : 'NO'})`,
  );

  const py = '/usr/bin/python3';
  const check = existsSync(py)
    ? spawnSync(py, ['-c', 'import sklearn'], { encoding: 'utf8' })
    : null;
  if (!check || check.status !== 0) {
    console.log('sklearn: not available (install python3-sklearn); skipped');
    process.exit(0);
  }
  const run = spawnSync(py, [join(here, 'forest_sklearn.py'), dir], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
    env: { ...process.env, OMP_NUM_THREADS: '1' },
  });
  if (run.status !== 0) {
    console.error(run.stderr);
    throw new Error('bench/forest_sklearn.py failed');
  }
  process.stdout.write(run.stdout);
  const get = (label: string): number =>
    Number(
      /^(.*?): (.*)$/m.exec(
        run.stdout.split('\n').find((l) => l.startsWith(`${label}:`)) ?? '',
      )?.[2],
    );
  const skFit = get('sklearn fit seconds');
  const skCpu = get('sklearn fit cpu seconds');
  const skAuc = get('sklearn roc_auc');
  const hgbFit = get('hgb fit seconds');
  const hgbCpu = get('hgb fit cpu seconds');
  const hgbAuc = get('hgb roc_auc');
  const oursCpu = (fitCpu.user + fitCpu.system) / 1e6;
  console.log(`ratio ours/sklearn fit: ${(fitS / skFit).toFixed(3)}`);
  console.log(`ratio ours/sklearn fit cpu: ${(oursCpu / skCpu).toFixed(3)}`);
  console.log(`auc difference ours-sklearn: ${(ours.auc - skAuc).toFixed(4)}`);
  console.log(`ratio ours/hgb fit: ${(fitS / hgbFit).toFixed(3)}`);
  console.log(`ratio ours/hgb fit cpu: ${(oursCpu / hgbCpu).toFixed(3)}`);
  console.log(`auc difference ours-hgb: ${(ours.auc - hgbAuc).toFixed(4)}`);
  console.log(`bar fit ratio vs RandomForest <= 0.1: ${fitS / skFit <= 0.1 ? 'pass' : 'FAIL'}`);
  console.log(
    `bar auc vs HistGradientBoosting >= -0.01: ${ours.auc - hgbAuc >= -0.01 ? 'pass' : 'FAIL'}`,
  );
  console.log(
    `load average at end: ${loadavg()
      .map((v) => v.toFixed(2))
      .join(' ')}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
