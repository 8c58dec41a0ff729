/**
 * Benchmark: the daily incremental resolve (issue 19: the alias step, pipeline/resolve/aliases.ts,
 * must not grow with history). A simulated city's history up to `--daily` days before its last day
 * is ingested and resolved in full; then each of the last days is ingested and resolved
 * incrementally, printing the run's seconds and those of its learned-alias steps; at the end a full
 * resolve must give the same entity_links and resolve_learned_aliases, row for row.
 *
 *   node --import tsx bench/resolve-daily.ts [--enterprises 50000] [--days 180] [--seed 7] [--daily 3]
 *
 * The city is simulated once into the OS temp folder (set TMPDIR) and reused by later runs.
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import { openMigratedDb, type Db } from '../pipeline/db/index.ts';
import { loadSample } from '../pipeline/demo.ts';
import { addDays } from '../pipeline/modeling/days.ts';
import { resolve, type ResolveResult } from '../pipeline/resolve/index.ts';
import { cityUpTo, testCity } from '../pipeline/_test-city.ts';

const { values } = parseArgs({
  options: {
    enterprises: { type: 'string', default: '50000' },
    days: { type: 'string', default: '180' },
    seed: { type: 'string', default: '7' },
    daily: { type: 'string', default: '3' },
    /** Print the time of each resolve step. */
    trace: { type: 'boolean', default: false },
  },
});

const quiet = { out: () => {}, err: () => {} };
const load = () =>
  `load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`;

/** Runs resolve() with its step trace captured: the seconds of the learned-alias steps. */
async function timed(db: Db, full: boolean): Promise<{ r: ResolveResult; alias: number }> {
  const write = process.stderr.write.bind(process.stderr);
  let alias = 0;
  process.stderr.write = (chunk: string | Uint8Array) => {
    const m = /^\[resolve\] alias [a-z ]+ ([0-9.]+) s/.exec(String(chunk));
    if (m) alias += Number(m[1]);
    return values.trace ? write(chunk) : true;
  };
  try {
    const r = await resolve(db, { full, trace: true });
    return { r, alias };
  } finally {
    process.stderr.write = write;
  }
}

const LINKS = `SELECT kind, record_id, record_day::VARCHAR AS d, record_hash, uscc, method, confidence, status,
  candidates::VARCHAR AS c, evidence_from::VARCHAR AS e FROM entity_links ORDER BY kind, record_id`;
const LEARNED = `SELECT alias_key, uscc, valid_from::VARCHAR AS f, last_day::VARCHAR AS l, support
  FROM resolve_learned_aliases ORDER BY ALL`;

const n = Number(values.enterprises);
const daily = Number(values.daily);
console.log(
  `machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(1)} GB, node ${process.version}`,
);
let t = performance.now();
const city = testCity(n, Number(values.days), Number(values.seed));
console.log(
  `city: ${n} enterprises, ${city.days} days from ${city.start}, seed ${values.seed} (${((performance.now() - t) / 1000).toFixed(1)} s to simulate or reuse)`,
);
const last = addDays(city.start, city.days - 1);
const dir = mkdtempSync(join(tmpdir(), 'dafei-resolve-daily-'));
const db = await openMigratedDb(join(dir, 'city.duckdb'));
let equal: boolean;
try {
  const history = addDays(last, -daily);
  await loadSample(db, quiet, `${cityUpTo(city, history)}/`);
  const counts = await db.one<{ ads: number; c: number }>(
    `SELECT (SELECT count(*) FROM ads)::INTEGER AS ads, (SELECT count(*) FROM complaints)::INTEGER AS c`,
  );
  console.log(`history until ${history}: ${counts!.ads} ads, ${counts!.c} complaints`);
  const full = await timed(db, true);
  console.log(
    `full resolve: ${full.r.seconds.toFixed(2)} s (alias steps ${full.alias.toFixed(2)} s); ${full.r.aliasLinked} alias links; ${load()}`,
  );
  for (let i = daily - 1; i >= 0; i--) {
    const day = addDays(last, -i);
    t = performance.now();
    await loadSample(db, quiet, `${cityUpTo(city, day)}/`);
    const ingest = (performance.now() - t) / 1000;
    const inc = await timed(db, false);
    console.log(
      `daily resolve ${day} (${inc.r.mode}, ${inc.r.resolved.ads + inc.r.resolved.complaints} records re-resolved, alias links redone for records from ${inc.r.aliasesFrom}; ingest ${ingest.toFixed(1)} s): ${inc.r.seconds.toFixed(2)} s (alias steps ${inc.alias.toFixed(2)} s); ${load()}`,
    );
  }
  const incLinks = await db.all(LINKS);
  const incLearned = await db.all(LEARNED);
  const check = await timed(db, true);
  const same = (a: unknown[], b: unknown[]) =>
    a.length === b.length && a.every((x, i) => JSON.stringify(x) === JSON.stringify(b[i]));
  const linksSame = same(incLinks, await db.all(LINKS));
  const learnedSame = same(incLearned, await db.all(LEARNED));
  equal = linksSame && learnedSame;
  console.log(
    `full resolve after the daily runs: ${check.r.seconds.toFixed(2)} s (alias steps ${check.alias.toFixed(2)} s); ${load()}`,
  );
  console.log(
    `incremental equals full: entity_links ${linksSame ? 'yes' : 'NO'} (${incLinks.length} rows), resolve_learned_aliases ${learnedSame ? 'yes' : 'NO'} (${incLearned.length} rows)`,
  );
} finally {
  db.close();
  rmSync(dir, { recursive: true, force: true });
}
process.exitCode = equal ? 0 : 1;
