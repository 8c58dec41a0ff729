/**
 * Benchmark: entity-resolution quality against the simulator's ground truth (issue 4, "Resolution
 * quality"). For each seed: simulate a city into a temp dir, ingest it into a temp DuckDB file,
 * resolve, and compare entity_links with truth/links.ndjson (read here only, never in pipeline/).
 *
 *   node --import tsx bench/resolve-quality.ts [--enterprises 20000] [--days 180] [--seeds 7,11]
 *
 * Per seed and kind it prints stable "label: value" lines:
 *   precision   of the records we linked, the share linked to the true enterprise
 *   recall      of the records with a true enterprise, the share we linked to it
 *   ambiguous   records with a true enterprise left ambiguous (visible with candidates)
 * "ads" counts every ad whose truth uscc is not null. For complaints two populations:
 *   complaints.named  complaints that name the enterprise (registered name, brand, misspelling,
 *                     product) — the population of the bar;
 *   complaints.all    every complaint with a true enterprise, including those naming only a person
 *                     (王经理, the legal representative) or a partial address.
 * Bar: precision >= 0.98 and recall >= 0.90 for ads and for complaints naming an enterprise.
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadMigrations, migrate, openDb, type Db } from '../pipeline/db/index.ts';
import { ingest } from '../pipeline/feeds/index.ts';
import { resolve } from '../pipeline/resolve/index.ts';
import { addDays } from '../pipeline/modeling/days.ts';

const { values } = parseArgs({
  options: {
    enterprises: { type: 'string', default: '20000' },
    days: { type: 'string', default: '180' },
    seeds: { type: 'string', default: '7,11' },
    keep: { type: 'boolean', default: false },
    /** An already simulated city (skips the simulation; the folder is kept). */
    city: { type: 'string' },
    /** Print the time of each resolve step. */
    trace: { type: 'boolean', default: false },
  },
});

const ROOT = new URL('..', import.meta.url).pathname;
const NAMED = new Set(['registered', 'brand', 'misspelt', 'product']);

interface Truth {
  feed: 'ads' | 'complaints';
  id: string;
  uscc: string | null;
  named_as: string;
}

function out(label: string, value: string | number): void {
  process.stdout.write(`${label}: ${value}\n`);
}

function fmt(x: number): string {
  return Number.isFinite(x) ? x.toFixed(4) : 'n/a';
}

process.stdout.write(
  `machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(1)} GB, node ${process.version}\n`,
);
out('enterprises', values.enterprises);
out('days', values.days);

/** The feeds' and the resolver's migrations (0001, 0002): other folders' work in progress can't break the bench. */
async function openCityDb(path: string): Promise<Db> {
  const db = await openDb(path);
  await migrate(
    db,
    loadMigrations().filter((m) => m.name <= '0002_resolve.sql' || m.name.includes('resolve')),
  );
  return db;
}

/** Splits an NDJSON feed by the date in `field`: lines dated before `cutoff` and the others. */
async function splitNdjson(src: string, field: string, cutoff: string): Promise<[string, string]> {
  const paths: [string, string] = [
    src.replace(/\.ndjson$/, '.early.ndjson'),
    src.replace(/\.ndjson$/, '.late.ndjson'),
  ];
  const early = createWriteStream(paths[0]);
  const late = createWriteStream(paths[1]);
  const re = new RegExp(`"${field}"\\s*:\\s*"(\\d{4}-\\d{2}-\\d{2})`);
  for await (const line of createInterface({ input: createReadStream(src), crlfDelay: Infinity })) {
    if (line === '') continue;
    const m = re.exec(line);
    const w = m !== null && m[1]! >= cutoff ? late : early;
    if (!w.write(line + '\n')) await once(w, 'drain');
  }
  await Promise.all([new Promise((r) => early.end(r)), new Promise((r) => late.end(r))]);
  return paths;
}

const LINK_COLUMNS = `kind, record_id, uscc, method, confidence, status, candidates::VARCHAR AS candidates, evidence_from::VARCHAR AS evidence_from`;

let allPass = true;
for (const seed of values.seeds.split(',').map((s) => s.trim())) {
  const dir = values.city ?? mkdtempSync(join(tmpdir(), `dafei-rq-${seed}-`));
  try {
    if (values.city === undefined) {
      execFileSync(
        'npm',
        [
          'run',
          '--silent',
          'simulate',
          '--',
          '--enterprises',
          values.enterprises,
          '--days',
          values.days,
          '--seed',
          seed,
          '--out',
          dir,
          '--quiet',
        ],
        { stdio: ['ignore', 'ignore', 'inherit'], cwd: ROOT },
      );
    }
    const manifest = JSON.parse(readFileSync(join(dir, 'truth/manifest.json'), 'utf8')) as {
      options: { start: string; days: number };
    };
    // Incremental check: the register and ads up to a cutoff first, resolved from scratch; then
    // the rest (new enterprises, renames, new snapshots, later ads) and every complaint, resolved
    // incrementally; then once more from scratch, which must give the same links.
    const cutoff = addDays(manifest.options.start, Math.floor(manifest.options.days * 0.8));
    const [regEarly, regLate] = await splitNdjson(
      join(dir, 'registrations.ndjson'),
      'as_of',
      cutoff,
    );
    const [chgEarly, chgLate] = await splitNdjson(
      join(dir, 'registration_changes.ndjson'),
      'changed_on',
      cutoff,
    );
    const [adsEarly, adsLate] = await splitNdjson(join(dir, 'ads.ndjson'), 'seen_at', cutoff);
    const db = await openCityDb(join(dir, 'city.duckdb'));
    let t = performance.now();
    await ingest(db, { feed: 'registrations', source: regEarly });
    await ingest(db, { feed: 'registration_changes', source: chgEarly });
    await ingest(db, { feed: 'ads', source: adsEarly });
    out(
      `seed ${seed}: ingest seconds (until ${cutoff})`,
      ((performance.now() - t) / 1000).toFixed(1),
    );
    const first = await resolve(db, { full: true, trace: values.trace });
    out(
      `seed ${seed}: full resolve until ${cutoff}: records`,
      first.resolved.ads + first.resolved.complaints,
    );
    out(`seed ${seed}: full resolve until ${cutoff}: seconds`, first.seconds.toFixed(1));
    t = performance.now();
    await ingest(db, { feed: 'registrations', source: regLate });
    await ingest(db, { feed: 'registration_changes', source: chgLate });
    await ingest(db, { feed: 'ads', source: adsLate });
    await ingest(db, { feed: 'complaints', source: join(dir, 'complaints.csv'), encoding: 'gbk' });
    out(`seed ${seed}: ingest seconds (rest)`, ((performance.now() - t) / 1000).toFixed(1));
    const inc = await resolve(db, { trace: values.trace });
    out(`seed ${seed}: incremental resolve: mode`, inc.mode);
    out(`seed ${seed}: incremental resolve: records`, inc.resolved.ads + inc.resolved.complaints);
    out(`seed ${seed}: incremental resolve: seconds`, inc.seconds.toFixed(1));
    const incLinks = await db.all(
      `SELECT ${LINK_COLUMNS} FROM entity_links ORDER BY kind, record_id`,
    );
    const r = await resolve(db, { full: true, trace: values.trace });
    const fullLinks = await db.all(
      `SELECT ${LINK_COLUMNS} FROM entity_links ORDER BY kind, record_id`,
    );
    let differ = Math.abs(incLinks.length - fullLinks.length);
    for (let i = 0; i < Math.min(incLinks.length, fullLinks.length); i++) {
      if (JSON.stringify(incLinks[i]) !== JSON.stringify(fullLinks[i])) {
        if (differ < 3)
          process.stderr.write(
            `differs:\n  ${JSON.stringify(incLinks[i])}\n  ${JSON.stringify(fullLinks[i])}\n`,
          );
        differ++;
      }
    }
    out(`seed ${seed}: full resolve: records`, r.resolved.ads + r.resolved.complaints);
    out(`seed ${seed}: full resolve: seconds`, r.seconds.toFixed(1));
    out(
      `seed ${seed}: incremental equals full`,
      differ === 0 ? 'yes' : `NO (${differ} links differ)`,
    );
    allPass &&= differ === 0;
    const idle = await resolve(db, { trace: values.trace });
    out(
      `seed ${seed}: incremental resolve with nothing new: records`,
      idle.resolved.ads + idle.resolved.complaints,
    );
    out(`seed ${seed}: incremental resolve with nothing new: seconds`, idle.seconds.toFixed(1));
    const links = new Map<string, { uscc: string | null; status: string }>();
    for (const row of await db.all<{
      kind: string;
      record_id: string;
      uscc: string | null;
      status: string;
    }>(`SELECT kind, record_id, uscc, status FROM entity_links`)) {
      links.set(`${row.kind}:${row.record_id}`, { uscc: row.uscc, status: row.status });
    }
    db.close();

    const truth = readFileSync(join(dir, 'truth/links.ndjson'), 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Truth);
    // a record delivered twice or quarantined appears once or not at all in the database
    const seen = new Set<string>();
    const groups: Record<
      string,
      {
        linked: number;
        correct: number;
        withTruth: number;
        correctOfTruth: number;
        ambiguous: number;
        strayLinked: number;
      }
    > = {};
    const g = (k: string) =>
      (groups[k] ??= {
        linked: 0,
        correct: 0,
        withTruth: 0,
        correctOfTruth: 0,
        ambiguous: 0,
        strayLinked: 0,
      });
    for (const t of truth) {
      const kind = t.feed === 'ads' ? 'ad' : 'complaint';
      const key = `${kind}:${t.id}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const l = links.get(key);
      if (l === undefined) continue; // quarantined on ingest
      const pops =
        kind === 'ad'
          ? ['ads']
          : NAMED.has(t.named_as)
            ? ['complaints.named', 'complaints.all']
            : ['complaints.all'];
      // records without a true enterprise count against precision when linked
      if (t.uscc === null) {
        const p = kind === 'ad' ? ['ads'] : ['complaints.named', 'complaints.all'];
        for (const k of p) {
          if (l.status === 'linked') {
            g(k).linked++;
            g(k).strayLinked++;
          }
        }
        continue;
      }
      for (const k of pops) {
        const s = g(k);
        s.withTruth++;
        if (l.status === 'linked') {
          s.linked++;
          if (l.uscc === t.uscc) {
            s.correct++;
            s.correctOfTruth++;
          }
        } else if (l.status === 'ambiguous') s.ambiguous++;
      }
    }
    out(`seed ${seed}: ads in db`, r.ads.linked + r.ads.ambiguous + r.ads.unlinked);
    out(
      `seed ${seed}: complaints in db`,
      r.complaints.linked + r.complaints.ambiguous + r.complaints.unlinked,
    );
    for (const k of ['ads', 'complaints.named', 'complaints.all']) {
      const s = g(k);
      const precision = s.correct / s.linked;
      const recall = s.correctOfTruth / s.withTruth;
      out(`seed ${seed}: ${k} with true enterprise`, s.withTruth);
      out(`seed ${seed}: ${k} linked`, s.linked);
      out(`seed ${seed}: ${k} linked without true enterprise`, s.strayLinked);
      out(`seed ${seed}: ${k} precision`, fmt(precision));
      out(`seed ${seed}: ${k} recall`, fmt(recall));
      out(`seed ${seed}: ${k} ambiguous`, s.ambiguous);
      if (k !== 'complaints.all') {
        const pass = precision >= 0.98 && recall >= 0.9;
        allPass &&= pass;
        out(`seed ${seed}: ${k} bar (precision >= 0.98, recall >= 0.90)`, pass ? 'pass' : 'FAIL');
      }
    }
  } finally {
    if (values.city === undefined && !values.keep) rmSync(dir, { recursive: true, force: true });
    else out(`seed ${seed}: kept`, dir);
  }
}
out('peak rss MB', (process.resourceUsage().maxRSS / 1024).toFixed(0));
out('bar', allPass ? 'pass' : 'FAIL');
