/**
 * Benchmark: a large simulated city through the whole daily pipeline.
 *
 *   node --import tsx bench/city-scale.ts [--enterprises 500000] [--days 365] [--seed 7]
 *
 * 1. simulate the city (cached in bench/out/), split its feeds into "history" (all days but the
 *    last) and "the last day";
 * 2. ingest the history, resolve, compute features as of the day before the last: the FULL
 *    computation (per-ad text analysis of every ad, then the feature SQL);
 * 3. ingest the last day and run `runDay` for it: the daily INCREMENTAL run (resolve the new
 *    records, analyse only the new texts, features, score, publish).
 * Prints times, row counts and the process's peak RSS (DuckDB's memory limit: --memory, 2.5GB). Bars: features full < 10 min and daily
 * < 30 s (issue 4), daily run < 60 s (issue 6), peak RSS < 4 GB, on 2 cores.
 */
import { execFileSync } from 'node:child_process';
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  rmSync,
  type WriteStream,
} from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import iconv from 'iconv-lite';
import { openMigratedDb } from '../pipeline/db/index.ts';
import { loadSample } from '../pipeline/demo.ts';
import { computeFeatures } from '../pipeline/features/compute.ts';
import { addDays } from '../pipeline/modeling/days.ts';
import { resolve } from '../pipeline/resolve/index.ts';
import { runDay } from '../pipeline/run-day.ts';

const { values } = parseArgs({
  options: {
    enterprises: { type: 'string', default: '500000' },
    days: { type: 'string', default: '365' },
    seed: { type: 'string', default: '7' },
    // DuckDB's memory limit: the bar is a peak RSS under 4 GB for the whole process
    memory: { type: 'string', default: '2.5GB' },
  },
});
const n = Number(values.enterprises);
const days = Number(values.days);
const start = '2026-01-01';
const lastDay = addDays(start, days - 1);
const dir = `bench/out/city-${n}-${days}-${values.seed}`;
const rss = () => `${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`;
const t = () => performance.now();
const secs = (a: number) => `${((performance.now() - a) / 1000).toFixed(1)} s`;

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
rmSync(dbPath, { force: true });
rmSync(`${dbPath}.wal`, { force: true });
const db = await openMigratedDb(dbPath, { memoryLimit: values.memory });
const quiet = { out: (l: string) => console.log(`  ${l.trim()}`), err: () => {} };
let a = t();
await loadSample(db, quiet, `${dir}/hist/`);
console.log(`ingest history: ${secs(a)}, peak RSS ${rss()}`);
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
  `resolve (full): ${secs(a)} — ads linked ${r.ads.linked}, complaints linked ${r.complaints.linked}; peak RSS ${rss()}`,
);
a = t();
const f = await computeFeatures(db, addDays(lastDay, -1));
console.log(
  `features full (as of ${addDays(lastDay, -1)}): ${secs(a)} — ${f.analysed.ads} ads and ${f.analysed.complaints} complaints analysed, ${f.enterprises} enterprises; peak RSS ${rss()}`,
);
a = t();
await loadSample(db, quiet, `${dir}/last/`);
console.log(`ingest the last day: ${secs(a)}`);
a = t();
const run = await runDay(db, lastDay);
console.log(
  `daily run (incremental: resolve new records, text of new ads, features, score, publish) for ${lastDay}: ${secs(a)} — ${run.enterprises} scored, ${run.listed} listed (${run.scorer}); peak RSS ${rss()}`,
);
const st = Object.entries(run.steps)
  .map(([k, v]) => `${k} ${v.toFixed(1)} s`)
  .join(', ');
console.log(`  daily run steps: ${st}`);
db.close();
