/**
 * Evaluation over time on a simulated city the model has never seen (another seed, another size
 * than the sample): simulate, ingest, resolve, then walk forward — train on the outcomes known at
 * T, score every later day, retrain every 30 days — beside the two baselines and a perfect list.
 *
 *   node --import tsx bench/evaluate-city.ts [--enterprises 20000] [--days 300] [--seed 99]
 *     [--train-days 150] [--scheme-rate 0.006] [--traits quiet] [--test-every 1]
 *     [--negative-rate auto|all|RATE] [--reuse]
 *   node --import tsx bench/evaluate-city.ts --city data-samples/city --until 2026-05-30
 *
 * --negative-rate is the training sets' negative sampling (`dafei train`'s flag; 'all': the full
 * training sets).
 *
 * `--traits quiet` simulates the quiet city of issue 21 (data-samples/sim/traits.ts); `--city`
 * evaluates a city already simulated (the committed sample). The simulator's ground truth is read
 * here only to report recall per kind of scheme: labels are the city's own case_outcomes feed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { openMigratedDb } from '../pipeline/db/index.ts';
import { loadSample } from '../pipeline/demo.ts';
import { addDays } from '../pipeline/modeling/days.ts';
import {
  evaluateOverTime,
  formatEvaluation,
  formatRecallByKind,
} from '../pipeline/modeling/evaluate.ts';
import { resolve } from '../pipeline/resolve/index.ts';
import { cityManifest, formatKindShares, KIND_ORDER, schemeKinds } from './_scheme-kinds.ts';

const { values } = parseArgs({
  options: {
    enterprises: { type: 'string', default: '20000' },
    days: { type: 'string', default: '300' },
    seed: { type: 'string', default: '99' },
    'train-days': { type: 'string', default: '150' },
    'scheme-rate': { type: 'string', default: '0.006' },
    traits: { type: 'string' },
    'test-every': { type: 'string', default: '1' },
    city: { type: 'string' },
    until: { type: 'string' },
    'negative-rate': { type: 'string', default: 'auto' },
    /** Keep the database of an earlier run (its features are reused). */
    reuse: { type: 'boolean', default: false },
  },
});
const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');
const traits = values.traits ? `-${values.traits}` : '';
const dir =
  values.city?.replace(/\/$/, '') ??
  `bench/out/eval-city-${values.enterprises}-${values.days}-${values.seed}-${values['scheme-rate']}${traits}`;
const rate = values['negative-rate'];
const sampling = rate === 'all' ? false : rate === 'auto' ? {} : { negativeRate: Number(rate) };
const start = '2026-01-01';
const t0 = performance.now();
console.log(
  `machine: ${cpus().length} cores (${cpus()[0]?.model.trim()}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; load average ${load()}`,
);
if (values.city === undefined && !existsSync(`${dir}/truth/manifest.json`)) {
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
      ...(values.traits ? ['--traits', values.traits] : []),
      '--out',
      dir,
      '--quiet',
    ],
    { stdio: 'inherit' },
  );
}
// a city on disk (the committed sample) gets its database under bench/out, never beside it
const dbPath = values.city ? `bench/out/eval-city-${basename(dir)}.duckdb` : `${dir}.duckdb`;
if (!values.reuse || !existsSync(dbPath)) {
  rmSync(dbPath, { force: true });
  rmSync(`${dbPath}.wal`, { force: true });
}
const fresh = !existsSync(dbPath);
const db = await openMigratedDb(dbPath);
const lap = (what: string) =>
  console.error(`  ${what} (${((performance.now() - t0) / 1000).toFixed(0)} s, load ${load()})`);
if (fresh) {
  await loadSample(db, { out: () => {}, err: () => {} }, `${dir}/`);
  lap('ingested');
}
await resolve(db);
lap('resolved');
const until = values.until ?? addDays(start, Number(values['train-days']) - 1);
const r = await evaluateOverTime(db, {
  until,
  testEveryDays: Number(values['test-every']),
  sampling,
  onProgress: (m) => (/^(training|fusion|ad-text)/.test(m) ? lap(m) : undefined),
});
const manifest = cityManifest(dir);
const kinds = schemeKinds(dir);
console.log(
  values.city
    ? `city: ${dir}, trained until ${until}`
    : `city: ${values.enterprises} enterprises, ${values.days} days, seed ${values.seed}, scheme rate ${values['scheme-rate']}${values.traits ? `, traits ${values.traits} ${JSON.stringify(manifest.options['traits'])}` : ''}`,
);
console.log(`training sets: negative rate ${rate}`);
console.log(formatKindShares(kinds));
console.log(formatEvaluation(r));
console.log(formatRecallByKind(r, kinds, KIND_ORDER));
console.log(`elapsed: ${((performance.now() - t0) / 1000).toFixed(0)} s; load average ${load()}`);
db.close();
