/**
 * The matching itself, in SQL over temp tables (see resolve.ts for the order they run in).
 *
 *   rz_todo   (kind, record_id)                          records to resolve in this run
 *   rz_batch  the part of rz_todo resolved now (a run goes through rz_todo in batches: bounded memory)
 *   rz_rec    the records, with the day they were seen / received
 *   rz_nq     name queries: advertiser_name / target_name ('name'), an SMS 【tag】 ('tag'), the ad title
 *             ('title'), each as rz_clean (f) and rz_core (c)
 *   rz_look   every register key each record looks up, with the evidence it would give:
 *               how    uscc | full | core | alias | lcp | fuzzy | phone | site | addr | rep
 *               w      evidence weight in (0, 1)
 *   rz_hit    lookups found in rz_keys with valid_from <= the record's day (point in time);
 *             a weaker name match (lcp, fuzzy) only counts when no exact one was found for the same
 *             query, and lcp only at its longest matched prefix
 *   rz_cand   per (record, enterprise): evidence grouped (uscc, name, phone, site, addr, rep,
 *             context, district), the strongest per group, combined by noisy-OR into a score;
 *             rejected (record, enterprise) pairs removed
 *
 * Evidence weights. Same-key matches are not discounted by the number of enterprises sharing the
 * key: ambiguity shows in the decision, as several candidates with close scores.
 */

import { industryWordsValues } from './industry-words.ts';

/** Weights of the evidence kinds (documented in the README of this folder via this table). */
export const WEIGHTS = {
  uscc: 0.97,
  full: 0.93,
  core: 0.9,
  former: 0.86,
  fuzzy: 0.6,
  fullFuzzy: 0.82,
  pinyin: 0.55,
  alias4: 0.6,
  alias: 0.55,
  lcp: 0.35,
  lcpShort: 0.5,
  phone: 0.8,
  textPhone: 0.75,
  site: 0.85,
  textSite: 0.8,
  addr: 0.6,
  rep: 0.5,
  context: 0.3,
  profile: 0.35,
  district: 0.15,
  tagFactor: 0.8,
  titleFactor: 0.6,
  segmentFactor: 0.75,
} as const;

/**
 * Keys held by more enterprises than this on the record's day are not used as evidence (a
 * business-centre address shared by hundreds of enterprises says nothing). \`guard\`: from the day
 * a key has more holders, it is not even looked up (speed; the day is kept in the key index as
 * guard_from). \`weakGuard\`: the same for the weak lookups (brand prefixes, sentences of a text,
 * titles), which can never win among so many (weak_from).
 */
export const MAX_HOLDERS = {
  address: 5,
  contact: 10,
  name: 200,
  guard: 1000,
  weakGuard: 50,
} as const;

/** A record is linked when its best score reaches LINK_MIN and the runner-up is at most MARGIN × it. */
export const LINK_MIN = 0.55;
export const MARGIN = 0.8;
/** Otherwise, with two or more candidates and a best score of at least this: ambiguous. */
export const AMBIGUOUS_MIN = 0.45;

const W = WEIGHTS;

/** The records of \`todo\` (a table of kind, record_id): rz_todo, or one batch of it. */
export const recSql = (todo: string): string => `
CREATE OR REPLACE TEMP TABLE rz_rec AS
SELECT 'ad' AS kind, a.ad_id AS record_id, a.seen_day AS day, a._hash AS hash,
       a.advertiser_name AS name, a.advertiser_uscc AS uscc_in, a.phone, a.url, a.title, a.text,
       NULL::VARCHAR AS district, rz_clean(a.text) AS tclean
  FROM ads a SEMI JOIN ${todo} t ON t.kind = 'ad' AND t.record_id = a.ad_id
UNION ALL
SELECT 'complaint', c.complaint_id, c.received_day, c._hash, c.target_name, c.target_uscc, NULL, NULL,
       NULL, c.text, c.district, rz_clean(c.text)
  FROM complaints c SEMI JOIN ${todo} t ON t.kind = 'complaint' AND t.record_id = c.complaint_id
`;

export const NQ_SQL = `
CREATE OR REPLACE TEMP TABLE rz_nq AS
SELECT kind, record_id, day, src, factor, f, CASE WHEN length(c0) >= 2 THEN c0 ELSE f END AS c
FROM (SELECT *, rz_clean(n) AS f,
             -- sentences of a text are not company names: no region or company-form stripping
             CASE WHEN src LIKE 'seg%' THEN rz_clean(n) ELSE rz_core0(n) END AS c0 FROM (
  SELECT kind, record_id, day, 'name' AS src, 1.0 AS factor, name AS n FROM rz_rec WHERE name IS NOT NULL
  UNION ALL
  SELECT kind, record_id, day, 'tag', ${W.tagFactor}, regexp_extract(text, '^\\s*【([^】]{2,24})】', 1)
    FROM rz_rec WHERE kind = 'ad' AND contains(text, '【')
  UNION ALL
  SELECT kind, record_id, day, 'title', ${W.titleFactor}, title FROM rz_rec WHERE title IS NOT NULL
  UNION ALL
  -- an ad that names nobody: each sentence of its text, as a name that may start with a brand
  SELECT kind, record_id, day, 'seg' || i, ${W.segmentFactor}, segs[i]
    FROM (SELECT kind, record_id, day, regexp_split_to_array(text, '[，。！!~、：:；;？?\\s]+') AS segs
            FROM rz_rec WHERE kind = 'ad'), range(1, 5) t(i)
   WHERE i <= length(segs) AND length(segs[i]) >= 2
))
WHERE length(CASE WHEN length(c0) >= 2 THEN c0 ELSE f END) >= 2
`;

export const LOOK_SQL = `
CREATE OR REPLACE TEMP TABLE rz_look AS
SELECT kind, record_id, day, src, 'full' AS how, ${W.full} * factor AS w, 0 AS len, 'full' AS lkind, f AS lkey,
       NULL AS aux
  FROM rz_nq WHERE src IN ('name', 'tag')
UNION ALL
SELECT kind, record_id, day, src, 'core', ${W.core} * factor, 0, 'core', c, NULL FROM rz_nq
UNION ALL
SELECT kind, record_id, day, src, 'alias', (CASE WHEN length(c) >= 4 THEN ${W.alias4} ELSE ${W.alias} END) * factor,
       length(c), 'pfx', c, NULL FROM rz_nq
UNION ALL
SELECT kind, record_id, day, src, 'lcp',
       (CASE WHEN src LIKE 'seg%' THEN ${W.alias} WHEN length(c) - k <= 3 THEN ${W.lcpShort} ELSE ${W.lcp} END) * factor,
       k, 'pfx', left(c, k), NULL
  FROM rz_nq, range(2, 6) t(k)
 WHERE k < length(c)
UNION ALL
-- aux: the name around the core; when it equals the candidate's, the whole registered name is
-- misspelt in one character (珠海万龙美业有限公司 for 珠海万隆美业有限公司): stronger evidence
SELECT kind, record_id, day, src, 'fuzzy', ${W.fuzzy} * factor, length(c), 'mask',
       left(c, i - 1) || '?' || substr(c, i + 1), replace(f, c, '')
  FROM rz_nq, range(1, 17) t(i) WHERE length(c) >= 4 AND i <= length(c) AND src IN ('name', 'tag')
UNION ALL
SELECT kind, record_id, day, src, 'alias', ${W.pinyin} * factor, length(c), 'py', c, NULL
  FROM rz_nq WHERE regexp_matches(c, '^[a-z]{2,4}\\p{Han}{2}$')
UNION ALL
SELECT kind, record_id, day, 'uscc', 'uscc', ${W.uscc}, 0, 'uscc', upper(rz_fw(trim(uscc_in))), NULL
  FROM rz_rec WHERE uscc_in IS NOT NULL
UNION ALL
SELECT kind, record_id, day, 'phone', 'phone', ${W.phone}, 0, 'phone', rz_phone(phone), NULL
  FROM rz_rec WHERE length(rz_phone(phone)) >= 7
UNION ALL
SELECT kind, record_id, day, 'text', 'phone', ${W.textPhone}, 0, 'phone', rz_phone(p), NULL
  FROM (SELECT kind, record_id, day,
               unnest(regexp_extract_all(rz_fw(text), '1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8}|400-?[0-9]{3}-?[0-9]{4}')) AS p
          FROM rz_rec WHERE kind = 'ad')
UNION ALL
SELECT kind, record_id, day, 'url', 'site', ${W.site}, 0, 'site', rz_host(url), NULL
  FROM rz_rec WHERE length(rz_host(url)) >= 4
UNION ALL
SELECT kind, record_id, day, 'text', 'site', ${W.textSite}, 0, 'site', rz_host(s), NULL
  FROM (SELECT kind, record_id, day,
               unnest(regexp_extract_all(lower(rz_fw(text)), '(?:官网|网址|网站)[:：]?\\s*((?:https?://)?[a-z0-9][a-z0-9.-]*\\.[a-z]{2,})', 1)) AS s
          FROM rz_rec WHERE kind = 'ad')
UNION ALL
SELECT kind, record_id, day, 'text', 'addr', ${W.addr}, 0, 'addr', rz_addr(a), NULL
  FROM (SELECT kind, record_id, day, regexp_extract(rz_fw(text), '地址[:：]\\s*([^，。！!~,;；]+)', 1) AS a
          FROM rz_rec WHERE kind = 'ad')
 WHERE length(rz_addr(a)) >= 6
UNION ALL
SELECT kind, record_id, day, 'name', 'addr', ${W.addr}, 0, 'apfx', left(rz_addr(a), 14), NULL
  FROM (SELECT kind, record_id, day, regexp_extract(name, '^(.*)的公司$', 1) AS a FROM rz_rec
         WHERE kind = 'complaint' AND name LIKE '%的公司')
 WHERE length(rz_addr(a)) >= 6
UNION ALL
SELECT kind, record_id, day, 'name', 'rep', ${W.rep}, 0, 'rep', rz_clean(name), NULL
  FROM rz_rec WHERE kind = 'complaint' AND length(rz_clean(name)) BETWEEN 2 AND 4
`;

/**
 * Once per run, before the batches: the keys still usable on \`minDay\` (the earliest day of the
 * run's records: a key too common before it is too common for all of them), the brand prefixes a
 * weak lookup may use, and the districts — so a batch does not scan the whole key index for them.
 */
export const runTablesSql = (minDay: string): string => `
CREATE OR REPLACE TEMP VIEW rz_live AS
SELECT * FROM rz_keys WHERE guard_from IS NULL OR guard_from > DATE '${minDay}';
CREATE OR REPLACE TEMP TABLE rz_pfx AS
SELECT key, min(valid_from) AS vf, any_value(weak_from) AS weak_from FROM rz_live
 WHERE kind = 'pfx' AND (weak_from IS NULL OR weak_from > DATE '${minDay}') GROUP BY key;
CREATE OR REPLACE TEMP TABLE rz_district AS
SELECT uscc, key, valid_from FROM rz_keys WHERE kind = 'district'
`;

/** A key's last usable day + 1 for a lookup: weak lookups stop at weak_from, the others at guard_from. */
const STOP = (l: string, k: string) =>
  `coalesce(CASE WHEN ${l}.how = 'lcp' OR ${l}.src LIKE 'seg%' OR ${l}.src = 'title' THEN ${k}.weak_from ELSE ${k}.guard_from END, DATE '9999-12-31')`;

export const HIT_SQL = `
CREATE OR REPLACE TEMP TABLE rz_hit AS
WITH pfx AS (SELECT * FROM rz_pfx),
-- the longest brand prefix (lcp) of each query usable on the record's day: only it is joined below
lcpbest AS (
  SELECT l.kind, l.record_id, l.src, max(l.len) AS m
    FROM rz_look l JOIN pfx p ON p.key = l.lkey AND p.vf <= l.day AND l.day < coalesce(p.weak_from, DATE '9999-12-31')
   WHERE l.how = 'lcp'
   GROUP BY ALL
),
look AS (
  SELECT * FROM rz_look WHERE how <> 'lcp'
  UNION ALL
  SELECT l.* FROM rz_look l
    JOIN lcpbest b ON b.kind = l.kind AND b.record_id = l.record_id AND b.src = l.src AND b.m = l.len
   WHERE l.how = 'lcp'
),
raw0 AS (
  SELECT l.kind, l.record_id, l.day, l.src, l.how,
         CASE WHEN l.how = 'fuzzy' AND l.aux <> '' AND l.aux = k.ref THEN ${W.fullFuzzy} ELSE l.w END AS w,
         l.len, k.uscc, k.valid_from, k.valid_to, k.ref, k.kind AS kk,
         count(*) OVER (PARTITION BY l.kind, l.record_id, l.src, l.how, l.lkind, l.lkey) AS holders_then
    FROM look l JOIN rz_live k ON k.kind = l.lkind AND k.key = l.lkey AND k.valid_from <= l.day
   WHERE l.day < ${STOP('l', 'k')}
),
-- a key shared by more enterprises than its cap on the record's day says nothing about which one
raw AS (
  SELECT * EXCLUDE (kk, holders_then) FROM raw0
   WHERE holders_then <= CASE WHEN kk IN ('addr', 'apfx') THEN ${MAX_HOLDERS.address}
                              WHEN kk IN ('phone', 'site', 'rep') THEN ${MAX_HOLDERS.contact}
                              ELSE ${MAX_HOLDERS.name} END
),
exact AS (SELECT DISTINCT kind, record_id, src FROM raw WHERE how IN ('full', 'core', 'alias')),
lcpmax AS (SELECT kind, record_id, src, max(len) AS m FROM raw WHERE how = 'lcp' GROUP BY ALL)
SELECT r.kind, r.record_id, r.day, r.src, r.uscc, r.valid_from, r.ref, r.len,
       CASE WHEN r.how IN ('full', 'core') AND r.valid_to IS NOT NULL AND r.valid_to <= r.day THEN 'former'
            ELSE r.how END AS how,
       CASE WHEN r.how IN ('full', 'core') AND r.valid_to IS NOT NULL AND r.valid_to <= r.day
            THEN least(r.w, ${W.former}) ELSE r.w END AS w
  FROM raw r
  LEFT JOIN lcpmax m ON m.kind = r.kind AND m.record_id = r.record_id AND m.src = r.src
 WHERE NOT (r.how IN ('lcp', 'fuzzy')
            AND EXISTS (SELECT 1 FROM exact e WHERE e.kind = r.kind AND e.record_id = r.record_id AND e.src = r.src))
   AND NOT (r.how = 'lcp' AND r.len < m.m)
`;

/** (record, candidate) pairs of records that name a district (complaints), for the district evidence. */
export const PAIRS_SQL = `
CREATE OR REPLACE TEMP TABLE rz_pairs AS
SELECT DISTINCT h.kind, h.record_id, h.uscc, r.day, trim(r.district) AS district
  FROM rz_hit h JOIN rz_rec r ON r.kind = h.kind AND r.record_id = h.record_id
 WHERE r.district IS NOT NULL AND trim(r.district) <> ''
`;

/** Evidence groups, candidates and their scores. Reviews: rejected pairs never come back. */
export const CAND_SQL = `
CREATE OR REPLACE TEMP TABLE rz_cand AS
WITH ev AS (
  SELECT kind, record_id, uscc, day, how, w, valid_from,
         CASE WHEN how IN ('full', 'core', 'former', 'fuzzy', 'alias', 'lcp') THEN 'name'
              WHEN how = 'apfx' THEN 'addr' ELSE how END AS grp
    FROM rz_hit
),
ctx AS (
  -- the enterprise's own words after the matched brand (财富 in 鑫盛财富管理) appear in the text
  SELECT DISTINCT h.kind, h.record_id, h.uscc, r.day, 'context' AS how, ${W.context} AS w, NULL::DATE AS valid_from,
         'context' AS grp
    FROM rz_hit h JOIN rz_rec r ON r.kind = h.kind AND r.record_id = h.record_id
   WHERE h.how IN ('alias', 'lcp') AND h.ref IS NOT NULL
     AND length(substr(h.ref, h.len + 1, 2)) = 2
     AND contains(r.tclean, substr(h.ref, h.len + 1, 2))
),
dist AS (
  SELECT p.kind, p.record_id, p.uscc, p.day, 'district' AS how, ${W.district} AS w, NULL::DATE AS valid_from,
         'district' AS grp
    FROM rz_pairs p
   WHERE EXISTS (SELECT 1 FROM rz_district k WHERE k.uscc = p.uscc AND k.key = p.district
                    AND k.valid_from <= p.day)
),
allev AS (SELECT * FROM ev UNION ALL SELECT * FROM ctx UNION ALL SELECT * FROM dist),
g AS (
  SELECT kind, record_id, uscc, grp, max(w) AS w, list(how ORDER BY w DESC, how)[1] AS how, min(valid_from) AS vf
    FROM allev GROUP BY ALL
),
reviews AS (
  SELECT kind, record_id, uscc, arg_max(verdict, review_id) AS verdict FROM link_reviews GROUP BY ALL
)
SELECT g.kind, g.record_id, g.uscc,
       round(1 - exp(sum(ln(1 - least(g.w, 0.999)))), 6) AS score,
       list(g.how ORDER BY g.w DESC, g.how) FILTER (WHERE g.grp NOT IN ('context', 'district'))[1] AS best_how,
       list(g.how ORDER BY g.w DESC, g.how) AS hows,
       max(g.vf) AS evidence_from
  FROM g
  ANTI JOIN (SELECT * FROM reviews WHERE verdict = 'reject') x
    ON x.kind = g.kind AND x.record_id = g.record_id AND x.uscc = g.uscc
 GROUP BY g.kind, g.record_id, g.uscc
HAVING count(*) FILTER (WHERE g.grp NOT IN ('context', 'district')) > 0
`;

/**
 * Business profile: when a record has several candidates (or one weak one), the words of its text
 * are compared with each candidate's business as registered on the record's day: character bigrams
 * shared with its name and business scope, plus 3 per word of its industry's vocabulary
 * (industry-words.ts) found in the text. The candidate whose profile clearly overlaps most (by 2 or
 * more, and at least 3) gets the 'context' evidence: 昌乐舞蹈春季班招生 → 昌乐教育咨询, not 昌乐置业.
 */
export const PROFILE_SQL = `
CREATE OR REPLACE TEMP TABLE rz_cand2 AS
WITH stats AS (
  SELECT kind, record_id, count(*) AS n, max(score) AS s1 FROM rz_cand GROUP BY ALL
),
need AS (
  SELECT c.kind, c.record_id, c.uscc FROM rz_cand c JOIN stats s USING (kind, record_id)
   WHERE s.n BETWEEN 2 AND 30 OR s.s1 < ${LINK_MIN}
),
rtext AS (
  SELECT r.kind, r.record_id, r.day, r.tclean,
         list_distinct([substr(r.tclean, i, 2) FOR i IN range(1, length(r.tclean))]) AS tbg
    FROM rz_rec r SEMI JOIN need n ON n.kind = r.kind AND n.record_id = r.record_id
),
regs AS (
  SELECT uscc, as_of, name, business_scope, industry_code FROM registrations
   SEMI JOIN (SELECT DISTINCT uscc FROM need) u USING (uscc)
),
prof AS (
  SELECT uscc, min(as_of) AS vf,
         list_distinct([substr(t, i, 2) FOR i IN range(1, length(t))]) AS bg
    FROM (SELECT uscc, as_of, rz_clean(coalesce(rz_core(name), '') || coalesce(business_scope, '')) AS t FROM regs)
   GROUP BY uscc, t
),
ind AS (
  SELECT uscc, min(as_of) AS vf, upper(trim(industry_code)) AS code FROM regs
   WHERE industry_code IS NOT NULL GROUP BY ALL
),
voc AS (SELECT * FROM (VALUES ${industryWordsValues()}) v(prefix, word)),
vh AS (
  SELECT n.kind, n.record_id, n.uscc, count(DISTINCT v.word) AS hits
    FROM need n JOIN rtext t ON t.kind = n.kind AND t.record_id = n.record_id
    JOIN ind i ON i.uscc = n.uscc AND i.vf <= t.day
    JOIN voc v ON starts_with(i.code, v.prefix)
   WHERE contains(t.tclean, v.word)
   GROUP BY ALL
),
bo AS (
  SELECT n.kind, n.record_id, n.uscc, max(length(list_intersect(t.tbg, p.bg))) AS ov
    FROM need n JOIN rtext t ON t.kind = n.kind AND t.record_id = n.record_id
    JOIN prof p ON p.uscc = n.uscc AND p.vf <= t.day
   GROUP BY ALL
),
ov AS (
  SELECT n.kind, n.record_id, n.uscc, coalesce(bo.ov, 0) + 3 * coalesce(vh.hits, 0) AS ov
    FROM need n
    LEFT JOIN bo ON bo.kind = n.kind AND bo.record_id = n.record_id AND bo.uscc = n.uscc
    LEFT JOIN vh ON vh.kind = n.kind AND vh.record_id = n.record_id AND vh.uscc = n.uscc
),
ranked AS (
  SELECT *, row_number() OVER (PARTITION BY kind, record_id ORDER BY ov DESC, uscc) AS rk,
         lead(ov) OVER (PARTITION BY kind, record_id ORDER BY ov DESC, uscc) AS ov2
    FROM ov
),
boost AS (
  SELECT kind, record_id, uscc FROM ranked WHERE rk = 1 AND ov >= 3 AND ov >= coalesce(ov2, 0) + 2
)
SELECT c.kind, c.record_id, c.uscc,
       CASE WHEN b.uscc IS NULL THEN c.score ELSE round(1 - (1 - c.score) * (1 - ${W.profile}), 6) END AS score,
       c.best_how,
       CASE WHEN b.uscc IS NULL THEN c.hows ELSE list_append(c.hows, 'context') END AS hows,
       c.evidence_from
  FROM rz_cand c
  LEFT JOIN boost b ON b.kind = c.kind AND b.record_id = c.record_id AND b.uscc = c.uscc
`;

/** Maps an internal evidence kind to the public method name. */
export const METHOD_CASE = (col: string): string => `CASE ${col}
  WHEN 'uscc' THEN 'uscc' WHEN 'full' THEN 'name' WHEN 'core' THEN 'name' WHEN 'fuzzy' THEN 'name'
  WHEN 'former' THEN 'former_name' WHEN 'alias' THEN 'alias' WHEN 'lcp' THEN 'alias'
  WHEN 'phone' THEN 'phone' WHEN 'site' THEN 'website' WHEN 'addr' THEN 'address'
  WHEN 'apfx' THEN 'address' WHEN 'rep' THEN 'legal_rep' ELSE NULL END`;

/** The decision per record, appended to \`target\` (a table shaped like entity_links). */
export const decideSql = (target: string): string => `
INSERT INTO ${target}
WITH ranked AS (
  SELECT *, row_number() OVER (PARTITION BY kind, record_id ORDER BY score DESC, uscc) AS rk FROM rz_cand2
),
per AS (
  SELECT kind, record_id,
         max(score) FILTER (WHERE rk = 1) AS s1,
         max(score) FILTER (WHERE rk = 2) AS s2,
         any_value(uscc) FILTER (WHERE rk = 1) AS top,
         any_value(best_how) FILTER (WHERE rk = 1) AS top_how,
         any_value(evidence_from) FILTER (WHERE rk = 1) AS top_from,
         list({'uscc': uscc, 'score': round(score, 4),
               'methods': list_distinct(list_transform(hows, h -> ${METHOD_CASE('h')}))} ORDER BY rk)
           FILTER (WHERE rk <= 10) AS cands
    FROM ranked GROUP BY kind, record_id
),
reviews AS (
  SELECT kind, record_id, uscc, arg_max(verdict, review_id) AS verdict, max(review_id) AS rid
    FROM link_reviews GROUP BY ALL
),
confirmed AS (
  SELECT kind, record_id, arg_max(uscc, rid) AS uscc FROM reviews WHERE verdict = 'confirm' GROUP BY ALL
),
dec AS (
  SELECT r.kind, r.record_id, r.day, r.hash, p.s1, p.s2, p.top, p.top_how, p.top_from, p.cands, c.uscc AS confirmed,
         CASE
           WHEN c.uscc IS NOT NULL THEN 'linked'
           WHEN p.s1 IS NULL THEN 'unlinked'
           WHEN p.s1 >= ${LINK_MIN} AND (p.s2 IS NULL OR p.s2 <= ${MARGIN} * p.s1) THEN 'linked'
           WHEN p.s2 IS NOT NULL AND p.s1 >= ${AMBIGUOUS_MIN} THEN 'ambiguous'
           ELSE 'unlinked'
         END AS status
    FROM rz_rec r
    LEFT JOIN per p ON p.kind = r.kind AND p.record_id = r.record_id
    LEFT JOIN confirmed c ON c.kind = r.kind AND c.record_id = r.record_id
)
SELECT kind, record_id, day, hash,
       CASE WHEN confirmed IS NOT NULL THEN confirmed WHEN status = 'linked' THEN top END AS uscc,
       CASE WHEN confirmed IS NOT NULL THEN 'review' ELSE ${METHOD_CASE('top_how')} END AS method,
       CASE WHEN confirmed IS NOT NULL THEN 1.0
            WHEN s1 IS NULL THEN NULL
            ELSE round(s1 * (1 - coalesce(s2, 0) / 2), 4) END AS confidence,
       status,
       coalesce(to_json(cands), '[]'::JSON) AS candidates,
       CASE WHEN confirmed IS NOT NULL THEN NULL WHEN status = 'linked' THEN top_from END AS evidence_from,
       $now::TIMESTAMPTZ AS resolved_at,
       $run::BIGINT AS run_id
  FROM dec
`;
