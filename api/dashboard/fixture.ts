/**
 * Builds a database from the committed sample city for the dashboard's e2e test and for local
 * development: ingest → resolve → train (first model becomes active) → backfill the last `days`.
 * Not a runtime module: only tests and dev scripts import it.
 */
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openMigratedDb, type Db } from '../../pipeline/db/index.ts';
import { loadSample, SAMPLE_DIR } from '../../pipeline/demo.ts';
import { trainAndRegister } from '../../pipeline/modeling/train-job.ts';
import { lastDataDay } from '../../pipeline/modeling/evaluate.ts';
import { addDays } from '../../pipeline/modeling/days.ts';
import { backfill } from '../../pipeline/backfill.ts';

export interface SampleDbOptions {
  /** Folder of the city feeds (default: data-samples/city/). */
  dir?: string;
  /** Days of lists to backfill, ending on the last data day. */
  days?: number;
  /** Days of walk-forward evaluation stored with the model (the 模型 page shows it). */
  evalDays?: number;
  /** Train and register a model after the backfill (default true). */
  train?: boolean;
  log?: (line: string) => void;
}

const MIGRATIONS_DIR = fileURLToPath(new URL('../../pipeline/sql/migrations/', import.meta.url));

export function sampleCityPresent(dir = SAMPLE_DIR): boolean {
  return existsSync(dir) && readdirSync(dir).some((f) => f.startsWith('registrations.'));
}

/** Fills `db` (migrated, empty) and returns the last list day. */
export async function buildSampleDb(db: Db, o: SampleDbOptions = {}): Promise<string> {
  const log = o.log ?? (() => {});
  const t0 = performance.now();
  const lap = (what: string) => log(`${what} ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  await loadSample(db, { out: log, err: log }, o.dir ?? SAMPLE_DIR);
  lap('ingested');
  const last = await lastDataDay(db);
  if (!last) throw new Error('[dashboard:fixture] the sample city holds no data');
  const from = addDays(last, -((o.days ?? 14) - 1));
  // Day one works without labels: the lists of the range are ranked by the rule index alone (as a
  // city starting out would have them); then a model is trained on the outcomes known by the last
  // day and becomes the active one (the 模型 page shows it with its walk-forward evaluation).
  await backfill(db, { from, to: last, progress: false });
  lap('backfilled');
  if (o.train !== false) {
    await trainAndRegister(db, { until: last, evalDays: o.evalDays ?? 30 });
    lap('trained');
  }
  return last;
}

/** Bump when buildSampleDb changes what it builds. */
const FIXTURE_VERSION = 'dashboard-fixture-1';

/**
 * A fresh copy of the sample-city database at `target`. The built database is cached under
 * `cacheDir` (git-ignored var/) keyed by the sample's bytes, the migrations and the options, so
 * only the first run pays for ingest, backfill and training. DAFEI_E2E_REBUILD=1 forces a build.
 */
export async function sampleDbCopy(
  target: string,
  o: SampleDbOptions & { cacheDir: string; rebuild?: boolean },
): Promise<{ last: string; cached: boolean }> {
  const dir = o.dir ?? SAMPLE_DIR;
  const h = createHash('sha256')
    .update(FIXTURE_VERSION)
    .update(JSON.stringify({ days: o.days, evalDays: o.evalDays, train: o.train }));
  for (const f of readdirSync(dir).sort()) {
    const p = join(dir, f);
    if (statSync(p).isFile()) h.update(f).update(readFileSync(p));
  }
  for (const m of readdirSync(MIGRATIONS_DIR).sort())
    h.update(m).update(readFileSync(join(MIGRATIONS_DIR, m)));
  const key = h.digest('hex').slice(0, 16);
  mkdirSync(o.cacheDir, { recursive: true });
  const cached = join(o.cacheDir, `sample-${key}.duckdb`);
  const meta = `${cached}.json`;
  if (!o.rebuild && existsSync(cached) && existsSync(meta)) {
    copyFileSync(cached, target);
    return {
      last: (JSON.parse(readFileSync(meta, 'utf8')) as { last: string }).last,
      cached: true,
    };
  }
  const db = await openMigratedDb(target);
  let last: string;
  try {
    last = await buildSampleDb(db, o);
  } finally {
    db.close();
  }
  // one cached database is enough: drop those of older samples or schemas
  for (const f of readdirSync(o.cacheDir))
    if (/^sample-[0-9a-f]{16}\.duckdb/.test(f)) rmSync(join(o.cacheDir, f), { force: true });
  copyFileSync(target, `${cached}.tmp`);
  renameSync(`${cached}.tmp`, cached);
  writeFileSync(meta, JSON.stringify({ last, built_at: new Date().toISOString() }));
  return { last, cached: false };
}
