/**
 * Bounded growth over a year (issue 16): the sample city's generator (20,000 enterprises, seed
 * 20260101, 1 % schemes) run for 365 days; every day listed by the rule index (a backfill), then a
 * model is trained on the first half and the second half of the year re-published with it
 * (--force): each of those days gets a second revision, the first one superseded — what model
 * changes and corrections leave behind.
 * Then the retention policy (the config's defaults) is applied as if 31 days had passed, and the
 * sizes are printed before and after: the file, its free blocks, the biggest tables, and a fresh
 * copy (`dafei backup`), which is the space the data needs (DuckDB reuses freed blocks but does not
 * shrink a file in place).
 *
 *   node --import tsx bench/retention-year.ts [--enterprises 20000] [--days 365]
 *
 * Built step by step into bench/out/ (the simulated city, the backfilled database) and resumable.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FileConfigSchema } from '../pipeline/config.ts';
import { openMigratedDb, type Db } from '../pipeline/db/index.ts';
import { backfill } from '../pipeline/backfill.ts';
import { loadSample } from '../pipeline/demo.ts';
import { addDays } from '../pipeline/modeling/days.ts';
import { trainAndRegister } from '../pipeline/modeling/train-job.ts';
import {
  applyRetention,
  backup,
  dbStats,
  formatRetention,
  formatStats,
  retentionPolicy,
} from '../pipeline/ops/index.ts';

const { values } = parseArgs({
  options: {
    enterprises: { type: 'string', default: '20000' },
    days: { type: 'string', default: '365' },
  },
});
const enterprises = Number(values.enterprises);
const days = Number(values.days);
const out = join(import.meta.dirname, 'out');
mkdirSync(out, { recursive: true });
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
const log = (l: string) => console.log(l);
const t0 = performance.now();
const since = () => `${((performance.now() - t0) / 1000).toFixed(0)} s`;

log(
  `machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(1)} GB, Node ${process.version}; load average ${load()}`,
);

const city = join(out, `year-city-${enterprises}x${days}`);
if (!existsSync(join(city, 'truth', 'manifest.json'))) {
  execFileSync(
    process.execPath,
    [
      '--import',
      'tsx',
      'data-samples/simulate.ts',
      '--enterprises',
      String(enterprises),
      '--days',
      String(days),
      '--seed',
      '20260101',
      '--scheme-rate',
      '0.01',
      '--quiet',
      '--out',
      city,
    ],
    { stdio: 'inherit' },
  );
  log(`simulated ${enterprises} enterprises × ${days} days (${since()})`);
}
const first = '2026-01-01';
const last = addDays(first, days - 1);
const mid = addDays(first, Math.floor(days / 2));

const path = join(out, `year-${enterprises}x${days}.duckdb`);
const stamp = async (db: Db, step: string) =>
  (await db.one(`SELECT 1 AS x FROM job_runs WHERE job = 'bench:' || $s`, { s: step })) !==
  undefined;
const done = (db: Db, step: string) =>
  db.run(
    `INSERT INTO job_runs VALUES (nextval('job_run_seq'), 'bench:' || $s, NULL, now(), now(), 'ok', NULL, NULL)`,
    { s: step },
  );

/** Bytes of a fresh copy of the database (what `dafei backup` writes): the space the data needs. */
async function copyBytes(d: Db, label: string): Promise<number> {
  const dir = join(out, `year-backup-${label}`);
  rmSync(dir, { recursive: true, force: true });
  const r = await backup(d, { to: dir });
  rmSync(dir, { recursive: true, force: true });
  return r.manifest.bytes;
}

const db = await openMigratedDb(path);
try {
  if (!(await stamp(db, 'ingest'))) {
    await loadSample(db, { out: log, err: log }, `${city}/`);
    await done(db, 'ingest');
  }
  if (!(await stamp(db, 'rules'))) {
    log(`backfill ${first} … ${last} with the rule index (${since()})`);
    const b = await backfill(db, { from: first, to: last });
    log(`  ${b.ran} days run in ${b.seconds.toFixed(0)} s`);
    await done(db, 'rules');
  }
  if (!(await stamp(db, 'model'))) {
    log(`training a model on outcomes up to ${mid} (${since()})`);
    const t = await trainAndRegister(db, {
      until: mid,
      activate: true,
      onProgress: () => undefined,
    });
    log(`  model v${t.version} active (${t.examples} examples)`);
    log(
      `re-publishing ${addDays(mid, 1)} … ${last} with it (a second revision of each day) (${since()})`,
    );
    const b = await backfill(db, { from: addDays(mid, 1), to: last, force: true });
    log(`  ${b.ran} days run in ${b.seconds.toFixed(0)} s`);
    await done(db, 'model');
  }
  await db.run('CHECKPOINT');

  // compaction is not reversible: work on a copy, keep the built database for the next run
  const work = join(out, `year-${enterprises}x${days}-retention.duckdb`);
  db.close();
  rmSync(work, { force: true });
  rmSync(`${work}.wal`, { force: true });
  copyFileSync(path, work);
  const w = await openMigratedDb(work);
  try {
    const before = await dbStats(w);
    log('');
    log(`BEFORE retention (${since()}):`);
    for (const l of formatStats(before, 8)) log(`  ${l}`);
    const copyBefore = await copyBytes(w, 'before');
    const config = FileConfigSchema.parse({});
    const policy = retentionPolicy(config, work);
    const later = new Date(
      Date.now() + (config.retention.superseded_entries_days + 1) * 86_400_000,
    );
    log('');
    log(
      `retention (superseded_entries_days ${config.retention.superseded_entries_days}, quarantine_raw_days ${config.retention.quarantine_raw_days}, audit_days ${config.retention.audit_days}) as of ${later.toISOString().slice(0, 10)}:`,
    );
    const r = await applyRetention(w, policy, later);
    log(`  ${formatRetention(r)}`);
    await w.run('CHECKPOINT');
    const after = await dbStats(w);
    const copyAfter = await copyBytes(w, 'after');
    log('');
    log(`AFTER retention:`);
    for (const l of formatStats(after, 8)) log(`  ${l}`);
    log('');
    const entries = (s: typeof before) =>
      s.tables.find((t) => t.table === 'list_entries')?.rows ?? 0;
    log(
      `database size before → after compaction: file ${mib(before.fileBytes)} → ${mib(after.fileBytes)} ` +
        `(${after.freeBlocks} free blocks of ${after.blockSize / 1024} KiB reused by later writes); ` +
        `a fresh copy ${mib(copyBefore)} → ${mib(copyAfter)} (${((100 * (copyBefore - copyAfter)) / copyBefore).toFixed(0)} % less); ` +
        `list_entries ${entries(before)} → ${entries(after)} rows`,
    );
    log(`file on disk now: ${mib(statSync(work).size)}; load average ${load()}; total ${since()}`);
  } finally {
    w.close();
  }
} finally {
  try {
    db.close();
  } catch {
    // closed above
  }
}
