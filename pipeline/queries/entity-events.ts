/**
 * Timeline events of an enterprise as SQL shared by the live timeline query and the read model
 * api_entity_events (0007), which holds the events that change only when data is ingested or
 * linked (establishment, register changes, ads, complaints, case outcomes), rendered, per
 * enterprise. A case outcome also comes from a 认定 / 排除 disposition: the API invalidates its
 * keeper after writing one, so the next timeline reads live until the model is rebuilt.
 */
import type { Db } from '../db/index.ts';
import {
  createReadModelKeeper,
  readModelFresh,
  rebuildReadModel,
  type ReadModelKeeper,
  type StampedReadModel,
} from './read-model.ts';

/** Shanghai local time of a TIMESTAMPTZ; the day of a DATE at 00:00. */
const LOCAL = (col: string) => `strftime(${col} AT TIME ZONE 'Asia/Shanghai', '%Y-%m-%dT%H:%M:%S')`;
const DAYTS = (col: string) => `strftime(${col}, '%Y-%m-%dT00:00:00')`;

/**
 * The columns `t, kind, ref, summary, data` of each kind of event, over the aliases used below:
 * registrations (no alias), registration_changes (no alias), ads `a`, complaints `c`,
 * dispositions `d`, case_outcomes `o`.
 */
export const EVENT_COLUMNS = {
  established: `${DAYTS('established_on')} AS t, 'established' AS kind, uscc AS ref,
         '成立' AS summary, json_object('established_on', established_on::VARCHAR) AS data`,
  change: `${DAYTS('changed_on')} AS t, 'change' AS kind, field || ':' || coalesce("after", '') AS ref,
         '变更 ' || field || '：' || coalesce("before", '—') || ' → ' || coalesce("after", '—') AS summary,
         json_object('field', field, 'before', "before", 'after', "after") AS data`,
  ad: `${LOCAL('a.seen_at')} AS t, 'ad' AS kind, a.ad_id AS ref, '广告（' || a.channel || '）' || coalesce(a.title, left(a.text, 40)) AS summary,
         json_object('channel', a.channel, 'title', a.title, 'text', a.text, 'advertiser_name', a.advertiser_name, 'phone', a.phone, 'url', a.url) AS data`,
  complaint: `${LOCAL('c.received_at')} AS t, 'complaint' AS kind, c.complaint_id AS ref, '投诉（' || c.channel || '）' || left(c.text, 40) AS summary,
         json_object('channel', c.channel, 'text', c.text, 'amount_cny', c.amount_cny, 'complainant_ref', c.complainant_ref, 'district', c.district) AS data`,
  disposition: `${LOCAL('d.acted_at')} AS t, 'disposition' AS kind, d.disposition_id::VARCHAR AS ref, '处置：' || d.status || coalesce('（' || d.note || '）', '') AS summary,
         json_object('status', d.status, 'actor', d.actor, 'role', d.role, 'note', d.note, 'assignee', d.assignee, 'alert_day', d.alert_day::VARCHAR) AS data`,
  outcome: `${DAYTS('o.decided_on')} AS t, 'outcome' AS kind, o.decided_on::VARCHAR AS ref,
         CASE o.outcome WHEN 'confirmed' THEN '认定为非法集资' ELSE '核查排除' END AS summary,
         json_object('outcome', o.outcome, 'case_ref', o.case_ref, 'note', o.note) AS data`,
} as const;

/**
 * The workflow's own events of enterprise `$u`, read live like dispositions (columns t, kind, ref,
 * summary, data): referrals (移交) and their answers, proposals of 认定 / 排除 and their decisions.
 */
export const WORKFLOW_EVENTS_SQL = `
  SELECT ${LOCAL('r.created_at')} AS t, 'referral' AS kind, 'R' || r.referral_id AS ref,
         '移交至' || coalesce(j.name, ag.name, r.target) || coalesce('（' || r.note || '）', '') AS summary,
         json_object('referral_id', r.referral_id, 'target_kind', r.target_kind, 'target', r.target,
                     'target_name', coalesce(j.name, ag.name), 'from_office', r.from_office, 'actor', r.actor,
                     'role', r.role, 'note', r.note, 'alert_day', r.alert_day::VARCHAR) AS data
  FROM referrals r LEFT JOIN jurisdictions j ON r.target_kind = 'office' AND j.code = r.target
    LEFT JOIN referral_agencies ag ON r.target_kind = 'agency' AND ag.id = r.target
  WHERE r.uscc = $u::VARCHAR
  UNION ALL
  SELECT ${LOCAL('a.answered_at')}, 'referral', 'R' || a.referral_id || ':' || a.answer,
         CASE a.answer WHEN 'accepted' THEN '移交已被接收' ELSE '移交被退回：' || coalesce(a.reason, '') END,
         json_object('referral_id', a.referral_id, 'answer', a.answer, 'reason', a.reason, 'actor', a.actor,
                     'role', a.role, 'office', a.actor_office, 'effective_on', a.effective_on::VARCHAR)
  FROM referral_answers a JOIN referrals r USING (referral_id) WHERE r.uscc = $u::VARCHAR
  UNION ALL
  SELECT ${LOCAL('p.proposed_at')}, 'approval', 'A' || p.approval_id,
         '提请' || p.proposed || '，待第二人批准' || coalesce('（' || p.note || '）', ''),
         json_object('approval_id', p.approval_id, 'proposed', p.proposed, 'actor', p.actor, 'role', p.role,
                     'office', p.actor_office, 'note', p.note, 'case_ref', p.case_ref, 'alert_day', p.alert_day::VARCHAR)
  FROM approvals p WHERE p.uscc = $u::VARCHAR
  UNION ALL
  SELECT ${LOCAL('d.decided_at')}, 'approval', 'A' || d.approval_id || ':' || d.decision,
         CASE d.decision WHEN 'approved' THEN '批准' WHEN 'rejected' THEN '驳回' ELSE '撤回' END || p.proposed
           || coalesce('（' || d.note || '）', ''),
         json_object('approval_id', d.approval_id, 'decision', d.decision, 'proposed', p.proposed, 'actor', d.actor,
                     'role', d.role, 'office', d.actor_office, 'note', d.note)
  FROM approval_decisions d JOIN approvals p USING (approval_id) WHERE p.uscc = $u::VARCHAR`;

/** One event as the API returns it, from the columns above. */
export const EVENT_STRUCT = `{'at': t || '+08:00', 'kind': kind, 'ref': ref, 'summary': summary, 'data': data, 'key': t || '|' || kind || '|' || ref}`;

/** The read model's sources: their row counts (they are append-only) make the stamp. */
const SOURCES = [
  'registrations_history',
  'registrations_superseded',
  'registration_changes_history',
  'registration_changes_superseded',
  'ads_history',
  'ads_superseded',
  'complaints_history',
  'complaints_superseded',
  'case_outcomes_history',
  'case_outcomes_superseded',
  'entity_links',
] as const;

/**
 * Row counts of the sources and the latest finished resolve run (entity_links change only in one, which
 * may delete as many links as it inserts). One UNION ALL: as scalar subqueries the same counts
 * cost ten times as much.
 */
const STAMP_SQL = `SELECT string_agg(n::VARCHAR, ':' ORDER BY i) FROM (
  ${SOURCES.map((t, i) => `SELECT ${i} AS i, count(*) AS n FROM ${t}`).join('\n  UNION ALL ')}
  UNION ALL SELECT ${SOURCES.length}, coalesce(max(run_id), 0) FROM resolve_runs WHERE finished_at IS NOT NULL)`;

/**
 * Every enterprise's events. Ads and complaints belong to the enterprise named in any version of
 * the record (advertiser_uscc / target_uscc in *_history) or linked to it (entity_links), as in
 * the live query.
 */
const BUILD_SQL = `
WITH ad_pairs AS (
  SELECT advertiser_uscc AS uscc, ad_id FROM ads_history WHERE advertiser_uscc IS NOT NULL
  UNION SELECT uscc, record_id FROM entity_links WHERE kind = 'ad' AND status = 'linked' AND uscc IS NOT NULL
),
complaint_pairs AS (
  SELECT target_uscc AS uscc, complaint_id FROM complaints_history WHERE target_uscc IS NOT NULL
  UNION SELECT uscc, record_id FROM entity_links WHERE kind = 'complaint' AND status = 'linked' AND uscc IS NOT NULL
),
ev AS (
  SELECT uscc, ${EVENT_COLUMNS.established} FROM registrations WHERE established_on IS NOT NULL
  QUALIFY row_number() OVER (PARTITION BY uscc ORDER BY as_of DESC) = 1
  UNION ALL
  SELECT uscc, ${EVENT_COLUMNS.change} FROM registration_changes
  UNION ALL
  SELECT p.uscc, ${EVENT_COLUMNS.ad} FROM ads a JOIN ad_pairs p ON p.ad_id = a.ad_id
  UNION ALL
  SELECT p.uscc, ${EVENT_COLUMNS.complaint} FROM complaints c JOIN complaint_pairs p ON p.complaint_id = c.complaint_id
  UNION ALL
  SELECT o.uscc, ${EVENT_COLUMNS.outcome} FROM case_outcomes o
)
SELECT uscc, to_json(list(${EVENT_STRUCT} ORDER BY t || '|' || kind || '|' || ref DESC))
FROM ev GROUP BY uscc ORDER BY uscc`;

const MODEL: StampedReadModel = {
  table: 'api_entity_events',
  stampSql: STAMP_SQL,
  buildSql: BUILD_SQL,
};

/** Whether api_entity_events reflects its source tables as they are now. */
export const entityEventsFresh = (db: Db): Promise<boolean> => readModelFresh(db, MODEL);

/** Rebuilds api_entity_events (see rebuildReadModel); returns seconds taken. */
export const rebuildEntityEvents = (db: Db): Promise<number> => rebuildReadModel(db, MODEL);

export type EntityEventsKeeper = ReadModelKeeper;

/** Keeps api_entity_events fresh (see createReadModelKeeper): an ingest shows within a second. */
export function createEntityEventsKeeper(
  db: Db,
  log: (m: string, err?: unknown) => void,
): EntityEventsKeeper {
  return createReadModelKeeper(
    db,
    { name: 'api_entity_events', fresh: entityEventsFresh, rebuild: rebuildEntityEvents },
    log,
  );
}
