/**
 * `dafei demo` / `npm start`: loads the committed sample city (data-samples/city) and shows what
 * the database holds. Later stages (backfill, train, serve) join here as they land.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Db } from './db/index.ts';
import { FEED_NAMES, formatCounts, ingest, type FeedName } from './feeds/index.ts';
import type { Io } from './cli.ts';

export const SAMPLE_DIR = fileURLToPath(new URL('../data-samples/city/', import.meta.url));

/** The sample's file for a feed; complaints come as GBK CSV, as government exports do. */
export function sampleFile(dir: string, feed: FeedName): { path: string; encoding?: string } | undefined {
  for (const name of [`${feed}.ndjson.gz`, `${feed}.ndjson`, `${feed}.csv.gz`, `${feed}.csv`]) {
    const path = `${dir}${name}`;
    if (existsSync(path)) return feed === 'complaints' && name.includes('.csv') ? { path, encoding: 'gbk' } : { path };
  }
  return undefined;
}

export async function loadSample(db: Db, io: Io, dir = SAMPLE_DIR): Promise<void> {
  for (const feed of FEED_NAMES) {
    const file = sampleFile(dir, feed);
    if (!file) {
      io.err(`  ${feed}: no sample file in ${dir}`);
      continue;
    }
    const t0 = performance.now();
    const r = await ingest(db, { feed, source: file.path, ...(file.encoding ? { encoding: file.encoding } : {}) });
    io.out(`${feed.padEnd(21)} ${formatCounts(r)} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }
}

export async function runDemo(db: Db, io: Io): Promise<number> {
  io.out(`打非云 · Dafei demo — database ${db.path}`);
  await loadSample(db, io);
  const held = await db.all<{ feed: string; n: number }>(
    FEED_NAMES.map((f) => `SELECT '${f}' AS feed, count(*)::INTEGER AS n FROM ${f}`).join(' UNION ALL '),
  );
  const q = await db.one<{ n: number }>(`SELECT count(*)::INTEGER AS n FROM quarantine`);
  io.out(`database holds: ${held.map((h) => `${h.feed} ${h.n}`).join(', ')}; quarantine ${q?.n ?? 0}`);
  return 0;
}
