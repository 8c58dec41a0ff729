/**
 * Scoring and artefact-load benchmark.
 *
 *   node --import tsx bench/forest-score.ts [--rows 1000000] [--cols 40] [--trees 100]
 *
 * Trains the forest of bench/forest-vs-sklearn.ts (100 trees on 50,000 × 40, scikit-learn
 * defaults: fully grown trees), saves its artefact to a temporary file, then times
 * (1) loading the artefact from disk (read + parse + validate) and
 * (2) scoring `rows` × `cols` enterprises (row-major Float32 matrix): single-threaded
 *     `predictProba`, then `predictProbaParallel` on all cores (same scores, checked).
 * Prints stable "label: value" lines; bars: load < 1 s, score 1,000,000 rows < 10 s.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { makeClassification } from '../models/_synthetic.ts';
import { loadArtifact, saveArtifact } from '../models/artifact.ts';
import { HistogramForest } from '../models/forest.ts';
import { predictProbaParallel } from '../models/parallel-score.ts';
import { availableParallelism } from 'node:os';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    cols: { type: 'string', default: '40' },
    trees: { type: 'string', default: '100' },
    train: { type: 'string', default: '50000' },
    seed: { type: 'string', default: '7' },
  },
});
const rows = Number(values.rows);
const cols = Number(values.cols);
const trees = Number(values.trees);
const trainRows = Number(values.train);
const seed = Number(values.seed);

const dir = mkdtempSync(join(tmpdir(), 'dafei-forest-score-'));
try {
  const train = makeClassification({
    rows: trainRows,
    cols,
    seed,
    positiveRate: 0.1,
    missing: 0.01,
    flip: 0.02,
  });
  const forest = new HistogramForest({ nEstimators: trees, seed }).fit(train.x, train.y);
  const file = join(dir, 'forest.json');
  writeFileSync(file, saveArtifact(forest));
  const stats = forest.stats();
  console.log(`model: ${trees} trees, ${stats.nodes} nodes, trained on ${trainRows} x ${cols}`);

  const t0 = performance.now();
  const loaded = loadArtifact(readFileSync(file));
  const loadS = (performance.now() - t0) / 1000;
  console.log(`artifact bytes: ${readFileSync(file).byteLength}`);
  console.log(`artifact load seconds: ${loadS.toFixed(3)}`);

  const big = makeClassification({ rows, cols, seed: seed + 1, positiveRate: 0.1, missing: 0.01 });
  // CPU time beside wall time: on a shared machine the wall clock includes other jobs' turns.
  const c1 = process.cpuUsage();
  const t1 = performance.now();
  const p = loaded.predictProba(big.x);
  const scoreS = (performance.now() - t1) / 1000;
  const cpu1 = process.cpuUsage(c1);
  const threads = availableParallelism();
  const t2 = performance.now();
  const q = await predictProbaParallel(loaded as HistogramForest, big.x, { threads });
  const parallelS = (performance.now() - t2) / 1000;
  let sum = 0;
  for (const v of p) sum += v;
  console.log(`score rows: ${rows}`);
  console.log(`score seconds (1 thread): ${scoreS.toFixed(3)}`);
  console.log(`score cpu seconds (1 thread): ${((cpu1.user + cpu1.system) / 1e6).toFixed(3)}`);
  console.log(`score seconds (${threads} threads): ${parallelS.toFixed(3)}`);
  console.log(`score rows per second (${threads} threads): ${Math.round(rows / parallelS)}`);
  console.log(`score parallel identical: ${q.every((v, i) => v === p[i]) ? 'yes' : 'NO'}`);
  console.log(`score mean probability: ${(sum / rows).toFixed(4)}`);
  console.log(`bar load < 1 s: ${loadS < 1 ? 'pass' : 'FAIL'}`);
  console.log(
    `bar score < 10 s (best of 1 / ${threads} threads): ${Math.min(scoreS, parallelS) < 10 ? 'pass' : 'FAIL'}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
