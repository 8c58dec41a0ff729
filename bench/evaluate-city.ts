/**
 * Evaluation over time on a simulated city the model has never seen (another seed, another size
 * than the sample): simulate, ingest, resolve, then walk forward — train on the outcomes known at
 * T, score every later day, retrain every 30 days — beside the two baselines.
 *
 *   node --import tsx bench/evaluate-city.ts [--enterprises 20000] [--days 300] [--seed 99] [--train-days 150] [--scheme-rate 0.006]
 *        [--city data-samples/city] [--negative-rate auto|all|RATE]
 *
 * --city evaluates a city already on disk (e.g. the committed sample) instead of simulating one;
 * --negative-rate is the training sets' negative sampling (`dafei train`'s flag; 'all': the full
 * training sets).
 *
 * The simulator's ground truth is never read: labels are the city's own case_outcomes feed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { openMigratedDb } from '../pipeline/db/index.ts';
import { loadSample } from '../pipeline/demo.ts';
import { addDays } from '../pipeline/modeling/days.ts';
import { evaluateOverTime, formatEvaluation } from '../pipeline/modeling/evaluate.ts';
import { resolve } from '../pipeline/resolve/index.ts';

const { values } = parseArgs({
  options: {
    enterprises: { type: 'string', default: '20000' },
    days: { type: 'string', default: '300' },
    seed: { type: 'string', default: '99' },
    'train-days': { type: 'string', default: '150' },
    'scheme-rate': { type: 'string', default: '0.006' },
    city: { type: 'string' },
    'negative-rate': { type: 'string', default: 'auto' },
  },
});
const simulated = `bench/out/eval-city-${values.enterprises}-${values.days}-${values.seed}-${values['scheme-rate']}`;
const dir = values.city?.replace(/\/$/, '') ?? simulated;
const rate = values['negative-rate'];
const sampling = rate === 'all' ? false : rate === 'auto' ? {} : { negativeRate: Number(rate) };
const start = '2026-01-01';
const t0 = performance.now();
console.log(
  `machine: ${cpus().length} cores (${cpus()[0]?.model.trim()}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
);
if (!values.city && !existsSync(`${dir}/truth/manifest.json`)) {
  execFileSync(
    process.execPath,
    [
      '--import',
      'tsx',
      'data-samples/simulate.ts',
      '--enterprises',
      values.enterprises,
      '--days',
      values.days,
      '--seed',
      values.seed,
      '--scheme-rate',
      values['scheme-rate'],
      '--out',
      dir,
      '--quiet',
    ],
    { stdio: 'inherit' },
  );
}
const dbPath = values.city ? `bench/out/eval-city-${basename(dir)}.duckdb` : `${dir}.duckdb`;
rmSync(dbPath, { force: true });
rmSync(`${dbPath}.wal`, { force: true });
const db = await openMigratedDb(dbPath);
const load = () =>
  `load average ${loadavg()
    .map((v) => v.toFixed(1))
    .join(' ')}`;
const lap = (what: string) =>
  console.error(`  ${what} (${((performance.now() - t0) / 1000).toFixed(0)} s; ${load()})`);
await loadSample(db, { out: () => {}, err: () => {} }, `${dir}/`);
lap('ingested');
await resolve(db);
lap('resolved');
const until = addDays(start, Number(values['train-days']) - 1);
const r = await evaluateOverTime(db, {
  until,
  sampling,
  onProgress: (m) => (m.startsWith('training') ? lap(m) : undefined),
});
console.log(
  values.city
    ? `city: ${dir}`
    : `city: ${values.enterprises} enterprises, ${values.days} days, seed ${values.seed}, scheme rate ${values['scheme-rate']}`,
);
console.log(`training sets: negative rate ${rate}`);
console.log(formatEvaluation(r));
console.log(`elapsed: ${((performance.now() - t0) / 1000).toFixed(0)} s; ${load()}`);
db.close();
