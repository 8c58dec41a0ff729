/**
 * A simulated city for the notebooks: the simulator's feeds and a DuckDB database with them
 * ingested and entity-resolved, built once and cached in `notebooks/.cache/` (git-ignored; set
 * DAFEI_NOTEBOOK_CACHE to put it elsewhere). The pipeline never reads the simulator's truth/.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { openMigratedDb, type Db } from '../../pipeline/db/index.ts';
import { loadSample } from '../../pipeline/demo.ts';
import { resolve, type LinkCounts } from '../../pipeline/resolve/index.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface CityOptions {
  enterprises?: number;
  days?: number;
  seed?: number;
  /** Default: $DAFEI_NOTEBOOK_CACHE, else notebooks/.cache. */
  cacheDir?: string;
}

export interface City {
  db: Db;
  dbPath: string;
  feedsDir: string;
  firstDay: string;
  lastDay: string;
  /** What was done to get here (simulated, ingested, resolved, or reused from the cache). */
  log: string[];
}

export function cacheDir(o: CityOptions = {}): string {
  return (
    o.cacheDir ?? process.env['DAFEI_NOTEBOOK_CACHE'] ?? join(REPO_ROOT, 'notebooks', '.cache')
  );
}

const seconds = (t0: number) => `${((performance.now() - t0) / 1000).toFixed(1)} s`;

/** Runs the simulator CLI (`npm run simulate`'s script) into `dir`, unless it is already there. */
function simulate(dir: string, e: number, d: number, seed: number, log: string[]): void {
  if (existsSync(join(dir, 'truth', 'manifest.json'))) return;
  const t0 = performance.now();
  rmSync(dir, { recursive: true, force: true });
  const r = spawnSync(
    'node',
    [
      '--import',
      'tsx',
      'data-samples/simulate.ts',
      '--enterprises',
      String(e),
      '--days',
      String(d),
      '--seed',
      String(seed),
      '--out',
      dir,
    ],
    { cwd: REPO_ROOT, encoding: 'utf8' },
  );
  if (r.status !== 0)
    throw new Error(`simulator failed (exit ${r.status}): ${r.stderr || r.error?.message}`);
  log.push(`simulated ${e} enterprises × ${d} days (seed ${seed}) in ${seconds(t0)}`);
}

/**
 * Opens the city's database, building it first when the cache does not have it: simulate →
 * ingest every feed → resolve ads and complaints to enterprises. Close `city.db` when done (one
 * process at a time may hold a DuckDB file).
 */
export async function openCity(o: CityOptions = {}): Promise<City> {
  const e = o.enterprises ?? 3000;
  const d = o.days ?? 150;
  const seed = o.seed ?? 7;
  const dir = cacheDir(o);
  mkdirSync(dir, { recursive: true });
  const name = `city-${e}x${d}-s${seed}`;
  const feedsDir = join(dir, name);
  const dbPath = join(dir, `${name}.duckdb`);
  const log: string[] = [];
  if (!existsSync(dbPath)) {
    simulate(feedsDir, e, d, seed, log);
    const tmp = `${dbPath}.building`;
    rmSync(tmp, { force: true });
    rmSync(`${tmp}.wal`, { force: true });
    const db = await openMigratedDb(tmp);
    try {
      let t0 = performance.now();
      const lines: string[] = [];
      await loadSample(
        db,
        { out: (l) => lines.push(l), err: (l) => lines.push(l) },
        `${feedsDir}/`,
      );
      log.push(
        `ingested the feeds in ${seconds(t0)}:`,
        ...lines.map((l) => `  ${l.replace(/ \(\d+\.\d s\)$/, '')}`),
      );
      t0 = performance.now();
      const r = await resolve(db);
      const c = (k: LinkCounts) =>
        `${k.linked} linked, ${k.ambiguous} ambiguous, ${k.unlinked} unlinked`;
      log.push(`resolved in ${seconds(t0)}: ads ${c(r.ads)}; complaints ${c(r.complaints)}`);
      await db.run('CHECKPOINT');
    } finally {
      db.close();
    }
    renameSync(tmp, dbPath);
  } else {
    log.push(
      `reusing the cached city ${name} (delete ${name}.duckdb in the cache folder to rebuild)`,
    );
  }
  const db = await openMigratedDb(dbPath);
  const span = (await db.one<{ first: string; last: string }>(
    `SELECT least((SELECT min(seen_day) FROM ads), (SELECT min(received_day) FROM complaints))::VARCHAR AS first,
            greatest((SELECT max(seen_day) FROM ads), (SELECT max(received_day) FROM complaints))::VARCHAR AS last`,
  ))!;
  return { db, dbPath, feedsDir, firstDay: span.first, lastDay: span.last, log };
}
