/**
 * Aliases learned from the data: product, app and brand names, WeChat IDs, web hosts and phones
 * tied to an enterprise by the records themselves, point in time (issue 21; tables in migration
 * 0016). e租宝 and 钱宝 were known by their platforms, not by the companies behind them; an ad that
 * names only `XX宝` joins its enterprise once any record has tied them.
 *
 * How, in SQL, after the register-based matching (match-sql.ts) of every resolve() run:
 *   1. the previous run's alias links are undone (entity_links gets back what the register-based
 *      resolver had said), so the step is a pure function of the records and those links, and an
 *      incremental run gives the same links as a full one (see "Incremental" below);
 *   2. keys of every ad and complaint: its advertiser / target name and SMS 【tag】 (rz_core), WeChat
 *      IDs, web hosts and phones printed in it;
 *   3. ties: an ad linked firmly by the register (uscc, name, former name, brand, phone or website;
 *      confidence ≥ TIE_MIN_CONFIDENCE, a weak brand prefix aside) ties each of its keys to its enterprise from its own day;
 *      so does a record the register step left open that prints, anywhere in its text, the phone
 *      or website of exactly one registered enterprise; and the register's phones and websites
 *      tie themselves. Names tie from ads only (a complaint's target may be a person: 王经理). A
 *      record linked through a learned alias ties nothing (no chains of guesses);
 *   4. a record left unlinked or ambiguous by the register — or linked only by a weak brand prefix
 *      (method 'alias', below WEAK_PREFIX_MAX: a product 焱长APP is not the company 焱长浩供应链) —
 *      carrying a key tied to exactly one enterprise by records of its own day or before, and to
 *      no other enterprise by any record the register linked by then (weak prefixes aside), is
 *      linked to it (method 'learned_alias'), unless its keys point at different enterprises, an
 *      investigator rejected the pair, or (ambiguous) the enterprise is not among its candidates.
 * Confidence: 0.6 for one tying record, + 0.1 per further one, at most 0.9.
 *
 * Point in time: a link uses ties from records dated on or before the record's own day, whose
 * links used register facts known on their days; `evidence_from` is the day the alias became usable.
 *
 * Incremental: the alias link of a record dated t depends only on its own register-based link,
 * keys and reviews, on the keys and register-based links of records dated t or before (their ties,
 * anchors and conflicts), and on the register's phones and websites valid by t. So a run finds D,
 * the earliest day any of these changed — records the register-based step (re)resolved (new,
 * corrected, reviewed, or touched by a register change), the register's key changes (resolve.ts),
 * records keyed or gone this run (their new and old days), records reviewed since the last run —
 * and redoes steps 1 and 4 only for records dated D or later. Their ties come from every record
 * carrying one of their keys, each seen through its register-based link (entity_links, or for an
 * older record still linked by an alias, the prior link kept in resolve_alias_links), exactly as a
 * full recomputation sees them after step 1; resolve_learned_aliases is recomputed for those keys
 * (and the keys records no longer carry) and kept for the others, whose ties all come from records
 * before D. A full resolve, a crashed previous run or a rebuilt key index recompute everything.
 */
import type { Db } from '../db/index.ts';

/**
 * A register-based link this firm (by a strong method) ties the keys of its record to its
 * enterprise: the resolver's own decision threshold discounted by a weak runner-up (a phone match
 * 0.8 beside a brand prefix of another enterprise gives 0.6).
 */
export const TIE_MIN_CONFIDENCE = 0.5;
/** A link by a brand prefix alone below this is weak: it neither ties nor stands against an alias. */
export const WEAK_PREFIX_MAX = 0.7;
const STRONG_METHODS = `('uscc', 'name', 'former_name', 'alias', 'phone', 'website', 'review')`;
/** A register-based link by a brand prefix alone, too weak to tie keys or to stand against an alias. */
const WEAK_PREFIX = (t: string) =>
  `(${t}.status = 'linked' AND ${t}.method = 'alias' AND ${t}.confidence < ${WEAK_PREFIX_MAX})`;

/**
 * Keys printed in the ad and complaint versions not keyed yet (rz_* macros from normalize.ts must
 * be installed), into resolve_record_keys; rz_knew: those versions; rz_kgone: the keys they replace
 * and the keys of records that no longer exist (the days and keys an incremental run must redo).
 */
const RECORD_KEYS_SQL = `
-- the versions first (ids only), then their texts: a scan of every text would cost more
CREATE OR REPLACE TEMP TABLE rz_knew_ids AS
SELECT 'ad' AS kind, a._batch, a._line FROM ads a
  ANTI JOIN resolve_record_keyed k ON k.kind = 'ad' AND k.record_id = a.ad_id AND k.record_hash = a._hash
UNION ALL
SELECT 'complaint', c._batch, c._line FROM complaints c
  ANTI JOIN resolve_record_keyed k ON k.kind = 'complaint' AND k.record_id = c.complaint_id AND k.record_hash = c._hash;
CREATE OR REPLACE TEMP TABLE rz_knew AS
SELECT 'ad' AS kind, a.ad_id AS record_id, a._hash AS hash, a.seen_day AS day, a.advertiser_name AS name,
       a.phone, a.url, lower(rz_fw(a.text)) AS t, regexp_extract(a.text, '^\\s*【([^】]{2,24})】', 1) AS tag
  FROM ads_history a SEMI JOIN (SELECT _batch, _line FROM rz_knew_ids WHERE kind = 'ad') USING (_batch, _line)
UNION ALL
SELECT 'complaint', c.complaint_id, c._hash, c.received_day, c.target_name, NULL, NULL, lower(rz_fw(c.text)), NULL
  FROM complaints_history c
  SEMI JOIN (SELECT _batch, _line FROM rz_knew_ids WHERE kind = 'complaint') USING (_batch, _line);
DROP TABLE rz_knew_ids;
CREATE OR REPLACE TEMP TABLE rz_kgone AS
SELECT r.kind, r.record_id, r.day, r.alias_key FROM resolve_record_keys r
  SEMI JOIN rz_knew n ON n.kind = r.kind AND n.record_id = r.record_id
UNION
-- records that no longer exist (append-only feeds: cannot happen, but keep the tables exact)
SELECT r.kind, r.record_id, r.day, r.alias_key FROM resolve_record_keys r
  ANTI JOIN (SELECT 'ad' AS kind, ad_id AS record_id FROM ads
             UNION ALL SELECT 'complaint', complaint_id FROM complaints) x
    ON x.kind = r.kind AND x.record_id = r.record_id;
DELETE FROM resolve_record_keys r WHERE EXISTS (SELECT 1 FROM rz_kgone g WHERE g.kind = r.kind AND g.record_id = r.record_id);
DELETE FROM resolve_record_keyed r WHERE EXISTS (SELECT 1 FROM rz_knew n WHERE n.kind = r.kind AND n.record_id = r.record_id);
INSERT INTO resolve_record_keys
WITH k AS (
  SELECT kind, record_id, hash, day, 'name:' || rz_core(name) AS k FROM rz_knew WHERE name IS NOT NULL
  UNION ALL
  SELECT kind, record_id, hash, day, 'name:' || rz_core(tag) FROM rz_knew WHERE tag <> ''
  UNION ALL
  SELECT kind, record_id, hash, day, 'wx:' || w
    FROM (SELECT kind, record_id, hash, day,
                 unnest(regexp_extract_all(t, '(?:微信|薇信|威信|v信|vx|wx|加v)[号]?[:：\\s]*([a-z][a-z0-9_-]{5,19})', 1)) AS w
            FROM rz_knew)
  UNION ALL
  SELECT kind, record_id, hash, day, 'host:' || rz_host(url) FROM rz_knew WHERE length(rz_host(url)) >= 4
  UNION ALL
  SELECT kind, record_id, hash, day, 'host:' || rz_host(h)
    FROM (SELECT kind, record_id, hash, day,
                 unnest(regexp_extract_all(t, '(?:https?://)?((?:[a-z0-9-]+\\.)+(?:com\\.cn|com|cn|net|org|top|vip|cc|xyz|app))', 1)) AS h
            FROM rz_knew)
  UNION ALL
  SELECT kind, record_id, hash, day, 'tel:' || rz_phone(phone) FROM rz_knew WHERE length(rz_phone(phone)) >= 7
  UNION ALL
  SELECT kind, record_id, hash, day, 'tel:' || rz_phone(p)
    FROM (SELECT kind, record_id, hash, day,
                 unnest(regexp_extract_all(t, '1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8}|400-?[0-9]{3}-?[0-9]{4}')) AS p
            FROM rz_knew)
)
SELECT DISTINCT kind, record_id, hash, day, k FROM k
 WHERE length(k) >= (CASE WHEN k LIKE 'name:%' THEN 7 ELSE 9 END);
INSERT INTO resolve_record_keyed SELECT kind, record_id, hash FROM rz_knew;
`;

/**
 * The earliest day this run changed an input of the alias step besides what resolve() reports
 * (\`upstream\`: a DATE literal or NULL): records keyed this run (new day) or re-keyed and gone
 * (old day), records reviewed since the last run (also re-resolved by resolve(): kept here so
 * the step stands on its own inputs). NULL: nothing changed.
 */
const FROM_SQL = (upstream: string): string => `
SELECT least(${upstream},
  (SELECT min(day) FROM rz_knew),
  (SELECT min(day) FROM rz_kgone),
  (SELECT min(e.record_day) FROM entity_links e
     SEMI JOIN link_reviews r ON r.kind = e.kind AND r.record_id = e.record_id
      AND r.review_id > coalesce((SELECT max(last_review_id) FROM resolve_review_mark), 0))
)::VARCHAR AS d`;

/**
 * Undo the alias links of the records dated \`from\` or later (all: NULL), keeping the others and
 * their resolve_alias_links rows (the register-based link they replaced).
 */
const RESTORE_SQL = (from: string | null): string => `
UPDATE entity_links e
   SET status = a.prior_status, method = a.prior_method, confidence = a.prior_confidence,
       uscc = a.prior_uscc, evidence_from = a.prior_evidence_from
  FROM resolve_alias_links a
 WHERE e.kind = a.kind AND e.record_id = a.record_id AND e.method = 'learned_alias'
   ${from === null ? '' : `AND e.record_day >= ${from}`};
${
  from === null
    ? 'DELETE FROM resolve_alias_links;'
    : `DELETE FROM resolve_alias_links a WHERE NOT EXISTS (
  SELECT 1 FROM entity_links e
   WHERE e.kind = a.kind AND e.record_id = a.record_id AND e.record_day < ${from} AND e.method = 'learned_alias');`
}
`;

/**
 * What the steps below read, limited to what the records dated \`from\` or later can see (all:
 * NULL):
 *   rz_kset    the keys whose ties are recomputed: those of the records dated \`from\` or later,
 *              and those records no longer carry;
 *   rz_kkeys   those keys, on every record carrying them (any day);
 *   rz_rlinks  the register-based link of those records: entity_links, or for a record still
 *              linked through an alias (dated before \`from\`), the link kept in resolve_alias_links;
 *   rz_okeys   every key of those left open by the register or linked by a weak prefix (an
 *              anchor looks at all of a record's keys).
 */
const SCOPE_SQL = (from: string | null): string =>
  from === null
    ? `
CREATE OR REPLACE TEMP VIEW rz_kkeys AS SELECT kind, record_id, day, alias_key FROM resolve_record_keys;
CREATE OR REPLACE TEMP VIEW rz_rlinks AS SELECT * FROM entity_links;
`
    : `
CREATE OR REPLACE TEMP TABLE rz_kset AS
SELECT DISTINCT alias_key FROM resolve_record_keys WHERE day >= ${from}
UNION SELECT alias_key FROM rz_kgone;
CREATE OR REPLACE TEMP TABLE rz_kkeys AS
SELECT kind, record_id, day, alias_key FROM resolve_record_keys SEMI JOIN rz_kset USING (alias_key);
-- (the alias test is in the CASE, not in the join: DuckDB would not hash-join on it)
CREATE OR REPLACE TEMP TABLE rz_rlinks AS
SELECT kind, record_id,
       CASE WHEN alias THEN a_status ELSE status END AS status,
       CASE WHEN alias THEN a_uscc ELSE uscc END AS uscc,
       CASE WHEN alias THEN a_method ELSE method END AS method,
       CASE WHEN alias THEN a_confidence ELSE confidence END AS confidence
  FROM (SELECT e.kind, e.record_id, e.status, e.uscc, e.method, e.confidence,
               a.kind IS NOT NULL AND e.method = 'learned_alias' AS alias, a.prior_status AS a_status,
               a.prior_uscc AS a_uscc, a.prior_method AS a_method, a.prior_confidence AS a_confidence
          FROM entity_links e
          JOIN (SELECT DISTINCT kind, record_id FROM rz_kkeys) r ON r.kind = e.kind AND r.record_id = e.record_id
          LEFT JOIN resolve_alias_links a ON a.kind = e.kind AND a.record_id = e.record_id);
`;

/** \`full\`: every key counts; otherwise the keys of rz_kset (rz_kkeys holds only those). */
const TIES_SQL = (full: boolean): string => `
CREATE OR REPLACE TEMP TABLE rz_okeys AS
SELECT kind, record_id, day, alias_key FROM resolve_record_keys
 SEMI JOIN (SELECT kind, record_id FROM rz_rlinks e WHERE e.status = 'unlinked' OR ${WEAK_PREFIX('e')})
      USING (kind, record_id);
-- the register's own phones and websites, from their snapshot's day
CREATE OR REPLACE TEMP TABLE rz_rties AS
SELECT * FROM (
  SELECT (CASE kind WHEN 'phone' THEN 'tel:' ELSE 'host:' END) || key AS alias_key, uscc,
         valid_from AS day, 'register' AS kind, key AS record_id
    FROM resolve_key_index WHERE kind IN ('phone', 'site') AND valid_from IS NOT NULL
) ${full ? '' : 'SEMI JOIN (SELECT alias_key FROM rz_kset UNION SELECT alias_key FROM rz_okeys) USING (alias_key)'};
-- records the register-based step left open (or linked by a weak prefix) that print a phone or a
-- website of exactly one registered enterprise somewhere it did not look (官网：📣www…)
CREATE OR REPLACE TEMP TABLE rz_anchor AS
SELECT k.kind, k.record_id, any_value(r.uscc) AS uscc
  FROM rz_okeys k
  JOIN rz_rties r ON r.alias_key = k.alias_key AND r.day <= k.day
 GROUP BY ALL HAVING count(DISTINCT r.uscc) = 1;
CREATE OR REPLACE TEMP TABLE rz_ties AS
SELECT k.alias_key, l.uscc, k.day, k.kind, k.record_id
  FROM rz_kkeys k
  JOIN rz_rlinks l ON l.kind = k.kind AND l.record_id = k.record_id
 WHERE l.status = 'linked' AND l.method IN ${STRONG_METHODS} AND l.confidence >= ${TIE_MIN_CONFIDENCE}
   AND NOT ${WEAK_PREFIX('l')}
   AND (k.kind = 'ad' OR k.alias_key NOT LIKE 'name:%')
UNION ALL
SELECT k.alias_key, a.uscc, k.day, k.kind, k.record_id
  FROM rz_kkeys k JOIN rz_anchor a USING (kind, record_id)
 WHERE k.kind = 'ad' OR k.alias_key NOT LIKE 'name:%'
UNION ALL
SELECT alias_key, uscc, day, kind, record_id FROM rz_rties
 ${full ? '' : 'WHERE alias_key IN (SELECT alias_key FROM rz_kset)'};
-- conflicts: a record the register linked to an enterprise, at any confidence (weak prefixes aside)
CREATE OR REPLACE TEMP TABLE rz_seen AS
SELECT alias_key, uscc, min(first_day) AS first_day FROM (
  SELECT k.alias_key, l.uscc, k.day AS first_day
    FROM rz_kkeys k
    JOIN rz_rlinks l ON l.kind = k.kind AND l.record_id = k.record_id
   WHERE l.status = 'linked' AND l.method <> 'learned_alias' AND NOT ${WEAK_PREFIX('l')}
  UNION ALL
  SELECT alias_key, uscc, day FROM rz_ties
) GROUP BY ALL;
`;

/**
 * Proposals for the records dated \`from\` or later (all: NULL), whose entity_links rows hold
 * their register-based links again (RESTORE_SQL).
 */
const PROPOSE_SQL = (from: string | null): string => `
CREATE OR REPLACE TEMP TABLE rz_alias_new AS
WITH todo AS (
  SELECT k.kind, k.record_id, k.day, k.alias_key, e.status, e.uscc AS prior_uscc, e.method,
         e.confidence, e.evidence_from, e.candidates
    FROM rz_kkeys k
    JOIN entity_links e ON e.kind = k.kind AND e.record_id = k.record_id
   WHERE (e.status IN ('unlinked', 'ambiguous') OR ${WEAK_PREFIX('e')})
     ${from === null ? '' : `AND k.day >= ${from}`}
),
-- per (record, key): the enterprises tied by the record's day (other records only), their support
tied AS (
  SELECT t.kind, t.record_id, t.alias_key, t.status, x.uscc, count(*) AS support, min(x.day) AS valid_from
    FROM todo t
    JOIN rz_ties x ON x.alias_key = t.alias_key AND x.day <= t.day
                  AND NOT (x.kind = t.kind AND x.record_id = t.record_id)
   -- the register's own phones and websites are what the register step already weighed for an
   -- ambiguous record; between candidates (ambiguous) or against a weak prefix, a name decides
   -- only when it has at least four characters and is not a pinyin abbreviation (CH培训: many
   -- enterprises share one); against a weak prefix it needs two tying records
   WHERE NOT (t.status = 'ambiguous' AND x.kind = 'register')
     AND NOT (t.status <> 'unlinked' AND t.alias_key LIKE 'name:%'
              AND (length(t.alias_key) < 9 OR regexp_matches(t.alias_key, '^name:[a-z]{1,4}\\p{Han}{2}$')))
   GROUP BY ALL
),
-- enterprises any register-linked record carrying the key pointed at by then
holders AS (
  SELECT t.kind, t.record_id, t.alias_key, count(DISTINCT s.uscc) AS n
    FROM todo t JOIN rz_seen s ON s.alias_key = t.alias_key AND s.first_day <= t.day
   GROUP BY ALL
),
usable AS (
  SELECT d.* FROM tied d
    JOIN holders h USING (kind, record_id, alias_key)
   WHERE h.n = 1
     -- against a weak prefix, one tying record is not enough
     AND NOT (d.status = 'linked' AND d.support < 2)
),
per_record AS (
  SELECT kind, record_id, count(DISTINCT uscc) AS n, any_value(uscc) AS uscc,
         max(support) AS support, min(valid_from) AS valid_from,
         arg_max(alias_key, support) AS alias_key
    FROM usable GROUP BY ALL
),
rejected AS (
  SELECT kind, record_id, uscc FROM link_reviews
   GROUP BY ALL HAVING arg_max(verdict, review_id) = 'reject'
)
SELECT p.kind, p.record_id, p.uscc, p.alias_key, p.valid_from, p.support::INTEGER AS support,
       t.status AS prior_status, t.prior_uscc, t.method AS prior_method,
       t.confidence AS prior_confidence, t.evidence_from AS prior_evidence_from
  FROM per_record p
  JOIN (SELECT DISTINCT kind, record_id, status, prior_uscc, method, confidence, evidence_from, candidates
          FROM todo) t USING (kind, record_id)
 WHERE p.n = 1 AND p.uscc IS DISTINCT FROM t.prior_uscc
   AND NOT EXISTS (SELECT 1 FROM rejected r WHERE r.kind = p.kind AND r.record_id = p.record_id AND r.uscc = p.uscc)
   AND (t.status <> 'ambiguous' OR list_contains(json_extract_string(t.candidates, '$[*].uscc'), p.uscc))
`;

/** \`full\`: every learned alias is replaced; otherwise those of the keys in rz_kset. */
const APPLY_SQL = (full: boolean): string => `
INSERT INTO resolve_alias_links SELECT * FROM rz_alias_new;
UPDATE entity_links e
   SET status = 'linked', uscc = a.uscc, method = 'learned_alias',
       confidence = least(0.9, 0.5 + 0.1 * a.support), evidence_from = a.valid_from
  FROM rz_alias_new a
 WHERE e.kind = a.kind AND e.record_id = a.record_id;
${full ? 'DELETE FROM resolve_learned_aliases;' : 'DELETE FROM resolve_learned_aliases WHERE alias_key IN (SELECT alias_key FROM rz_kset);'}
INSERT INTO resolve_learned_aliases
SELECT alias_key, uscc, min(day), max(day), count(*)::INTEGER FROM rz_ties WHERE kind <> 'register' GROUP BY ALL;
`;

/** \`scoped\`: SCOPE_SQL made tables (views in full). */
const CLEANUP_SQL = (scoped: boolean): string => `
DROP TABLE IF EXISTS rz_knew; DROP TABLE IF EXISTS rz_kgone;
${['rz_kkeys', 'rz_rlinks'].map((t) => `DROP ${scoped ? 'TABLE' : 'VIEW'} IF EXISTS ${t};`).join(' ')}
DROP TABLE IF EXISTS rz_kset; DROP TABLE IF EXISTS rz_okeys;
DROP TABLE IF EXISTS rz_ties; DROP TABLE IF EXISTS rz_seen;
DROP TABLE IF EXISTS rz_rties; DROP TABLE IF EXISTS rz_anchor;
DROP TABLE IF EXISTS rz_alias_new;
`;

/** What changed upstream of the alias step in this resolve() run. */
export type AliasChanges =
  /** recompute everything: a full run, a crashed previous run, a rebuilt key index */
  | { full: true }
  /**
   * \`from\`: the earliest day of the records the register-based step (re)resolved and of the
   * register's key changes (resolve.ts: rz_todo, rz_changed); null when there were none
   */
  | { full: false; from: string | null };

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export interface AliasUpdate {
  /** Records linked through a learned alias after the run. */
  linked: number;
  /** The records whose alias links were recomputed: 'all', those dated on or after a day, or 'none'. */
  from: string;
}

/**
 * Brings the learned aliases and alias links up to date (inside the resolve run's transaction):
 * in full, or for the records dated on or after the earliest day anything they depend on changed
 * (header comment).
 */
export async function applyLearnedAliases(
  db: Db,
  step: (name: string, sql: string) => Promise<void>,
  changes: AliasChanges = { full: true },
): Promise<AliasUpdate> {
  if (!changes.full && changes.from !== null && !DAY.test(changes.from))
    throw new Error(`[resolve] applyLearnedAliases: not a day: ${changes.from}`);
  await step('alias keys', RECORD_KEYS_SQL);
  let from: string | null = null;
  if (!changes.full) {
    const row = await db.one<{ d: string | null }>(
      FROM_SQL(changes.from === null ? 'NULL::DATE' : `DATE '${changes.from}'`),
    );
    if (row?.d === null || row?.d === undefined) {
      // nothing the alias links depend on changed
      await db.run(CLEANUP_SQL(false));
      return { linked: await count(db), from: 'none' };
    }
    if (!DAY.test(row.d)) throw new Error(`[resolve] applyLearnedAliases: not a day: ${row.d}`);
    from = `DATE '${row.d}'`;
  }
  await step('alias restore', RESTORE_SQL(from));
  await step('alias scope', SCOPE_SQL(from));
  await step('alias ties', TIES_SQL(from === null));
  await step('alias propose', PROPOSE_SQL(from));
  await step('alias apply', APPLY_SQL(from === null));
  await db.run(CLEANUP_SQL(from !== null));
  return { linked: await count(db), from: from === null ? 'all' : from.slice(6, 16) };
}

async function count(db: Db): Promise<number> {
  const n = await db.one<{ n: number | string }>(`SELECT count(*) AS n FROM resolve_alias_links`);
  return Number(n?.n ?? 0);
}

/**
 * A run without learned aliases: every alias link is undone and the alias tables are emptied, so
 * the next run with them recomputes everything (all records are keyed again).
 */
export async function dropLearnedAliases(
  db: Db,
  step: (name: string, sql: string) => Promise<void>,
): Promise<void> {
  await step(
    'alias drop',
    `${RESTORE_SQL(null)}
     DELETE FROM resolve_learned_aliases; DELETE FROM resolve_record_keys; DELETE FROM resolve_record_keyed;`,
  );
}
