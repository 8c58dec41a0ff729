/**
 * Benchmark: a large simulated city through the whole daily pipeline.
 *
 *   node --import tsx bench/city-scale.ts [--enterprises 500000] [--days 365] [--seed 7]
 *        [--evaluate-days 84] [--negative-rate auto|all|RATE] [--memory 2.5GB]
 *        [--reuse | --reuse-trained]
 *
 * 1. simulate the city (cached in bench/out/), split its feeds into "history" (all days but the
 *    last) and "the last day";
 * 2. ingest the history, resolve, compute features as of the day before the last: the FULL
 *    computation (per-ad text analysis of every ad, then the feature SQL);
 * 3. train a model on the history (`dafei train`'s recipe: negatives sampled, trees on worker
 *    threads): the features of its training days first (every 7th day; the daily runs of a city
 *    in production have computed them already), then the training itself — examples, seconds,
 *    CPU, the peak RSS while it trains (sampled every 100 ms), the event loop's longest stall;
 * 4. ingest the last day and run `runDay` for it with that model: the daily INCREMENTAL run
 *    (resolve the new records, analyse only the new texts, features, score, publish);
 * 5. evaluate the recipe over time on the city (--evaluate-days, 84 by default; 0 skips it):
 *    walk forward, retraining every 28 days, beside the rule index and the complaint baseline.
 * --reuse starts from the database saved after step 3's features by an earlier run (steps 1–2
 * skipped; saved again when a schema change made it recompute them); --reuse-trained from the one
 * saved after step 3's training (steps 1–3 skipped: measures the daily run and the evaluation). Prints times, row counts, peak RSS and the load average (DuckDB's memory limit:
 * --memory, 2.5GB). Bars: features full < 10 min and daily < 30 s (issue 4), daily run < 60 s
 * (issue 6), training < 10 min (issue 19), peak RSS < 4 GB, on 2 cores; the last lines print
 * issue 19's bars (training seconds, peak RSS while training, the daily run with the model, the
 * whole run's peak RSS) as PASS / FAIL beside the measured figure, then the load average.
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  rmSync,
  type WriteStream,
} from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import iconv from 'iconv-lite';
import { openMigratedDb } from '../pipeline/db/index.ts';
import { loadSample } from '../pipeline/demo.ts';
import { computeFeatures } from '../pipeline/features/compute.ts';
import { addDays } from '../pipeline/modeling/days.ts';
import { ensureFeatures } from '../pipeline/modeling/ensure-features.ts';
import { evaluateOverTime, formatEvaluation } from '../pipeline/modeling/evaluate.ts';
import { trainAndRegister } from '../pipeline/modeling/train-job.ts';
import { firstDataDay, sampleDays } from '../pipeline/modeling/train.ts';
import { resolve } from '../pipeline/resolve/index.ts';
import { createProgress, type Progress } from '../pipeline/progress.ts';
import { runDay } from '../pipeline/run-day.ts';

const { values } = parseArgs({
  options: {
    enterprises: { type: 'string', default: '500000' },
    days: { type: 'string', default: '365' },
    seed: { type: 'string', default: '7' },
    // DuckDB's memory limit: the bar is a peak RSS under 4 GB for the whole process
    memory: { type: 'string', default: '2.5GB' },
    // start from the database an earlier run saved after ingest, resolution and features
    reuse: { type: 'boolean', default: false },
    // start from the database an earlier run saved after training (the model in it is active)
    'reuse-trained': { type: 'boolean', default: false },
    // test days of the evaluation over time (0: none)
    'evaluate-days': { type: 'string', default: '84' },
    // the training sets' negative sampling, as `dafei train --negative-rate` ('all': no sampling)
    'negative-rate': { type: 'string', default: 'auto' },
  },
});
const rate = values['negative-rate'];
const sampling = rate === 'all' ? false : rate === 'auto' ? {} : { negativeRate: Number(rate) };
const n = Number(values.enterprises);
const days = Number(values.days);
const start = '2026-01-01';
const lastDay = addDays(start, days - 1);
const dir = `bench/out/city-${n}-${days}-${values.seed}`;
const rss = () => `${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`;
const t = () => performance.now();
const secs = (a: number) => `${((performance.now() - a) / 1000).toFixed(1)} s`;
const load = () =>
  `load average ${loadavg()
    .map((v) => v.toFixed(1))
    .join(' ')}`;

console.log(
  `machine: ${cpus().length} cores (${cpus()[0]?.model.trim()}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
);
if (!existsSync(`${dir}/truth/manifest.json`)) {
  const a = t();
  execFileSync(
    process.execPath,
    [
      '--import',
      'tsx',
      'data-samples/simulate.ts',
      '--enterprises',
      String(n),
      '--days',
      String(days),
      '--seed',
      String(values.seed),
      '--out',
      dir,
      '--quiet',
    ],
    { stdio: 'inherit' },
  );
  console.log(`simulate: ${secs(a)}`);
}

/** Splits a feed file by the record's day: before the last day → hist, the last day → last. */
async function split(name: string, dayOf: (line: string) => string | undefined, gbk = false) {
  const out = (sub: string): WriteStream => {
    mkdirSync(`${dir}/${sub}`, { recursive: true });
    return createWriteStream(`${dir}/${sub}/${name}`);
  };
  const hist = out('hist');
  const last = out('last');
  const input = createReadStream(`${dir}/${name}`);
  const lines = createInterface({
    input: gbk ? input.pipe(iconv.decodeStream('gb18030')) : input,
    crlfDelay: Infinity,
  });
  let header: string | undefined;
  const enc = (s: string) => (gbk ? iconv.encode(`${s}\n`, 'gb18030') : `${s}\n`);
  for await (const line of lines) {
    if (name.endsWith('.csv') && header === undefined) {
      header = line;
      hist.write(enc(line));
      last.write(enc(line));
      continue;
    }
    const d = dayOf(line);
    if (d === undefined) continue;
    const w = d < lastDay ? hist : d === lastDay ? last : undefined;
    if (w && !w.write(enc(line))) await new Promise<void>((r) => w.once('drain', () => r()));
  }
  await Promise.all([hist, last].map((w) => new Promise<void>((r) => w.end(() => r()))));
}

if (!existsSync(`${dir}/last/case_outcomes.csv`)) {
  const a = t();
  const json = (field: string) => (l: string) => {
    const m = new RegExp(`"${field}":"(\\d{4}-\\d{2}-\\d{2})`).exec(l);
    return m?.[1];
  };
  const csv = (l: string) => /^[^,]*,(\d{4}-\d{2}-\d{2})/.exec(l)?.[1];
  await split('registrations.ndjson', json('as_of'));
  await split('registration_changes.ndjson', json('changed_on'));
  await split('ads.ndjson', json('seen_at'));
  await split('complaints.csv', csv, true);
  await split('case_outcomes.csv', csv);
  console.log(`split at ${lastDay}: ${secs(a)}`);
}

const dbPath = `bench/out/city-scale.duckdb`;
const snapshot = `${dir}-history.duckdb`;
const trainedSnapshot = `${dir}-trained.duckdb`;
rmSync(dbPath, { force: true });
rmSync(`${dbPath}.wal`, { force: true });
const reuseTrained = values['reuse-trained'] === true;
if (reuseTrained && !existsSync(trainedSnapshot)) {
  console.error(`--reuse-trained: ${trainedSnapshot} does not exist (run once with --reuse first)`);
  process.exit(2);
}
const reuse = reuseTrained || (values.reuse === true && existsSync(snapshot));
if (reuse) copyFileSync(reuseTrained ? trainedSnapshot : snapshot, dbPath);
const db = await openMigratedDb(dbPath, { memoryLimit: values.memory });
const quiet = { out: (l: string) => console.log(`  ${l.trim()}`), err: () => {} };
let a = t();
if (reuse) {
  console.log(
    `history: reused ${reuseTrained ? trainedSnapshot : snapshot} (ingested, resolved and with its features, by an earlier run of this script)`,
  );
  // derived tables a newer version keeps (e.g. the learned aliases' record keys) are brought up to
  // date once, as a deployment's first run after an upgrade would, so the daily run below measures
  // the steady state; the snapshot is saved again when that changed anything
  const r = await resolve(db);
  if (r.aliasesFrom !== 'none') {
    console.log(
      `history brought up to date by a resolve (learned aliases from ${r.aliasesFrom}): ${secs(a)}; ${load()}`,
    );
    await db.checkpoint();
    copyFileSync(dbPath, reuseTrained ? trainedSnapshot : snapshot);
  }
} else {
  await loadSample(db, quiet, `${dir}/hist/`);
  console.log(`ingest history: ${secs(a)}, peak RSS ${rss()}; ${load()}`);
  const counts = await db.one<{ e: number; ads: number; c: number }>(
    `SELECT (SELECT count(DISTINCT uscc) FROM registrations)::INTEGER AS e, (SELECT count(*) FROM ads)::INTEGER AS ads, (SELECT count(*) FROM complaints)::INTEGER AS c`,
  );
  console.log(`history: ${counts!.e} enterprises, ${counts!.ads} ads, ${counts!.c} complaints`);
  a = t();
  const r = await resolve(db, {
    onBatch: (p) =>
      process.stderr.write(
        `\r  resolve: batch ${p.batch}/${p.batches} (${p.seconds.toFixed(1)} s)   `,
      ),
  });
  process.stderr.write('\n');
  console.log(
    `resolve (full): ${secs(a)} — ads linked ${r.ads.linked}, complaints linked ${r.complaints.linked}; peak RSS ${rss()}; ${load()}`,
  );
  a = t();
  const f = await computeFeatures(db, addDays(lastDay, -1));
  console.log(
    `features full (as of ${addDays(lastDay, -1)}): ${secs(a)} — ${f.analysed.ads} ads and ${f.analysed.complaints} complaints analysed, ${f.enterprises} enterprises; peak RSS ${rss()}; ${load()}`,
  );
}

// --- the model: trained on the history (outcomes decided up to the day before the last) ---
const until = addDays(lastDay, -1);
/** Training figures, when this run trained (not with --reuse-trained). */
let training: { seconds: number; peak: number } | undefined;
if (reuseTrained) {
  const v = await db.one<{ v: number }>(`SELECT max(version)::INTEGER AS v FROM model_versions`);
  console.log(
    `training: reused ${trainedSnapshot} (history, the training days' features and model v${v?.v}, by an earlier run of this script)`,
  );
} else {
  const trainDays = sampleDays((await firstDataDay(db))!, until, 7, 30);
  a = t();
  const computed = await ensureFeatures(db, trainDays, (d, i, k) =>
    process.stderr.write(`\r  features of training day ${d} (${i + 1}/${k})   `),
  );
  process.stderr.write('\n');
  console.log(
    `features of the ${trainDays.length} training days (every 7th day; a daily run computes each day's once): ${computed} computed, ${secs(a)}; ${load()}`,
  );
  // saved for --reuse (again when a schema change made this run recompute the features)
  if (!reuse || computed > 0) {
    await db.checkpoint();
    copyFileSync(dbPath, snapshot);
  }
  let peak = process.memoryUsage.rss();
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 100);
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  a = t();
  const cpu0 = process.cpuUsage();
  const trained = await trainAndRegister(db, {
    until,
    evalDays: 0,
    sampling,
    onProgress: (m) => (m.startsWith('features') ? undefined : console.log(`  ${m}`)),
    onTree: treeBar(),
  });
  training = { seconds: (t() - a) / 1000, peak };
  const cpu = process.cpuUsage(cpu0);
  clearInterval(sampler);
  lag.disable();
  training.peak = Math.max(peak, process.memoryUsage.rss());
  const sr = trained.sampling;
  console.log(
    `training (model v${trained.version}): ${secs(a)} — ${trained.examples} examples (${trained.positives} positive) from ${sr ? sr.candidates.confirmed + sr.candidates.hard + sr.candidates.easy : '?'} candidate rows, negatives sampled at ${sr?.easyRate ?? 1} (with ads or complaints ${sr?.hardRate ?? 1}); CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s; peak RSS during training ${(training.peak / 2 ** 20).toFixed(0)} MB; event loop max delay ${(lag.max / 1e6).toFixed(0)} ms; ${load()}`,
  );
  // saved for --reuse-trained: the daily run and the evaluation measured again without training
  await db.checkpoint();
  copyFileSync(dbPath, trainedSnapshot);
}

a = t();
await loadSample(db, quiet, `${dir}/last/`);
console.log(`ingest the last day: ${secs(a)}`);
a = t();
const run = await runDay(db, lastDay);
const runSeconds = (t() - a) / 1000;
console.log(
  `daily run (incremental: resolve new records, text of new ads, features, score, publish) for ${lastDay}: ${secs(a)} — ${run.enterprises} scored, ${run.listed} listed (${run.scorer}${run.modelVersion ? ` v${run.modelVersion}` : ''}); peak RSS ${rss()}; ${load()}`,
);
const st = Object.entries(run.steps)
  .map(([k, v]) => `${k} ${v.toFixed(1)} s`)
  .join(', ');
console.log(`  daily run steps: ${st}`);

// --- evaluation over time on this city: the recipe walking forward, beside the baselines ---
const evalDays = Number(values['evaluate-days']);
if (evalDays > 0) {
  a = t();
  // retrained every 28 days: the training days of every walk-forward model fall on the same
  // 7-day grid as the model above, so their features are computed once
  const ev = await evaluateOverTime(db, {
    until: addDays(until, -evalDays),
    to: lastDay,
    retrainEveryDays: 28,
    sampling,
    onProgress: (m) =>
      m.startsWith('features')
        ? process.stderr.write(`\r  ${m}   `)
        : console.log(`  ${m} (${secs(a)}; ${load()})`),
    onTree: treeBar(),
  });
  console.log(formatEvaluation(ev));
  console.log(`evaluation over time: ${secs(a)}; peak RSS ${rss()}; ${load()}`);
}
db.close();

// --- the issue's bars, from the figures above (measured on this machine, under its load) ---
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const bar = (name: string, ok: boolean, figure: string) =>
  console.log(`bar ${name}: ${figure} — ${ok ? 'PASS' : 'FAIL'}`);
console.log(`summary (${n} enterprises, ${days} days, seed ${values.seed}):`);
if (training) {
  bar('training < 600 s', training.seconds < 600, `${training.seconds.toFixed(1)} s`);
  bar('peak RSS while training < 4 GB', training.peak < 4 * 2 ** 30, mb(training.peak));
} else {
  console.log(
    'bar training < 600 s, peak RSS while training < 4 GB: not measured (--reuse-trained)',
  );
}
bar(
  'daily run with the model < 60 s',
  runSeconds < 60 && run.scorer === 'model',
  `${runSeconds.toFixed(1)} s, scored by ${run.scorer}${run.modelVersion ? ` v${run.modelVersion}` : ''}`,
);
bar('peak RSS of the whole run < 4 GB', process.resourceUsage().maxRSS * 1024 < 4 * 2 ** 30, rss());
console.log(`at the end: ${load()}`);

/** A progress bar with an ETA over each forest's trees (stderr). */
function treeBar(): (done: number, total: number) => void {
  let bar: Progress | null = null;
  return (done, total) => {
    if (done === 1) bar = createProgress('  trees', total);
    bar?.tick();
    if (done === total) bar?.done();
  };
}
