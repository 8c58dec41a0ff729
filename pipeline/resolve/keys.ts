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
 * `holders` is the number of enterprises holding a key over all time: lookups skip keys held by
 * more than MAX_HOLDERS (match-sql.ts): a business-centre address shared by hundreds of
 * enterprises says nothing about which one an ad is from.
 *
 * A name that a change replaced keeps matching (as former_name) from valid_to on. A name the
 * enterprise only got later has a later valid_from and is never used for an earlier record.
 * Names from a change's `before` were in force before the change: they are valid from the
 * enterprise's first known day.
 */
import type { Db } from '../db/index.ts';

/** Statements, in order: names with their validity, one cleaned row per snapshot, then the keys. */
export const BUILD_KEYS_SQL: readonly string[] = [
  `
CREATE OR REPLACE TEMP TABLE rz_names AS
WITH first_seen AS (
  SELECT uscc, least(min(as_of), coalesce(min(established_on), min(as_of))) AS d0
  FROM registrations GROUP BY uscc
),
name_src AS (
  SELECT uscc, name, min(as_of) AS vf FROM registrations GROUP BY uscc, name
  UNION ALL
  SELECT uscc, "after", min(changed_on) FROM registration_changes
   WHERE field = 'name' AND "after" IS NOT NULL AND trim("after") <> '' GROUP BY ALL
  UNION ALL
  SELECT c.uscc, c."before", least(min(f.d0), min(c.changed_on))
    FROM registration_changes c JOIN first_seen f USING (uscc)
   WHERE c.field = 'name' AND c."before" IS NOT NULL AND trim(c."before") <> '' GROUP BY ALL
),
names AS (SELECT uscc, name, min(vf) AS vf FROM name_src GROUP BY ALL),
-- the day a name stopped being current: a name change away from it, or a later snapshot with another name
ended AS (
  SELECT uscc, "before" AS name, min(changed_on) AS vt FROM registration_changes
   WHERE field = 'name' AND "before" IS NOT NULL AND "after" IS NOT NULL AND "before" <> "after"
   GROUP BY ALL
  UNION ALL
  SELECT a.uscc, a.name, min(b.as_of)
    FROM (SELECT uscc, name, max(as_of) AS last_as_of FROM registrations GROUP BY ALL) a
    JOIN registrations b ON b.uscc = a.uscc AND b.as_of > a.last_as_of AND b.name <> a.name
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
  FROM registrations
`,
  `
CREATE OR REPLACE TEMP TABLE rz_keys AS
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
  SELECT uscc, 'rep', rz_clean("after"), min(changed_on), NULL, NULL FROM registration_changes
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
  SELECT uscc, rz_addr("after"), min(changed_on) FROM registration_changes
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
         min(ref) AS ref
  FROM (SELECT * FROM raw UNION ALL SELECT * FROM addr_keys)
  WHERE key IS NOT NULL AND key <> ''
  GROUP BY uscc, kind, key
),
holders AS (SELECT kind, key, count(*) AS holders FROM keyed GROUP BY kind, key)
SELECT k.*, h.holders FROM keyed k JOIN holders h USING (kind, key)
`,
  `DROP TABLE IF EXISTS rz_names; DROP TABLE IF EXISTS rz_snap`,
];

/**
 * Fingerprints of the keys (an order-free sum of item hashes and their count), per enterprise and
 * per day on which they start to matter: a key counts
 * on its valid_from (and, for a replaced name, again on its valid_to), with whether it is held by
 * more than MAX_HOLDERS.guard enterprises. An incremental run compares them with the last run's
 * (kept in resolve_keys as kind 'fp') to find the enterprises that changed and the earliest record
 * day a change can affect.
 */
export function fingerprintSql(guard: number, weakGuard: number): string {
  return `
CREATE OR REPLACE TEMP TABLE rz_fp AS
SELECT uscc, day, sum(hash(item))::VARCHAR || ':' || count(*) AS fp
FROM (
  SELECT uscc, valid_from AS day,
         concat_ws(chr(30), kind, key, coalesce(ref, ''), CASE WHEN holders > ${guard} THEN 'guarded' WHEN holders > ${weakGuard} THEN 'weak' ELSE '' END) AS item
    FROM rz_keys
  UNION ALL
  SELECT uscc, valid_to, concat_ws(chr(30), 'valid_to', kind, key) FROM rz_keys WHERE valid_to IS NOT NULL
)
GROUP BY uscc, day
`;
}

export async function buildKeys(db: Db): Promise<void> {
  for (const sql of BUILD_KEYS_SQL) await db.run(sql);
}
