/**
 * Register keys: everything an ad or a complaint can be matched on, per enterprise, with the day
 * from which the register knew it (point in time) and, for names, the day it stopped being the
 * current name.
 *
 *   kind      key                                      valid_from
 *   full      rz_clean(name)                           first snapshot as_of with the name, or the
 *   core      rz_core(name)                            changed_on of the change that gave it
 *   pfx       core prefixes of 2 … 8 characters        (brand / abbreviation aliases: 鑫盛, 鑫盛财富)
 *   mask      core with one character replaced by ?    (one-character misspellings; cores ≥ 4 chars);
 *             ref = the name around the core (珠海…有限公司): a misspelling of the whole registered
 *             name matches it too
 *   py        website letters (2-4) + 2 characters     (pinyin abbreviations: XINS财富)
 *   phone     rz_phone(phone)                          first as_of with that phone
 *   site      rz_host(website)                         first as_of with that website
 *   addr      rz_addr(address)                         first as_of / changed_on with that address
 *   apfx      rz_addr prefixes of 6 … 14 characters    ("香洲区凤凰路88号的公司")
 *   rep       rz_clean(legal_rep)                      first as_of / changed_on
 *   district  district                                 first as_of
 *   prof      md5(name | business_scope | industry)    first as_of (change detection only)
 *
 * `holders` is the number of enterprises holding a key; `weak_from` / `guard_from` the day it got
 * more than MAX_HOLDERS.weakGuard / .guard of them (match-sql.ts): from that day on, weak lookups /
 * all lookups skip it (a business-centre address shared by hundreds of enterprises says nothing
 * about which one an ad is from). Decided on the record's day, so a new holder never changes the
 * links of records older than it.
 *
 * A name that a change replaced keeps matching (as former_name) from valid_to on. A name the
 * enterprise only got later has a later valid_from and is never used for an earlier record.
 * Every key is valid from the first day the register knew it: a name from the first snapshot
 * that had it or the first change that mentioned it (as \`after\`, or as \`before\`: a name known
 * only from a change's \`before\` matches from the change on, as a former name). So a rename
 * changes keys on its own day only, and an incremental run re-resolves only records from then on.
 */
import type { Db } from '../db/index.ts';

/**
 * Statements, in order: names with their validity, one cleaned row per snapshot, then the keys
 * (rz_keyed, without holders) of the enterprises in \`reg\` / \`chg\` (the register views, or
 * views of them restricted to some enterprises).
 */
export const buildKeysSql = (reg: string, chg: string): readonly string[] => [
  `
CREATE OR REPLACE TEMP TABLE rz_names AS
WITH name_src AS (
  SELECT uscc, name, min(as_of) AS vf FROM ${reg} GROUP BY uscc, name
  UNION ALL
  SELECT uscc, "after", min(changed_on) FROM ${chg}
   WHERE field = 'name' AND "after" IS NOT NULL AND trim("after") <> '' GROUP BY ALL
  UNION ALL
  SELECT uscc, "before", min(changed_on) FROM ${chg}
   WHERE field = 'name' AND "before" IS NOT NULL AND trim("before") <> '' GROUP BY ALL
),
names AS (SELECT uscc, name, min(vf) AS vf FROM name_src GROUP BY ALL),
-- the day a name stopped being current: a name change away from it, or a later snapshot with another name
ended AS (
  SELECT uscc, "before" AS name, min(changed_on) AS vt FROM ${chg}
   WHERE field = 'name' AND "before" IS NOT NULL AND "after" IS NOT NULL AND "before" <> "after"
   GROUP BY ALL
  UNION ALL
  SELECT a.uscc, a.name, min(b.as_of)
    FROM (SELECT uscc, name, max(as_of) AS last_as_of FROM ${reg} GROUP BY ALL) a
    JOIN ${reg} b ON b.uscc = a.uscc AND b.as_of > a.last_as_of AND b.name <> a.name
   GROUP BY ALL
),
validity AS (
  SELECT n.uscc, n.name, n.vf, min(e.vt) AS vt
  FROM names n LEFT JOIN ended e ON e.uscc = n.uscc AND e.name = n.name AND e.vt > n.vf
  GROUP BY n.uscc, n.name, n.vf
)
SELECT uscc, name, vf, vt, fname, CASE WHEN length(c0) >= 2 THEN c0 ELSE fname END AS core
  FROM (SELECT *, rz_clean(name) AS fname, rz_core0(name) AS c0 FROM validity)
`,
  `
CREATE OR REPLACE TEMP TABLE rz_snap AS
SELECT uscc, as_of, rz_phone(phone) AS phone, rz_host(website) AS site,
       regexp_extract(rz_host(website), '^([a-z]+)', 1) AS stem, rz_clean(legal_rep) AS rep,
       trim(district) AS district, rz_addr(address) AS addr,
       md5(concat_ws('|', name, business_scope, industry_code)) AS prof
  FROM ${reg}
`,
  `
CREATE OR REPLACE TEMP TABLE rz_keyed AS
WITH raw AS (
  SELECT uscc, 'uscc' AS kind, uscc AS key, min(as_of) AS vf, NULL::DATE AS vt, NULL AS ref
    FROM rz_snap GROUP BY uscc
  UNION ALL SELECT uscc, 'full', fname, vf, vt, NULL FROM rz_names
  UNION ALL SELECT uscc, 'core', core, vf, vt, NULL FROM rz_names
  UNION ALL
  SELECT uscc, 'pfx', left(core, k), vf, NULL, core FROM rz_names, range(2, 9) t(k) WHERE k <= length(core)
  UNION ALL
  SELECT uscc, 'mask', left(core, i - 1) || '?' || substr(core, i + 1), vf, vt, replace(fname, core, '')
    FROM rz_names, range(1, 17) t(i) WHERE length(core) >= 4 AND i <= length(core)
  UNION ALL
  -- pinyin abbreviations: the letters of the website (xinsheng-wealth.cn) + the two characters
  -- after the brand: XINS财富 for 鑫盛财富管理; the brand is taken as 2 or 3 characters
  SELECT n.uscc, 'py', left(w.stem, k) || substr(n.core, b + 1, 2), greatest(n.vf, w.vf), NULL, n.core
    FROM rz_names n
    JOIN (SELECT uscc, stem, min(as_of) AS vf FROM rz_snap WHERE length(stem) >= 4 GROUP BY ALL) w
      ON w.uscc = n.uscc,
         range(2, 5) t(k), range(2, 4) u(b)
   WHERE length(n.core) >= b + 2 AND regexp_matches(n.core, '^\\p{Han}+$')
  UNION ALL
  SELECT uscc, 'phone', phone, min(as_of), NULL, NULL FROM rz_snap WHERE length(phone) >= 7 GROUP BY ALL
  UNION ALL
  SELECT uscc, 'site', site, min(as_of), NULL, NULL FROM rz_snap WHERE length(site) >= 4 GROUP BY ALL
  UNION ALL
  SELECT uscc, 'rep', rep, min(as_of), NULL, NULL FROM rz_snap WHERE length(rep) >= 2 GROUP BY ALL
  UNION ALL
  SELECT uscc, 'rep', rz_clean("after"), min(changed_on), NULL, NULL FROM ${chg}
   WHERE field = 'legal_rep' AND length(rz_clean("after")) >= 2 GROUP BY ALL
  UNION ALL
  -- what the business-profile tie-break reads (name, scope, industry): not looked up, but a new
  -- value makes the enterprise's records resolve again in an incremental run
  SELECT uscc, 'prof', prof, min(as_of), NULL, NULL FROM rz_snap GROUP BY ALL
  UNION ALL
  SELECT uscc, 'district', district, min(as_of), NULL, NULL FROM rz_snap
   WHERE district IS NOT NULL AND district <> '' GROUP BY ALL
),
addrs AS (
  SELECT uscc, addr AS a, min(as_of) AS vf FROM rz_snap WHERE length(addr) >= 6 GROUP BY ALL
  UNION ALL
  SELECT uscc, rz_addr("after"), min(changed_on) FROM ${chg}
   WHERE field = 'address' AND length(rz_addr("after")) >= 6 GROUP BY ALL
),
addr_keys AS (
  SELECT uscc, 'addr' AS kind, a AS key, vf, NULL::DATE AS vt, NULL AS ref FROM addrs
  UNION ALL
  SELECT uscc, 'apfx', left(a, k), vf, NULL, NULL FROM addrs, range(6, 15) t(k) WHERE k <= length(a)
),
keyed AS (
  SELECT uscc, kind, key, min(vf) AS valid_from,
         CASE WHEN count(vt) = count(*) THEN max(vt) END AS valid_to,
         -- the name a prefix or mask was first cut from: a later name sharing it (a rename) leaves
         -- it as it was, so the records from before the rename keep their evidence
         arg_min(ref, {'d': vf, 'r': ref}) AS ref
  FROM (SELECT * FROM raw UNION ALL SELECT * FROM addr_keys)
  WHERE key IS NOT NULL AND key <> ''
  GROUP BY uscc, kind, key
)
SELECT * FROM keyed
`,
  `DROP TABLE IF EXISTS rz_names; DROP TABLE IF EXISTS rz_snap`,
];

/**
 * Fingerprints of the keys (an order-free sum of item hashes and their count), per enterprise and
 * per day on which they start to matter: a key counts on its valid_from, again on its valid_to (a
 * replaced name) and on the days it became too common (weak_from, guard_from). An incremental run
 * compares them with the last run's (kept in resolve_keys as kind 'fp') to find the enterprises
 * that changed and the earliest record day a change can affect. \`only\`: a table of the
 * enterprises to compute them for (default: all).
 */
export function fingerprintSql(only?: string): string {
  const keys =
    only === undefined ? 'rz_keys' : `(SELECT * FROM rz_keys SEMI JOIN ${only} USING (uscc))`;
  return `
CREATE OR REPLACE TEMP TABLE rz_fp AS
SELECT uscc, day, sum(hash(item))::VARCHAR || ':' || count(*) AS fp
FROM (
  SELECT uscc, valid_from AS day, concat_ws(chr(30), kind, key, coalesce(ref, '')) AS item FROM ${keys}
  UNION ALL
  SELECT uscc, valid_to, concat_ws(chr(30), 'valid_to', kind, key) FROM ${keys} WHERE valid_to IS NOT NULL
  UNION ALL
  -- a holder that got the key after it became common: from its own first day
  SELECT uscc, greatest(weak_from, valid_from), concat_ws(chr(30), 'weak', kind, key) FROM ${keys} WHERE weak_from IS NOT NULL
  UNION ALL
  SELECT uscc, greatest(guard_from, valid_from), concat_ws(chr(30), 'guard', kind, key) FROM ${keys} WHERE guard_from IS NOT NULL
)
GROUP BY uscc, day
`;
}

/**
 * Holders of the keys of \`rows\` (a relation shaped like rz_keyed) that are in \`keys\` (kind, key),
 * with the days they got more than \`weakGuard\` / \`guard\` holders (the valid_from of the 51st /
 * 1001st holder in valid_from order). Only the few common keys have their days listed.
 */
function holdersSql(rows: string, guards: { guard: number; weakGuard: number }): string {
  return `
WITH h AS (SELECT kind, key, count(*) AS holders FROM ${rows} GROUP BY ALL),
common AS (
  SELECT r.kind, r.key, list(r.valid_from ORDER BY r.valid_from) AS vfs
    FROM ${rows} r SEMI JOIN (SELECT * FROM h WHERE holders > ${guards.weakGuard}) c USING (kind, key)
   GROUP BY ALL
)
SELECT h.kind, h.key, h.holders, c.vfs[${guards.weakGuard + 1}] AS weak_from, c.vfs[${guards.guard + 1}] AS guard_from
  FROM h LEFT JOIN common c USING (kind, key)`;
}

/** The last ingest batch of the register (registrations and their changes). */
const LAST_BATCH_SQL = `
SELECT greatest((SELECT coalesce(max(_batch), 0) FROM registrations_history),
                (SELECT coalesce(max(_batch), 0) FROM registration_changes_history))::BIGINT AS b`;

export interface KeyIndexUpdate {
  /**
   * 'full': rebuilt from the whole register; 'partial': only \`enterprises\` were rebuilt, and the
   * temp table rz_affected holds every enterprise whose fingerprints may have changed (those, and
   * the holders of a key whose weak_from or guard_from changed); 'none': nothing changed.
   */
  mode: 'full' | 'partial' | 'none';
  enterprises: number;
}

/**
 * Brings resolve_key_index up to date with the register and exposes it as the view rz_keys. Only
 * the enterprises with register rows in batches after the index's mark are rebuilt, then the
 * holders of every key they had or now have are counted again; `full` (or other normalisation
 * rules than the index was built with) rebuilds everything. Either way the index equals a
 * from-scratch build (tested in resolve.test.ts).
 */
export async function updateKeyIndex(
  db: Db,
  configHash: string,
  full: boolean,
  guards: { guard: number; weakGuard: number },
): Promise<KeyIndexUpdate> {
  // other guards give other weak_from / guard_from days: the index is rebuilt
  const rules = `${configHash}:${guards.weakGuard}:${guards.guard}`;
  const mark = await db.one<{ config_hash: string; last_batch: number | bigint }>(
    `SELECT config_hash, last_batch FROM resolve_key_marks`,
  );
  const last = Number((await db.one<{ b: number | bigint }>(LAST_BATCH_SQL))!.b);
  let result: KeyIndexUpdate;
  if (full || mark === undefined || mark.config_hash !== rules) {
    for (const sql of buildKeysSql('registrations', 'registration_changes')) await db.run(sql);
    const n = await db.one<{ n: number }>(
      `SELECT count(DISTINCT uscc)::INTEGER AS n FROM rz_keyed`,
    );
    await db.transaction(async (tx) => {
      await tx.run(`DELETE FROM resolve_key_index`);
      await tx.run(
        `INSERT INTO resolve_key_index BY NAME
         SELECT k.*, h.holders, h.weak_from, h.guard_from FROM rz_keyed k
           JOIN (${holdersSql('rz_keyed', guards)}) h USING (kind, key)`,
      );
      await setMark(tx, rules, last);
    });
    result = { mode: 'full', enterprises: n!.n };
  } else if (Number(mark.last_batch) >= last) {
    result = { mode: 'none', enterprises: 0 };
  } else {
    await db.run(
      `CREATE OR REPLACE TEMP TABLE rz_dirty AS
       SELECT DISTINCT uscc FROM registrations_history WHERE _batch > $b
       UNION SELECT DISTINCT uscc FROM registration_changes_history WHERE _batch > $b`,
      { b: Number(mark.last_batch) },
    );
    await db.run(
      `CREATE OR REPLACE TEMP VIEW rz_reg AS SELECT * FROM registrations SEMI JOIN rz_dirty USING (uscc)`,
    );
    await db.run(
      `CREATE OR REPLACE TEMP VIEW rz_chg AS SELECT * FROM registration_changes SEMI JOIN rz_dirty USING (uscc)`,
    );
    for (const sql of buildKeysSql('rz_reg', 'rz_chg')) await db.run(sql);
    const n = await db.one<{ n: number }>(`SELECT count(*)::INTEGER AS n FROM rz_dirty`);
    await db.transaction(async (tx) => {
      // the keys the rebuilt enterprises had or have: their holders are counted again
      await tx.run(
        `CREATE OR REPLACE TEMP TABLE rz_touched AS
         SELECT DISTINCT kind, key FROM resolve_key_index SEMI JOIN rz_dirty USING (uscc)
         UNION SELECT DISTINCT kind, key FROM rz_keyed`,
      );
      await tx.run(
        `CREATE OR REPLACE TEMP TABLE rz_old_holders AS
         SELECT DISTINCT kind, key, weak_from, guard_from FROM resolve_key_index SEMI JOIN rz_touched USING (kind, key)`,
      );
      await tx.run(`DELETE FROM resolve_key_index WHERE uscc IN (SELECT uscc FROM rz_dirty)`);
      await tx.run(`INSERT INTO resolve_key_index BY NAME SELECT *, 0 AS holders FROM rz_keyed`);
      await tx.run(
        `CREATE OR REPLACE TEMP TABLE rz_new_holders AS
         ${holdersSql('(SELECT * FROM resolve_key_index SEMI JOIN rz_touched USING (kind, key))', guards)}`,
      );
      await tx.run(
        `UPDATE resolve_key_index i SET holders = h.holders, weak_from = h.weak_from, guard_from = h.guard_from
           FROM rz_new_holders h
          WHERE i.kind = h.kind AND i.key = h.key
            AND (i.holders <> h.holders OR i.weak_from IS DISTINCT FROM h.weak_from
                 OR i.guard_from IS DISTINCT FROM h.guard_from)`,
      );
      await setMark(tx, rules, last);
    });
    // fingerprints can change for the rebuilt enterprises and for the holders of a key whose
    // weak_from or guard_from changed (fingerprintSql)
    await db.run(
      `CREATE OR REPLACE TEMP TABLE rz_affected AS
       SELECT uscc FROM rz_dirty
       UNION
       SELECT i.uscc FROM resolve_key_index i
         JOIN (SELECT n.kind, n.key FROM rz_new_holders n LEFT JOIN rz_old_holders o USING (kind, key)
                WHERE n.weak_from IS DISTINCT FROM o.weak_from OR n.guard_from IS DISTINCT FROM o.guard_from) c
           ON c.kind = i.kind AND c.key = i.key`,
    );
    await db.run(
      `DROP VIEW rz_reg; DROP VIEW rz_chg; DROP TABLE rz_dirty; DROP TABLE rz_touched; DROP TABLE rz_old_holders;
       DROP TABLE rz_new_holders`,
    );
    result = { mode: 'partial', enterprises: n!.n };
  }
  await db.run(`DROP TABLE IF EXISTS rz_keyed`);
  await db.run(`CREATE OR REPLACE TEMP VIEW rz_keys AS SELECT * FROM resolve_key_index`);
  return result;
}

async function setMark(tx: Db, configHash: string, last: number): Promise<void> {
  await tx.run(`DELETE FROM resolve_key_marks`);
  await tx.run(`INSERT INTO resolve_key_marks VALUES ($h, $b)`, { h: configHash, b: last });
}
