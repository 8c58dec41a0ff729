/**
 * resolve(): attach every ad and complaint to an enterprise (USCC) — or leave it visibly ambiguous
 * or unlinked — and keep the result in `entity_links` (schema: 0002_resolve.sql).
 *
 * Order of a run:
 *   1. normalisation macros (region prefixes include the register's districts) and their hash;
 *   2. rz_keys: every register key with its valid_from, from the key index kept between runs and
 *      brought up to date for the enterprises with new register rows (keys.ts);
 *   3. the records to resolve (rz_todo): all of them in a full run; otherwise the records with no
 *      current link or a corrected version, the records a key lookup of which touches an enterprise
 *      whose keys changed since the last run, and the records reviewed since the last run;
 *   4. lookups → hits → scored candidates → decision (match-sql.ts), written in one transaction
 *      with the new key snapshot and the run's ledger row;
 *   5. in the same transaction, the aliases learned from the records (aliases.ts), redone from the
 *      earliest day of the records resolved in step 4 and of the register's key changes (in full
 *      after a full run, a crashed one or a rebuilt key index).
 *
 * Every step depends only on the record and the register facts valid on the record's day, never
 * on the order records arrive in, so an incremental run gives the same links as a full one.
 */
import { settleBulkWrite, type Db } from '../db/index.ts';
import { fingerprintSql, updateKeyIndex } from './keys.ts';
import {
  MAX_HOLDERS,
  CAND_SQL,
  decideSql,
  HIT_SQL,
  LOOK_SQL,
  NQ_SQL,
  PAIRS_SQL,
  PROFILE_SQL,
  runTablesSql,
  recSql,
} from './match-sql.ts';
import { applyLearnedAliases, dropLearnedAliases, type AliasChanges } from './aliases.ts';
import { configHash, installMacros, loadNormalizeConfig } from './normalize.ts';

export interface ResolveOptions {
  /** Re-resolve every record from scratch (default: incremental). */
  full?: boolean;
  /** Clock for resolved_at (tests). */
  now?: Date;
  /** Print the time of each step to stderr. */
  trace?: boolean;
  /** Records resolved per batch (default BATCH_SIZE). */
  batchSize?: number;
  /**
   * Link records through aliases learned from the data (aliases.ts; default true). false: no alias
   * links (those of earlier runs are undone; the next run with them recomputes them in full).
   */
  learnedAliases?: boolean;
  /** Called after each batch (progress of long runs). */
  onBatch?: (p: { batch: number; batches: number; seconds: number }) => void;
}

/** Records per batch: bounds the memory of the lookup joins (about 1 GB per 100,000 records). */
export const BATCH_SIZE = 100_000;

export interface LinkCounts {
  linked: number;
  ambiguous: number;
  unlinked: number;
}

export interface ResolveResult {
  runId: number;
  mode: 'full' | 'incremental';
  /** Current links of all ads / complaints after the run. */
  ads: LinkCounts;
  complaints: LinkCounts;
  /** Records (re-)resolved by this run. */
  resolved: { ads: number; complaints: number };
  /** Records linked through an alias learned from the data (aliases.ts), after this run. */
  aliasLinked: number;
  /**
   * The records whose alias links this run recomputed: 'all', those dated on or after this day
   * (YYYY-MM-DD), or 'none' (nothing they depend on changed; also when learnedAliases is false).
   */
  aliasesFrom: string;
  seconds: number;
}

const ALL_RECORDS_SQL = `
CREATE OR REPLACE TEMP TABLE rz_todo AS
SELECT 'ad' AS kind, ad_id AS record_id FROM ads
UNION ALL SELECT 'complaint', complaint_id FROM complaints
`;

/**
 * Enterprises whose key fingerprints differ from the last run's (rz_changed), and the earliest day
 * a difference takes effect (no record seen before it can be affected); \`only\`: a table of the
 * enterprises whose fingerprints were computed (the others are known not to have changed).
 */
const CHANGED_SQL = (only?: string): string => `
CREATE OR REPLACE TEMP TABLE rz_changed AS
WITH old AS (
  SELECT uscc, valid_from AS day, key AS fp FROM resolve_keys
   WHERE kind = 'fp' ${only === undefined ? '' : `AND uscc IN (SELECT uscc FROM ${only})`}
),
diff AS (
  (SELECT uscc, day, fp FROM rz_fp EXCEPT SELECT uscc, day, fp FROM old)
  UNION ALL
  (SELECT uscc, day, fp FROM old EXCEPT SELECT uscc, day, fp FROM rz_fp)
)
SELECT uscc, min(day) AS day FROM diff GROUP BY uscc
`;

/** Records that could be affected by the changed enterprises: seen on or after the earliest change. */
const MAYBE_TODO_SQL = `
CREATE OR REPLACE TEMP TABLE rz_todo AS
SELECT 'ad' AS kind, ad_id AS record_id FROM ads WHERE seen_day >= (SELECT min(day) FROM rz_changed)
UNION ALL
SELECT 'complaint', complaint_id FROM complaints WHERE received_day >= (SELECT min(day) FROM rz_changed)
`;

/** Keys of the changed enterprises: a record looking one of them up is resolved again. */
const CHANGED_KEYS_SQL = `
CREATE OR REPLACE TEMP TABLE rz_changed_keys AS
SELECT DISTINCT kind, key FROM rz_keys SEMI JOIN rz_changed USING (uscc)
`;

const INCREMENTAL_TODO_SQL = (withChanges: boolean): string => `
CREATE OR REPLACE TEMP TABLE rz_todo2 AS
-- new records, and records corrected since they were resolved
SELECT 'ad' AS kind, a.ad_id AS record_id FROM ads a
 ANTI JOIN entity_links l ON l.kind = 'ad' AND l.record_id = a.ad_id AND l.record_hash = a._hash
UNION
SELECT 'complaint', c.complaint_id FROM complaints c
 ANTI JOIN entity_links l ON l.kind = 'complaint' AND l.record_id = c.complaint_id AND l.record_hash = c._hash
UNION
-- records reviewed since the last run
SELECT kind, record_id FROM link_reviews
 WHERE review_id > coalesce((SELECT max(last_review_id) FROM resolve_review_mark), 0)
${
  withChanges
    ? `UNION
-- records a lookup of which touches a changed enterprise's keys
SELECT DISTINCT l.kind, l.record_id FROM rz_look l
 SEMI JOIN rz_changed_keys k ON k.kind = l.lkind AND k.key = l.lkey
UNION
-- records that had a changed enterprise among their candidates (a key may have gone: corrections)
SELECT l.kind, l.record_id
  FROM (SELECT kind, record_id, unnest(json_extract_string(candidates, '$[*].uscc')) AS uscc
          FROM entity_links WHERE record_day >= (SELECT min(day) FROM rz_changed)) l
 SEMI JOIN rz_changed c ON c.uscc = l.uscc`
    : ''
}
`;

async function count(db: Db, sql: string): Promise<number> {
  const row = await db.one<{ n: number | string }>(sql);
  return Number(row?.n ?? 0);
}

async function linkCounts(db: Db, kind: 'ad' | 'complaint'): Promise<LinkCounts> {
  const rows = await db.all<{ status: string; n: number }>(
    `SELECT status, count(*)::INTEGER AS n FROM entity_links WHERE kind = $kind GROUP BY status`,
    { kind },
  );
  const out: LinkCounts = { linked: 0, ambiguous: 0, unlinked: 0 };
  for (const r of rows) {
    if (r.status === 'linked' || r.status === 'ambiguous' || r.status === 'unlinked')
      out[r.status] = r.n;
  }
  return out;
}

/** Resolves ads and complaints to enterprises. Incremental unless `full` is set. */
export async function resolve(db: Db, options: ResolveOptions = {}): Promise<ResolveResult> {
  const t0 = performance.now();
  const now = (options.now ?? new Date()).toISOString();
  const config = await loadNormalizeConfig(db);
  const hash = configHash(config);
  await installMacros(db, config);

  const last = await db.one<{ config_hash: string }>(
    `SELECT config_hash FROM resolve_runs WHERE finished_at IS NOT NULL ORDER BY run_id DESC LIMIT 1`,
  );
  const mode: 'full' | 'incremental' =
    options.full === true || last === undefined || last.config_hash !== hash
      ? 'full'
      : 'incremental';

  // a run that did not finish (crash) may have updated the key index without saving fingerprints:
  // then every enterprise's fingerprints are compared, not only those the index update reports
  const previous = await db.one<{ finished: boolean }>(
    `SELECT finished_at IS NOT NULL AS finished FROM resolve_runs ORDER BY run_id DESC LIMIT 1`,
  );
  const crashed = previous !== undefined && !previous.finished;
  const run = await db.one<{ id: number | string }>(`SELECT nextval('resolve_run_seq') AS id`);
  const runId = Number(run!.id);
  await db.run(
    `INSERT INTO resolve_runs (run_id, mode, started_at, config_hash) VALUES ($run, $mode, $now::TIMESTAMPTZ, $hash)`,
    { run: runId, mode, now, hash },
  );

  const trace = options.trace === true;
  const tk = performance.now();
  const keys = await updateKeyIndex(db, hash, mode === 'full', MAX_HOLDERS);
  if (trace)
    process.stderr.write(
      `[resolve] keys (${keys.mode}, ${keys.enterprises} enterprises) ${((performance.now() - tk) / 1000).toFixed(2)} s\n`,
    );
  // whose fingerprints to compute: all, the enterprises the key index update affected, or none
  const scope: 'all' | 'affected' | 'none' =
    mode === 'full' || keys.mode === 'full' || crashed
      ? 'all'
      : keys.mode === 'partial'
        ? 'affected'
        : 'none';
  const only = scope === 'affected' ? 'rz_affected' : undefined;
  if (scope !== 'none') await step(db, trace, 'fingerprints', fingerprintSql(only));
  if (mode === 'full') {
    await db.run(ALL_RECORDS_SQL);
  } else {
    if (scope === 'none')
      await db.run(`CREATE OR REPLACE TEMP TABLE rz_changed (uscc VARCHAR, day DATE)`);
    else await step(db, trace, 'changed', CHANGED_SQL(only));
    const changed = await count(db, `SELECT count(*) AS n FROM rz_changed`);
    if (changed > 0) {
      // lookups of the records that could be affected, as views: only those touching changed keys are kept
      await db.run(MAYBE_TODO_SQL);
      await db.run(asView(recSql('rz_todo')));
      await db.run(asView(NQ_SQL));
      await db.run(asView(LOOK_SQL));
      await step(db, trace, 'changed keys', CHANGED_KEYS_SQL);
    }
    await step(db, trace, 'todo', INCREMENTAL_TODO_SQL(changed > 0));
    await db.run(
      `DROP VIEW IF EXISTS rz_look; DROP VIEW IF EXISTS rz_nq; DROP VIEW IF EXISTS rz_rec`,
    );
    await db.run(
      `CREATE OR REPLACE TEMP TABLE rz_todo AS SELECT DISTINCT kind, record_id FROM rz_todo2`,
    );
  }

  // each record is resolved on its own, so the records go in batches (bounded memory); the links
  // are collected in rz_links and replace the old ones in one transaction at the end
  await db.run(`CREATE OR REPLACE TEMP TABLE rz_links AS SELECT * FROM entity_links LIMIT 0`);
  const todo = await count(db, `SELECT count(*) AS n FROM rz_todo`);
  // the earliest day of the records resolved by this run
  let first: string | null = null;
  if (todo > 0) {
    const row = await db.one<{ d: string }>(
      `SELECT least(
         (SELECT min(a.seen_day) FROM ads a SEMI JOIN rz_todo t ON t.kind = 'ad' AND t.record_id = a.ad_id),
         (SELECT min(c.received_day) FROM complaints c SEMI JOIN rz_todo t ON t.kind = 'complaint' AND t.record_id = c.complaint_id)
       )::VARCHAR AS d`,
    );
    first = row!.d;
    await step(db, trace, 'run tables', runTablesSql(first));
  }
  // what the alias step must redo: everything, or the records from the earliest day of the
  // records resolved and of the register's key changes (aliases.ts)
  let aliasChanges: AliasChanges = { full: true };
  if (mode === 'incremental' && scope !== 'all') {
    const row = await db.one<{ d: string | null }>(
      `SELECT least(${first === null ? 'NULL' : `DATE '${first}'`}, (SELECT min(day) FROM rz_changed))::VARCHAR AS d`,
    );
    aliasChanges = { full: false, from: row?.d ?? null };
  }
  const batches = Math.ceil(todo / (options.batchSize ?? BATCH_SIZE));
  for (let b = 0; b < batches; b++) {
    const tb = performance.now();
    await db.run(
      batches === 1
        ? `CREATE OR REPLACE TEMP TABLE rz_batch AS SELECT * FROM rz_todo`
        : `CREATE OR REPLACE TEMP TABLE rz_batch AS SELECT * FROM rz_todo WHERE hash(kind, record_id) % ${batches} = ${b}`,
    );
    await step(db, trace, 'records', recSql('rz_batch'));
    await step(db, trace, 'name queries', NQ_SQL);
    await step(db, trace, 'lookups', asView(LOOK_SQL));
    await step(db, trace, 'hits', HIT_SQL);
    await step(db, trace, 'pairs', PAIRS_SQL);
    await step(db, trace, 'candidates', CAND_SQL);
    await step(db, trace, 'profiles', PROFILE_SQL);
    await step(db, trace, 'decide', decideSql('rz_links'), { now, run: runId });
    options.onBatch?.({ batch: b + 1, batches, seconds: (performance.now() - tb) / 1000 });
  }

  const resolvedAds = await count(db, `SELECT count(*) AS n FROM rz_todo WHERE kind = 'ad'`);
  const resolvedComplaints = todo - resolvedAds;
  let aliasLinked = 0;
  let aliasesFrom = 'none';
  await db.transaction(async (tx) => {
    await step(
      tx,
      trace,
      'delete',
      `DELETE FROM entity_links l WHERE EXISTS (SELECT 1 FROM rz_todo t WHERE t.kind = l.kind AND t.record_id = l.record_id)`,
    );
    // records that no longer exist (cannot happen with append-only feeds, but keep the table exact)
    await step(
      tx,
      trace,
      'delete gone',
      `DELETE FROM entity_links l WHERE
      (l.kind = 'ad' AND NOT EXISTS (SELECT 1 FROM ads a WHERE a.ad_id = l.record_id)) OR
      (l.kind = 'complaint' AND NOT EXISTS (SELECT 1 FROM complaints c WHERE c.complaint_id = l.record_id))`,
    );
    await step(tx, trace, 'insert', `INSERT INTO entity_links SELECT * FROM rz_links`);
    if (scope === 'all') await tx.run(`DELETE FROM resolve_keys`);
    else if (scope === 'affected')
      await tx.run(`DELETE FROM resolve_keys WHERE uscc IN (SELECT uscc FROM rz_affected)`);
    if (scope !== 'none')
      await step(
        tx,
        trace,
        'save fingerprints',
        `INSERT INTO resolve_keys (uscc, kind, key, valid_from) SELECT uscc, 'fp', fp, day FROM rz_fp`,
      );
    // aliases learned from the records themselves (aliases.ts)
    if (options.learnedAliases !== false) {
      const a = await applyLearnedAliases(
        tx,
        (name, sql) => step(tx, trace, name, sql),
        aliasChanges,
      );
      aliasLinked = a.linked;
      aliasesFrom = a.from;
    } else await dropLearnedAliases(tx, (name, sql) => step(tx, trace, name, sql));
    await tx.run(`DELETE FROM resolve_review_mark`);
    await tx.run(
      `INSERT INTO resolve_review_mark SELECT coalesce(max(review_id), 0) FROM link_reviews`,
    );
    // a crashed run stays unfinished in the ledger; the next one then compares all fingerprints
    await tx.run(
      `UPDATE resolve_runs SET finished_at = now(), resolved_ads = $a, resolved_complaints = $c, seconds = $s
        WHERE run_id = $run`,
      { a: resolvedAds, c: resolvedComplaints, s: (performance.now() - t0) / 1000, run: runId },
    );
  });

  await settleBulkWrite(db, todo);
  const seconds = (performance.now() - t0) / 1000;
  await db.run(
    `DROP VIEW IF EXISTS rz_look; DROP TABLE IF EXISTS rz_hit; DROP TABLE IF EXISTS rz_nq;
     DROP TABLE IF EXISTS rz_cand; DROP TABLE IF EXISTS rz_cand2; DROP TABLE IF EXISTS rz_pairs; DROP TABLE IF EXISTS rz_rec; DROP VIEW IF EXISTS rz_keys;
     DROP TABLE IF EXISTS rz_todo; DROP TABLE IF EXISTS rz_todo2; DROP TABLE IF EXISTS rz_batch; DROP TABLE IF EXISTS rz_links; DROP TABLE IF EXISTS rz_pfx; DROP TABLE IF EXISTS rz_district; DROP VIEW IF EXISTS rz_live; DROP TABLE IF EXISTS rz_changed_keys;
     DROP TABLE IF EXISTS rz_changed; DROP TABLE IF EXISTS rz_fp; DROP TABLE IF EXISTS rz_affected`,
  );
  return {
    runId,
    mode,
    ads: await linkCounts(db, 'ad'),
    complaints: await linkCounts(db, 'complaint'),
    resolved: { ads: resolvedAds, complaints: resolvedComplaints },
    aliasLinked,
    aliasesFrom,
    seconds,
  };
}

/** Runs a statement; with \`trace\` set, prints how long it took (for benchmarks). */
async function step(
  db: Db,
  trace: boolean,
  name: string,
  sql: string,
  params?: Record<string, string | number>,
): Promise<void> {
  const t = performance.now();
  if (params === undefined) await db.run(sql);
  else await db.run(sql, params);
  if (trace)
    process.stderr.write(`[resolve] ${name} ${((performance.now() - t) / 1000).toFixed(2)} s\n`);
}

function asView(createTableSql: string): string {
  return createTableSql.replace('CREATE OR REPLACE TEMP TABLE', 'CREATE OR REPLACE TEMP VIEW');
}
