/**
 * The SQL that finds what a batch, a resolve run, a published revision or a disposition changed
 * and which watched entries it touches. Every statement appends to the temp table nt_hits:
 *
 *   event_key   stable identity of the event (a re-run or a correction finds the same key)
 *   kind        complaint | ad | new_enterprise | register | change | outcome | level | disposition
 *   uscc        the enterprise the event is about (NULL: an unlinked complaint or ad)
 *   day         the event's own day (point in time: the record's day, the list's day)
 *   name        the enterprise's (or advertiser's) name, for the title
 *   data        the details, as JSON; personal values under their own names (legal_rep, phone)
 *   link        where the evidence is in the dashboard
 *   source      batch:<id> | resolve:<run> | revision:<day>/<rev> | disposition:<id>
 *   match_kind, match_norm   the watched entry it touches, by kind and normalised value
 *   entry_id    for person entries only: the entry whose disambiguation the hit passed
 *   via         how it matched (target_uscc, text_phone, legal_rep_linked, network_phone, …)
 *
 * Inputs (temp tables made by screen.ts): nt_src_batch (batch_id), nt_src_run (run_id),
 * nt_src_rev (day, revision), nt_src_disp (disposition_id), nt_entries (the active entries with
 * their normalised value `norm`), and the resolver's normalisation macros (rz_*).
 */

/** Phone numbers inside free text (mainland mobiles, landlines with area code). */
const PHONE_IN_TEXT = `'(?:\\+?86[- ]?)?1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8}'`;

const ENTITY_LINK = `'/ui/entities/' || uscc`;

/** Host suffixes of a normalised host: a.b.cn → a.b.cn, b.cn, cn (a watched domain matches its subdomains). */
const HOST_SUFFIXES = (host: string) =>
  `list_transform(range(1, len(string_split(${host}, '.')) + 1),
     i -> array_to_string(string_split(${host}, '.')[i:], '.'))`;

const KEYWORDS = `(SELECT DISTINCT norm FROM nt_entries WHERE kind = 'keyword' AND length(norm) >= 2)`;
const NORMS = (kind: string) =>
  `(SELECT DISTINCT norm FROM nt_entries WHERE kind = '${kind}' AND norm IS NOT NULL AND norm <> '')`;

export const HITS_TABLE = `
CREATE OR REPLACE TEMP TABLE nt_hits (
  event_key VARCHAR, kind VARCHAR, uscc VARCHAR, day DATE, name VARCHAR, data JSON, link VARCHAR,
  source VARCHAR, match_kind VARCHAR, match_norm VARCHAR, entry_id BIGINT, via VARCHAR)`;

/** The latest registered name of every enterprise a hit is about (for titles). */
export const NAMES_SQL = `
CREATE OR REPLACE TEMP TABLE nt_names AS
SELECT uscc, arg_max(name, as_of) AS name FROM registrations_history
 WHERE uscc IN (SELECT DISTINCT uscc FROM nt_hits WHERE uscc IS NOT NULL)
 GROUP BY uscc`;

// ---- ingest batches -----------------------------------------------------------------------------

export const BATCH_SQL: readonly string[] = [
  // complaints of the batches (accepted and corrected versions)
  `CREATE OR REPLACE TEMP TABLE nt_c AS
   SELECT h.complaint_id, h.received_day AS day, h.channel, h.target_name, upper(h.target_uscc) AS uscc,
          h.text, h.amount_cny, h.district, 'batch:' || h._batch AS source,
          json_object('complaint_id', h.complaint_id, 'received_day', h.received_day, 'channel', h.channel,
                      'target_name', h.target_name, 'amount_cny', h.amount_cny, 'district', h.district,
                      'excerpt', left(h.text, 140)) AS data
     FROM complaints_history h JOIN nt_src_batch b ON h._batch = b.batch_id`,
  `INSERT INTO nt_hits
   SELECT 'complaint:' || complaint_id, 'complaint', uscc, day, target_name, data,
          CASE WHEN uscc IS NULL THEN NULL ELSE ${ENTITY_LINK} END, source, 'enterprise', uscc, NULL, 'target_uscc'
     FROM nt_c WHERE uscc IN ${NORMS('enterprise')}`,
  `INSERT INTO nt_hits
   SELECT 'complaint:' || complaint_id, 'complaint', uscc, day, target_name, data,
          CASE WHEN uscc IS NULL THEN NULL ELSE ${ENTITY_LINK} END, source, 'phone', p, NULL, 'text_phone'
     FROM (SELECT *, unnest(list_distinct(list_transform(regexp_extract_all(text, ${PHONE_IN_TEXT}), x -> rz_phone(x)))) AS p
             FROM nt_c WHERE EXISTS (SELECT 1 FROM nt_entries WHERE kind = 'phone'))
    WHERE p IN ${NORMS('phone')}`,
  `INSERT INTO nt_hits
   SELECT 'complaint:' || complaint_id, 'complaint', uscc, day, target_name, data,
          CASE WHEN uscc IS NULL THEN NULL ELSE ${ENTITY_LINK} END, source, 'keyword', k.norm, NULL, 'text_keyword'
     FROM (SELECT *, rz_clean(coalesce(target_name, '') || ' ' || text) AS clean FROM nt_c
            WHERE EXISTS (SELECT 1 FROM nt_entries WHERE kind = 'keyword')) c
     JOIN ${KEYWORDS} k ON contains(c.clean, k.norm)`,

  // ads
  `CREATE OR REPLACE TEMP TABLE nt_a AS
   SELECT h.ad_id, h.seen_day AS day, h.channel, h.advertiser_name, upper(h.advertiser_uscc) AS uscc,
          h.phone, h.url, h.title, h.text, 'batch:' || h._batch AS source,
          json_object('ad_id', h.ad_id, 'seen_day', h.seen_day, 'channel', h.channel,
                      'advertiser_name', h.advertiser_name, 'title', h.title, 'url', h.url,
                      'phone', h.phone, 'excerpt', left(h.text, 140)) AS data
     FROM ads_history h JOIN nt_src_batch b ON h._batch = b.batch_id`,
  `INSERT INTO nt_hits
   SELECT 'ad:' || ad_id, 'ad', uscc, day, advertiser_name, data,
          CASE WHEN uscc IS NULL THEN NULL ELSE ${ENTITY_LINK} END, source, 'enterprise', uscc, NULL, 'advertiser_uscc'
     FROM nt_a WHERE uscc IN ${NORMS('enterprise')}`,
  `INSERT INTO nt_hits
   SELECT 'ad:' || ad_id, 'ad', uscc, day, advertiser_name, data,
          CASE WHEN uscc IS NULL THEN NULL ELSE ${ENTITY_LINK} END, source, 'phone', p, NULL, 'ad_phone'
     FROM (SELECT *, unnest(list_distinct(list_transform(
                   list_concat(CASE WHEN phone IS NULL THEN [] ELSE [phone] END,
                               regexp_extract_all(text, ${PHONE_IN_TEXT})), x -> rz_phone(x)))) AS p
             FROM nt_a WHERE EXISTS (SELECT 1 FROM nt_entries WHERE kind = 'phone'))
    WHERE p IN ${NORMS('phone')}`,
  `INSERT INTO nt_hits
   SELECT 'ad:' || ad_id, 'ad', uscc, day, advertiser_name, data,
          CASE WHEN uscc IS NULL THEN NULL ELSE ${ENTITY_LINK} END, source, 'domain', d, NULL, 'ad_url'
     FROM (SELECT *, unnest(${HOST_SUFFIXES('rz_host(url)')}) AS d
             FROM nt_a WHERE url IS NOT NULL AND EXISTS (SELECT 1 FROM nt_entries WHERE kind = 'domain'))
    WHERE d IN ${NORMS('domain')}`,
  `INSERT INTO nt_hits
   SELECT 'ad:' || ad_id, 'ad', uscc, day, advertiser_name, data,
          CASE WHEN uscc IS NULL THEN NULL ELSE ${ENTITY_LINK} END, source, 'keyword', k.norm, NULL, 'ad_keyword'
     FROM (SELECT *, rz_clean(concat_ws(' ', advertiser_name, title, text)) AS clean FROM nt_a
            WHERE EXISTS (SELECT 1 FROM nt_entries WHERE kind = 'keyword')) a
     JOIN ${KEYWORDS} k ON contains(a.clean, k.norm)`,

  // register snapshots: a new enterprise (its first snapshot) or a changed one
  `CREATE OR REPLACE TEMP TABLE nt_r AS
   WITH b AS (
     SELECT h.* FROM registrations_history h JOIN nt_src_batch s ON h._batch = s.batch_id
   ),
   -- the history of the batch's enterprises only, with the columns compared (not the view over
   -- the whole register, not whole rows)
   hist AS (
     SELECT uscc, as_of, name, legal_rep, address, phone, website, status, registered_capital_wan,
            business_scope, _batch, _line
       FROM registrations_history WHERE uscc IN (SELECT uscc FROM b)
   ),
   first AS (SELECT uscc, min(as_of) AS first_as_of FROM hist GROUP BY uscc),
   prev AS (
     SELECT b.uscc, b.as_of,
            arg_max({'name': p.name, 'legal_rep': p.legal_rep, 'address': p.address, 'phone': p.phone,
                     'website': p.website, 'status': p.status, 'registered_capital_wan': p.registered_capital_wan,
                     'business_scope': p.business_scope}, p.as_of) AS p
       FROM b JOIN hist p ON p.uscc = b.uscc AND p.as_of < b.as_of
      WHERE NOT EXISTS (SELECT 1 FROM registrations_superseded x WHERE x._batch = p._batch AND x._line = p._line)
      GROUP BY b.uscc, b.as_of
   )
   SELECT b.uscc, b.as_of AS day, b.name, b.legal_rep, b.address, b.phone, b.website, b.district,
          b.established_on, b.status, b.shareholders, 'batch:' || b._batch AS source,
          b.as_of = f.first_as_of AS is_first,
          [x FOR x IN [
            CASE WHEN prev.p.name IS DISTINCT FROM b.name THEN 'name' END,
            CASE WHEN prev.p.legal_rep IS DISTINCT FROM b.legal_rep THEN 'legal_rep' END,
            CASE WHEN prev.p.address IS DISTINCT FROM b.address THEN 'address' END,
            CASE WHEN prev.p.phone IS DISTINCT FROM b.phone THEN 'phone' END,
            CASE WHEN prev.p.website IS DISTINCT FROM b.website THEN 'website' END,
            CASE WHEN prev.p.status IS DISTINCT FROM b.status THEN 'status' END,
            CASE WHEN prev.p.registered_capital_wan IS DISTINCT FROM b.registered_capital_wan THEN 'registered_capital' END,
            CASE WHEN prev.p.business_scope IS DISTINCT FROM b.business_scope THEN 'business_scope' END
          ] IF x IS NOT NULL] AS changed,
          rz_phone(b.phone) AS n_phone, rz_addr(b.address) AS n_addr, rz_host(b.website) AS n_site,
          rz_clean(b.legal_rep) AS n_rep, rz_clean(b.name) AS n_name,
          CASE WHEN b.as_of = f.first_as_of
               THEN 'enterprise:' || b.uscc
               ELSE 'register:' || b.uscc || ':' || b.as_of::VARCHAR END AS event_key,
          CASE WHEN b.as_of = f.first_as_of THEN 'new_enterprise' ELSE 'register' END AS kind
     FROM b JOIN first f USING (uscc) LEFT JOIN prev ON prev.uscc = b.uscc AND prev.as_of = b.as_of`,
  // an existing enterprise whose snapshot repeats the previous one is not an event
  `DELETE FROM nt_r WHERE NOT is_first AND len(changed) = 0`,
  `CREATE OR REPLACE TEMP TABLE nt_r AS
   SELECT *, json_object('uscc', uscc, 'name', name, 'as_of', day, 'established_on', established_on,
                         'district', district, 'status', status, 'changed', changed,
                         'legal_rep', legal_rep, 'phone', phone, 'address', address, 'website', website) AS data
     FROM nt_r`,
  `INSERT INTO nt_hits
   SELECT event_key, kind, uscc, day, name, data, ${ENTITY_LINK}, source, 'enterprise', uscc, NULL, 'uscc'
     FROM nt_r WHERE uscc IN ${NORMS('enterprise')}`,
  `INSERT INTO nt_hits
   SELECT event_key, kind, uscc, day, name, data, ${ENTITY_LINK}, source, 'phone', n_phone, NULL, 'register_phone'
     FROM nt_r WHERE (is_first OR list_contains(changed, 'phone')) AND n_phone IN ${NORMS('phone')}`,
  `INSERT INTO nt_hits
   SELECT event_key, kind, uscc, day, name, data, ${ENTITY_LINK}, source, 'address', n_addr, NULL, 'register_address'
     FROM nt_r WHERE (is_first OR list_contains(changed, 'address')) AND n_addr IN ${NORMS('address')}`,
  `INSERT INTO nt_hits
   SELECT event_key, kind, uscc, day, name, data, ${ENTITY_LINK}, source, 'domain', d, NULL, 'register_website'
     FROM (SELECT *, unnest(${HOST_SUFFIXES('n_site')}) AS d FROM nt_r
            WHERE (is_first OR list_contains(changed, 'website')) AND n_site IS NOT NULL AND n_site <> ''
              AND EXISTS (SELECT 1 FROM nt_entries WHERE kind = 'domain'))
    WHERE d IN ${NORMS('domain')}`,
  `INSERT INTO nt_hits
   SELECT r.event_key, r.kind, r.uscc, r.day, r.name, r.data, '/ui/entities/' || r.uscc, r.source, 'keyword', k.norm, NULL, 'register_name'
     FROM nt_r r JOIN ${KEYWORDS} k ON (r.is_first OR list_contains(r.changed, 'name')) AND contains(r.n_name, k.norm)`,
  // the watched enterprises' current register facts, for network hits
  `CREATE OR REPLACE TEMP TABLE nt_watched_reg AS
   SELECT uscc, rz_phone(phone) AS n_phone, rz_addr(address) AS n_addr
     FROM (SELECT uscc, arg_max(phone, as_of) AS phone, arg_max(address, as_of) AS address
             FROM registrations_history h
            WHERE uscc IN ${NORMS('enterprise')}
              AND NOT EXISTS (SELECT 1 FROM registrations_superseded x WHERE x._batch = h._batch AND x._line = h._line)
            GROUP BY uscc)
    WHERE EXISTS (SELECT 1 FROM nt_r WHERE is_first)`,
  // a new enterprise sharing a phone or an address with a watched enterprise (a legal
  // representative's name alone is not enough: 张伟 is thousands of people)
  `INSERT INTO nt_hits
   SELECT r.event_key, r.kind, r.uscc, r.day, r.name, r.data, '/ui/entities/' || r.uscc, r.source,
          'enterprise', w.uscc, NULL,
          CASE WHEN r.n_phone = w.n_phone THEN 'network_phone' ELSE 'network_address' END
     FROM nt_r r JOIN nt_watched_reg w
       ON r.uscc <> w.uscc AND ((r.n_phone <> '' AND r.n_phone = w.n_phone) OR (r.n_addr <> '' AND r.n_addr = w.n_addr))
    WHERE r.is_first`,
  // register change records
  `CREATE OR REPLACE TEMP TABLE nt_g AS
   SELECT h.uscc, h.changed_on AS day, h.field, h."before", h."after", 'batch:' || h._batch AS source,
          'change:' || md5(h._key) AS event_key,
          json_object('uscc', h.uscc, 'changed_on', h.changed_on, 'field', h.field,
                      'before', CASE WHEN h.field = 'legal_rep' THEN NULL ELSE h."before" END,
                      'after', CASE WHEN h.field = 'legal_rep' THEN NULL ELSE h."after" END,
                      'legal_rep', CASE WHEN h.field = 'legal_rep' THEN json_object('before', h."before", 'after', h."after") END) AS data
     FROM registration_changes_history h JOIN nt_src_batch b ON h._batch = b.batch_id`,
  `INSERT INTO nt_hits
   SELECT event_key, 'change', uscc, day, NULL, data, ${ENTITY_LINK}, source, 'enterprise', uscc, NULL, 'uscc'
     FROM nt_g WHERE uscc IN ${NORMS('enterprise')}`,
  `INSERT INTO nt_hits
   SELECT event_key, 'change', uscc, day, NULL, data, ${ENTITY_LINK}, source, 'address', rz_addr("after"), NULL, 'change_address'
     FROM nt_g WHERE field = 'address' AND rz_addr("after") IN ${NORMS('address')}`,
  `INSERT INTO nt_hits
   SELECT g.event_key, 'change', g.uscc, g.day, NULL, g.data, '/ui/entities/' || g.uscc, g.source, 'keyword', k.norm, NULL, 'change_name'
     FROM nt_g g JOIN ${KEYWORDS} k ON g.field = 'name' AND contains(rz_clean(g."after"), k.norm)`,
  // case outcomes
  `INSERT INTO nt_hits
   SELECT 'outcome:' || h.uscc || ':' || h.decided_on::VARCHAR, 'outcome', h.uscc, h.decided_on, NULL,
          json_object('uscc', h.uscc, 'decided_on', h.decided_on, 'outcome', h.outcome, 'case_ref', h.case_ref),
          '/ui/entities/' || h.uscc, 'batch:' || h._batch, 'enterprise', h.uscc, NULL, 'uscc'
     FROM case_outcomes_history h JOIN nt_src_batch b ON h._batch = b.batch_id
    WHERE h.uscc IN ${NORMS('enterprise')}`,
];

/**
 * A watched person (legal representative) in a new enterprise, a changed snapshot or a change
 * record. A person entry that lists the companies they represent matches only an enterprise tied
 * to one of them (the same phone, address or website as one of those companies' current register
 * facts, or one of them among its shareholders); a person entry without companies matches on the
 * name alone (via legal_rep_name_only). Ambiguous same-name hits are counted, not notified.
 */
export const PERSON_SQL: readonly string[] = [
  `CREATE OR REPLACE TEMP TABLE nt_p AS
   SELECT r.event_key, r.kind, r.uscc, r.day, r.name, r.data, r.source, r.n_phone, r.n_addr, r.n_site,
          r.shareholders, r.n_rep
     FROM nt_r r WHERE (r.is_first OR list_contains(r.changed, 'legal_rep'))
   UNION ALL
   SELECT g.event_key, 'change', g.uscc, g.day, NULL, g.data, g.source, s.n_phone, s.n_addr, s.n_site,
          s.shareholders, rz_clean(g."after")
     FROM nt_g g LEFT JOIN (
          SELECT uscc, rz_phone(arg_max(phone, as_of)) AS n_phone, rz_addr(arg_max(address, as_of)) AS n_addr,
                 rz_host(arg_max(website, as_of)) AS n_site, arg_max(shareholders, as_of) AS shareholders
            FROM registrations WHERE uscc IN (SELECT uscc FROM nt_g WHERE field = 'legal_rep') GROUP BY uscc) s
       ON s.uscc = g.uscc
    WHERE g.field = 'legal_rep'`,
  `CREATE OR REPLACE TEMP TABLE nt_pe AS
   SELECT p.*, e.entry_id, coalesce(e.companies, []) AS companies
     FROM nt_p p JOIN nt_entries e ON e.kind = 'person' AND e.norm = p.n_rep AND p.n_rep <> ''`,
  `CREATE OR REPLACE TEMP TABLE nt_known AS
   SELECT uscc, rz_phone(phone) AS n_phone, rz_addr(address) AS n_addr, rz_host(website) AS n_site
     FROM (SELECT uscc, arg_max(phone, as_of) AS phone, arg_max(address, as_of) AS address,
                  arg_max(website, as_of) AS website
             FROM registrations WHERE uscc IN (SELECT DISTINCT unnest(companies) FROM nt_pe) GROUP BY uscc)`,
  `CREATE OR REPLACE TEMP TABLE nt_pe AS
   SELECT pe.*,
          CASE WHEN len(pe.companies) = 0 THEN 'legal_rep_name_only'
               WHEN list_contains(pe.companies, pe.uscc) THEN 'legal_rep_known_company'
               WHEN EXISTS (
                 SELECT 1 FROM nt_known k
                  WHERE list_contains(pe.companies, k.uscc)
                    AND ((k.n_phone <> '' AND k.n_phone = pe.n_phone) OR (k.n_addr <> '' AND k.n_addr = pe.n_addr)
                         OR (k.n_site <> '' AND k.n_site = pe.n_site)))
                 OR EXISTS (
                 SELECT 1 FROM (SELECT unnest(from_json(pe.shareholders, '[{"uscc":"VARCHAR"}]')) AS s)
                  WHERE list_contains(pe.companies, upper(s.uscc)))
               THEN 'legal_rep_linked'
               ELSE NULL END AS via
     FROM nt_pe pe`,
  `INSERT INTO nt_hits
   SELECT event_key, kind, uscc, day, name, data, '/ui/entities/' || uscc, source, 'person', n_rep, entry_id, via
     FROM nt_pe WHERE via IS NOT NULL`,
];

// ---- resolve runs: ads and complaints the resolver linked to a watched enterprise ---------------

export const RUN_SQL: readonly string[] = [
  `CREATE OR REPLACE TEMP TABLE nt_l AS
   SELECT l.kind, l.record_id, l.record_hash, l.record_day, l.uscc, 'resolve:' || l.run_id AS source
     FROM entity_links l JOIN nt_src_run r ON l.run_id = r.run_id
    WHERE l.status = 'linked' AND l.uscc IN ${NORMS('enterprise')}`,
  `INSERT INTO nt_hits
   SELECT 'complaint:' || l.record_id, 'complaint', l.uscc, l.record_day, h.target_name,
          json_object('complaint_id', h.complaint_id, 'received_day', h.received_day, 'channel', h.channel,
                      'target_name', h.target_name, 'amount_cny', h.amount_cny, 'district', h.district,
                      'excerpt', left(h.text, 140)),
          '/ui/entities/' || l.uscc, l.source, 'enterprise', l.uscc, NULL, 'link'
     FROM nt_l l JOIN complaints_history h ON h.complaint_id = l.record_id AND h._hash = l.record_hash
    WHERE l.kind = 'complaint'`,
  `INSERT INTO nt_hits
   SELECT 'ad:' || l.record_id, 'ad', l.uscc, l.record_day, h.advertiser_name,
          json_object('ad_id', h.ad_id, 'seen_day', h.seen_day, 'channel', h.channel,
                      'advertiser_name', h.advertiser_name, 'title', h.title, 'url', h.url,
                      'phone', h.phone, 'excerpt', left(h.text, 140)),
          '/ui/entities/' || l.uscc, l.source, 'enterprise', l.uscc, NULL, 'link'
     FROM nt_l l JOIN ads_history h ON h.ad_id = l.record_id AND h._hash = l.record_hash
    WHERE l.kind = 'ad'`,
];

// ---- published revisions: level changes of watched enterprises --------------------------------

export const REVISION_SQL: readonly string[] = [
  `CREATE OR REPLACE TEMP TABLE nt_lc AS
   SELECT c.day, c.revision, c.uscc, c.change, c.prev_level, c.level,
          'revision:' || c.day::VARCHAR || '/' || c.revision AS source, e.rank, e.score
     FROM list_changes c JOIN nt_src_rev s ON s.day = c.day AND s.revision = c.revision
     LEFT JOIN list_entries e ON e.day = c.day AND e.revision = c.revision AND e.uscc = c.uscc`,
  `INSERT INTO nt_hits
   SELECT 'level:' || day::VARCHAR || ':' || uscc || ':' || coalesce(level, 'none'), 'level', uscc, day, NULL,
          json_object('day', day, 'change', change, 'prev_level', prev_level, 'level', level, 'rank', rank, 'score', score),
          CASE WHEN level IS NULL THEN '/ui/entities/' || uscc ELSE '/ui/alerts/' || day::VARCHAR || ':' || uscc END,
          source, 'enterprise', uscc, NULL, 'list'
     FROM nt_lc WHERE uscc IN ${NORMS('enterprise')}`,
];

// ---- dispositions recorded since the last screening -------------------------------------------

export const DISPOSITION_SQL: readonly string[] = [
  `INSERT INTO nt_hits
   SELECT 'disposition:' || d.disposition_id, 'disposition', d.uscc, d.alert_day, NULL,
          json_object('disposition_id', d.disposition_id, 'alert_day', d.alert_day, 'status', d.status,
                      'actor', d.actor, 'assignee', d.assignee),
          '/ui/alerts/' || d.alert_day::VARCHAR || ':' || d.uscc, 'disposition:' || d.disposition_id,
          'enterprise', d.uscc, NULL, 'disposition'
     FROM dispositions d JOIN nt_src_disp s USING (disposition_id)
    WHERE d.uscc IN ${NORMS('enterprise')}`,
];

// ---- the office's queue: referrals to it, proposals awaiting a second person -------------------

/**
 * New referrals to an office (written with their 移交 disposition) and new 认定 / 排除 proposals,
 * for office_queue subscribers. match_norm is the office the event waits for: the referral's
 * target; the proposer's office (someone of that office or above decides), the tree's root for a
 * proposer of the whole tree. Dated by the alert they are about.
 */
export const OFFICE_QUEUE_SQL: readonly string[] = [
  `INSERT INTO nt_hits
   SELECT 'referral:' || r.referral_id, 'referral', r.uscc, r.alert_day, NULL,
          json_object('referral_id', r.referral_id, 'alert_day', r.alert_day, 'from_office', r.from_office,
                      'from_office_name', j.name, 'target', r.target, 'actor', r.actor),
          '/ui/referrals', 'disposition:' || r.disposition_id, 'office_queue', r.target, NULL, 'referral'
     FROM referrals r JOIN nt_src_disp s USING (disposition_id)
     LEFT JOIN jurisdictions j ON j.code = r.from_office
    WHERE r.target_kind = 'office'`,
  `INSERT INTO nt_hits
   SELECT 'approval:' || a.approval_id, 'approval', a.uscc, a.alert_day, NULL,
          json_object('approval_id', a.approval_id, 'alert_day', a.alert_day, 'proposed', a.proposed,
                      'actor', a.actor, 'actor_office', a.actor_office),
          '/ui/approvals', 'approval:' || a.approval_id, 'office_queue',
          coalesce(a.actor_office, (SELECT code FROM jurisdictions WHERE parent IS NULL LIMIT 1)), NULL, 'approval'
     FROM approvals a JOIN nt_src_appr s USING (approval_id)`,
];
