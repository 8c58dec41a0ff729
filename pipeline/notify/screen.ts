/**
 * Re-screening: after every ingest batch and every daily run, what changed is matched against
 * the active watch entries and subscriptions, and each subscriber gets one inbox notification per
 * event (and, where subscribed, a webhook push). Incremental: only the sources not screened yet
 * (notify_screened) are read — the day's batches, the run's new links, the new revision, the new
 * dispositions — never the whole history. Idempotent: an event has a stable key, and
 * UNIQUE (recipient, event_key) holds across re-runs and corrections.
 *
 * News, not history: a subscription hears of what arrived from its creation on (a source ingested,
 * run or recorded before it was made is not news to it), and an event dated more than
 * HISTORY_DAYS before the newest day the data know (a backfill of old exports, an import of years
 * of complaints, a re-run of an old day) is history: it is matched and counted but notifies nobody.
 * What someone records now (a disposition, a referral, a proposal) is news whatever its alert's day.
 *
 * Everything a screening writes (events, notifications, deliveries, audit entries, the marks of
 * the sources it screened) goes in one transaction: a screening that fails leaves its sources
 * unscreened, and the next one picks them up.
 */
import { literal, type Db } from '../db/index.ts';
import { failRun, startRun } from '../jobs/ledger.ts';
import { forgetAuditHead, writeAudits } from '../queries/audit.ts';
import { installMacros, loadNormalizeConfig } from '../resolve/normalize.ts';
import { shanghaiDay } from '../modeling/days.ts';
import {
  BATCH_SQL,
  DISPOSITION_SQL,
  HITS_TABLE,
  OFFICE_QUEUE_SQL,
  NAMES_SQL,
  PERSON_SQL,
  REVISION_SQL,
  RUN_SQL,
} from './matchers.ts';
import { recipientSubtrees, recipientsSql, restrictToJurisdiction } from './recipients.ts';
import { SUBSCRIPTION_ROLES } from './kinds.ts';
import { nextPushTime } from './quiet.ts';

export interface ScreenOptions {
  now?: () => Date;
}

/**
 * Events dated more than this many days before the newest day the data know are history: a month,
 * as offices that receive monthly exports get a complaint up to a month after it was made.
 */
export const HISTORY_DAYS = 31;

export interface ScreenResult {
  /** Sources screened: batches, resolve runs, revisions, dispositions, approval proposals. */
  sources: {
    batches: number;
    runs: number;
    revisions: number;
    dispositions: number;
    approvals: number;
  };
  /** Watch-entry matches found (before recipients and dedup). */
  hits: number;
  /** Same-name person matches that the entry's companies did not confirm (not notified). */
  ambiguous: number;
  /** (recipient, event) pairs left out as history: before the subscription, or older than HISTORY_DAYS. */
  history: number;
  events: number;
  notifications: number;
  pushes: number;
  seconds: number;
}

/** SQL: may a role (r.role) receive notifications of the subscription kind `kind`? */
const roleAllowed = (kind: string) =>
  `list_contains(CASE ${kind} ${Object.entries(SUBSCRIPTION_ROLES)
    .map(([k, roles]) => `WHEN '${k}' THEN [${roles.map((r) => `'${r}'`).join(', ')}]`)
    .join(' ')} END, r.role)`;

/** Titles in Chinese, without personal data (they may be pushed to a group robot). */
const TITLE_SQL = `
  CASE h.kind
    WHEN 'complaint' THEN coalesce(n.name || '：新投诉', '新投诉（未关联到企业）')
    WHEN 'ad' THEN coalesce(coalesce(n.name, h.name) || '：新广告', '新广告（未关联到企业）')
    WHEN 'new_enterprise' THEN '新设企业：' || coalesce(h.name, n.name, h.uscc)
    WHEN 'register' THEN coalesce(n.name, h.uscc) || '：登记信息变更（' ||
         array_to_string(list_transform(from_json(h.data->'changed', '["VARCHAR"]'), f ->
           CASE f WHEN 'name' THEN '名称' WHEN 'legal_rep' THEN '法定代表人' WHEN 'address' THEN '住所'
                  WHEN 'phone' THEN '电话' WHEN 'website' THEN '网站' WHEN 'status' THEN '登记状态'
                  WHEN 'registered_capital' THEN '注册资本' WHEN 'business_scope' THEN '经营范围' ELSE f END), '、') || '）'
    WHEN 'change' THEN coalesce(n.name, h.uscc) || '：变更登记（' ||
         CASE h.data->>'field' WHEN 'name' THEN '名称' WHEN 'legal_rep' THEN '法定代表人' WHEN 'address' THEN '住所'
              WHEN 'registered_capital' THEN '注册资本' WHEN 'business_scope' THEN '经营范围' WHEN 'shareholder' THEN '股东'
              WHEN 'industry' THEN '行业' WHEN 'status' THEN '登记状态' ELSE '其他' END || '）'
    WHEN 'outcome' THEN coalesce(n.name, h.uscc) || '：核查结论 ' ||
         CASE h.data->>'outcome' WHEN 'confirmed' THEN '认定为非法集资' ELSE '核查排除' END
    WHEN 'level' THEN coalesce(n.name, h.uscc) || '：预警等级 ' ||
         coalesce(CASE h.data->>'prev_level' WHEN 'red' THEN '红' WHEN 'orange' THEN '橙' WHEN 'yellow' THEN '黄' END, '无') || ' → ' ||
         coalesce(CASE h.data->>'level' WHEN 'red' THEN '红' WHEN 'orange' THEN '橙' WHEN 'yellow' THEN '黄' END, '撤出名单') ||
         '（' || h.day::VARCHAR || '）'
    WHEN 'alert' THEN coalesce(n.name, h.uscc) || '：新增' ||
         CASE h.data->>'level' WHEN 'red' THEN '红' WHEN 'orange' THEN '橙' ELSE '黄' END || '色预警（' || h.day::VARCHAR || '）'
    WHEN 'disposition' THEN coalesce(n.name, h.uscc) || '：处置 ' || (h.data->>'status')
    WHEN 'batch' THEN '数据批次失败：' || (h.data->>'feed') || ' ' || (h.data->>'source')
    WHEN 'referral' THEN coalesce(n.name, h.uscc) || '：移交待接收（来自 ' || coalesce(h.data->>'from_office_name', '上级') || '）'
    WHEN 'approval' THEN coalesce(n.name, h.uscc) || '：' || (h.data->>'proposed') || ' 待审批'
    ELSE h.kind END`;

/** Marks every source not screened yet as screened. */
const MARK_ALL_SQL = `
INSERT INTO notify_screened
SELECT source, $now::TIMESTAMPTZ, 0, 0, 0 FROM (
  SELECT 'batch:' || batch_id AS source FROM ingest_batches
  UNION ALL SELECT 'resolve:' || run_id FROM resolve_runs WHERE finished_at IS NOT NULL
  UNION ALL SELECT 'revision:' || day::VARCHAR || '/' || revision FROM list_revisions
  UNION ALL SELECT 'disposition:' || max(disposition_id) FROM dispositions HAVING count(*) > 0
  UNION ALL SELECT 'approval:' || max(approval_id) FROM approvals HAVING count(*) > 0)
ON CONFLICT DO NOTHING`;

/** The sources not screened yet. */
async function pendingSources(db: Db): Promise<{
  batches: { batch_id: number; status: string }[];
  runs: number[];
  revisions: { day: string; revision: number }[];
  dispositions: number[];
  approvals: number[];
}> {
  const batches = await db.all<{ batch_id: number; status: string }>(
    `SELECT batch_id::BIGINT AS batch_id, status FROM ingest_batches b
      WHERE NOT EXISTS (SELECT 1 FROM notify_screened s WHERE s.source = 'batch:' || b.batch_id)
      ORDER BY batch_id`,
  );
  const runs = await db.all<{ run_id: number }>(
    `SELECT run_id::BIGINT AS run_id FROM resolve_runs r
      WHERE finished_at IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM notify_screened s WHERE s.source = 'resolve:' || r.run_id)
      ORDER BY run_id`,
  );
  const revisions = await db.all<{ day: string; revision: number }>(
    `SELECT day::VARCHAR AS day, revision FROM list_revisions r
      WHERE NOT EXISTS (SELECT 1 FROM notify_screened s WHERE s.source = 'revision:' || r.day::VARCHAR || '/' || r.revision)
      ORDER BY day, revision`,
  );
  const disp = await db.all<{ id: number }>(
    `SELECT disposition_id::BIGINT AS id FROM dispositions
      WHERE disposition_id > coalesce((SELECT max(TRY_CAST(substr(source, 13) AS BIGINT)) FROM notify_screened
                                        WHERE source LIKE 'disposition:%'), 0)
      ORDER BY disposition_id`,
  );
  const appr = await db.all<{ id: number }>(
    `SELECT approval_id::BIGINT AS id FROM approvals
      WHERE approval_id > coalesce((SELECT max(TRY_CAST(substr(source, 10) AS BIGINT)) FROM notify_screened
                                     WHERE source LIKE 'approval:%'), 0)
      ORDER BY approval_id`,
  );
  return {
    batches: batches.map((b) => ({ batch_id: Number(b.batch_id), status: b.status })),
    runs: runs.map((r) => Number(r.run_id)),
    revisions,
    dispositions: disp.map((d) => Number(d.id)),
    approvals: appr.map((a) => Number(a.id)),
  };
}

/**
 * Fills a one-column temp table from a list of values (our own numbers). Values go in as a
 * literal: DuckDB re-executes a cached prepared CREATE TABLE … AS wrongly (an empty table).
 */
async function tempList(db: Db, table: string, column: string, type: string, values: unknown[]) {
  await db.run(
    `CREATE OR REPLACE TEMP TABLE ${table} AS
     SELECT unnest(from_json(${literal(JSON.stringify(values))}, '["${type}"]')) AS ${column}`,
  );
}

/**
 * Screens every source not screened yet. Safe to call at any time and from any caller (ingest,
 * the daily run, the scheduler's notify job); a call with nothing new costs a few small queries.
 */
export async function rescreen(db: Db, options: ScreenOptions = {}): Promise<ScreenResult> {
  const t0 = performance.now();
  const now = (options.now ?? (() => new Date()))();
  const subscribed = await db.one<{ n: number }>(
    `SELECT count(*)::INTEGER AS n FROM subscriptions WHERE removed_at IS NULL`,
  );
  if (!subscribed || subscribed.n === 0) {
    // nobody listens: what happened is history by the time someone subscribes (one statement:
    // this runs after every ingest batch and daily run)
    await db.run(MARK_ALL_SQL, { now: now.toISOString() });
    return {
      sources: { batches: 0, runs: 0, revisions: 0, dispositions: 0, approvals: 0 },
      hits: 0,
      ambiguous: 0,
      history: 0,
      events: 0,
      notifications: 0,
      pushes: 0,
      seconds: (performance.now() - t0) / 1000,
    };
  }
  const src = await pendingSources(db);
  const result: ScreenResult = {
    sources: {
      batches: src.batches.length,
      runs: src.runs.length,
      revisions: src.revisions.length,
      dispositions: src.dispositions.length,
      approvals: src.approvals.length,
    },
    hits: 0,
    ambiguous: 0,
    history: 0,
    events: 0,
    notifications: 0,
    pushes: 0,
    seconds: 0,
  };
  const marks = [
    ...src.batches.map((b) => `batch:${b.batch_id}`),
    ...src.runs.map((r) => `resolve:${r}`),
    ...src.revisions.map((r) => `revision:${r.day}/${r.revision}`),
    ...(src.dispositions.length > 0 ? [`disposition:${Math.max(...src.dispositions)}`] : []),
    ...(src.approvals.length > 0 ? [`approval:${Math.max(...src.approvals)}`] : []),
  ];
  if (marks.length === 0) return result;

  await installMacros(db, await loadNormalizeConfig(db));
  await tempList(
    db,
    'nt_src_batch',
    'batch_id',
    'BIGINT',
    src.batches.filter((b) => b.status === 'ok').map((b) => b.batch_id),
  );
  await tempList(
    db,
    'nt_src_failed',
    'batch_id',
    'BIGINT',
    src.batches.filter((b) => b.status !== 'ok').map((b) => b.batch_id),
  );
  await tempList(db, 'nt_src_run', 'run_id', 'BIGINT', src.runs);
  await db.run(
    `CREATE OR REPLACE TEMP TABLE nt_src_rev AS
     SELECT r.day::DATE AS day, r.revision::INTEGER AS revision
       FROM (SELECT unnest(from_json(${literal(JSON.stringify(src.revisions))}, '[{"day":"VARCHAR","revision":"INTEGER"}]')) AS r)`,
  );
  await tempList(db, 'nt_src_disp', 'disposition_id', 'BIGINT', src.dispositions);
  await tempList(db, 'nt_src_appr', 'approval_id', 'BIGINT', src.approvals);
  // when each source arrived (a subscription hears of what arrived from its creation on)
  await db.run(
    `CREATE OR REPLACE TEMP TABLE nt_src_at AS
     SELECT 'batch:' || batch_id AS source, started_at AS at FROM ingest_batches
      WHERE batch_id IN (SELECT batch_id FROM nt_src_batch UNION ALL SELECT batch_id FROM nt_src_failed)
     UNION ALL SELECT 'resolve:' || run_id, finished_at FROM resolve_runs WHERE run_id IN (SELECT run_id FROM nt_src_run)
     UNION ALL SELECT 'revision:' || r.day::VARCHAR || '/' || r.revision, r.published_at
       FROM list_revisions r JOIN nt_src_rev s ON s.day = r.day AND s.revision = r.revision
     UNION ALL SELECT 'disposition:' || disposition_id, acted_at FROM dispositions
      WHERE disposition_id IN (SELECT disposition_id FROM nt_src_disp)
     UNION ALL SELECT 'approval:' || approval_id, proposed_at FROM approvals
      WHERE approval_id IN (SELECT approval_id FROM nt_src_appr)`,
  );
  const today = shanghaiDay(now);
  await db.run(`CREATE OR REPLACE TEMP TABLE nt_recipients AS ${recipientsSql(now)}`);
  await recipientSubtrees(db);
  // the active entries, and the enterprises assigned to subscribers of my_cases
  await db.run(
    `CREATE OR REPLACE TEMP TABLE nt_entries AS
     SELECT e.entry_id, e.watchlist_id, w.name AS watchlist, w.owner, w.office, e.kind, e.value, e.companies,
            CASE e.kind WHEN 'enterprise' THEN upper(trim(e.value))
                        WHEN 'person' THEN rz_clean(e.value)
                        WHEN 'phone' THEN rz_phone(e.value)
                        WHEN 'address' THEN rz_addr(e.value)
                        WHEN 'domain' THEN rz_host(e.value)
                        WHEN 'keyword' THEN rz_clean(e.value) END AS norm,
            NULL::VARCHAR AS assignee
       FROM watch_entries e JOIN watchlists w USING (watchlist_id)
      WHERE e.removed_at IS NULL AND w.archived_at IS NULL AND e.expires_on >= ${literal(today)}::DATE
     UNION ALL
     SELECT NULL, NULL, NULL, NULL, NULL, 'enterprise', uscc, NULL, uscc, assignee
       FROM (SELECT uscc, arg_max(assignee, disposition_id) AS assignee FROM dispositions GROUP BY uscc)
      WHERE assignee IS NOT NULL
        AND EXISTS (SELECT 1 FROM subscriptions WHERE kind = 'my_cases' AND removed_at IS NULL)`,
  );
  // who hears of each entry: subscribers of watch_hits (the list itself, or every list they own
  // and their office shares) and, for assigned enterprises, the assignee's my_cases subscription
  await db.run(
    `CREATE OR REPLACE TEMP TABLE nt_watch AS
     SELECT n.kind, n.norm, n.entry_id, n.value, n.watchlist_id, n.watchlist, s.subscription_id,
            s.kind AS sub_kind, s.subscriber, s.email, s.endpoint_id, s.quiet_from, s.quiet_to, s.created_at AS sub_at
       FROM nt_entries n
       JOIN subscriptions s ON s.kind = 'watch_hits' AND s.removed_at IS NULL
       JOIN nt_recipients r ON r.subscriber = s.subscriber
      WHERE n.entry_id IS NOT NULL
        AND (n.owner = s.subscriber
             OR (n.owner IS NULL AND (r.jurisdiction IS NULL
                 OR EXISTS (SELECT 1 FROM nt_sub t WHERE t.root = r.jurisdiction AND t.code = n.office))))
        AND (s.watchlist_id = n.watchlist_id
             OR (s.watchlist_id IS NULL AND (n.owner = s.subscriber OR n.office = coalesce(r.jurisdiction, ''))))
     UNION ALL
     SELECT 'enterprise', n.norm, NULL, n.norm, NULL, NULL, s.subscription_id, s.kind, s.subscriber,
            s.email, s.endpoint_id, s.quiet_from, s.quiet_to, s.created_at
       FROM nt_entries n
       JOIN subscriptions s ON s.kind = 'my_cases' AND s.removed_at IS NULL
                           AND (s.subscriber = n.assignee OR s.subscriber = 'user:' || n.assignee)
      WHERE n.entry_id IS NULL`,
  );

  await db.run(HITS_TABLE);
  const watching = await db.one<{ n: number }>(`SELECT count(*)::INTEGER AS n FROM nt_watch`);
  if (watching && watching.n > 0) {
    if (src.batches.length > 0) {
      for (const sql of BATCH_SQL) await db.run(sql);
      for (const sql of PERSON_SQL) await db.run(sql);
      const amb = await db.one<{ n: number }>(
        `SELECT count(*)::INTEGER AS n FROM nt_pe WHERE via IS NULL`,
      );
      result.ambiguous = amb?.n ?? 0;
    }
    if (src.runs.length > 0) for (const sql of RUN_SQL) await db.run(sql);
    if (src.revisions.length > 0) for (const sql of REVISION_SQL) await db.run(sql);
    if (src.dispositions.length > 0) for (const sql of DISPOSITION_SQL) await db.run(sql);
  }
  result.hits = (await db.one<{ n: number }>(`SELECT count(*)::INTEGER AS n FROM nt_hits`))!.n;

  // candidates: (recipient, event) with why; watch hits, then the subscriptions to kinds of events
  await db.run(
    `CREATE OR REPLACE TEMP TABLE nt_cand AS
     SELECT h.event_key, h.kind, h.uscc, h.day, h.source, w.subscriber AS recipient, r.role,
            r.jurisdiction AS recipient_jurisdiction, NULL::VARCHAR AS scope_office, w.sub_at,
            w.subscription_id, w.sub_kind, w.email, w.endpoint_id, w.quiet_from, w.quiet_to,
            json_object('subscription_id', w.subscription_id, 'kind', w.sub_kind, 'watchlist_id', w.watchlist_id,
                        'watchlist', w.watchlist, 'entry_id', w.entry_id, 'entry_kind', h.match_kind, 'via', h.via,
                        'value', CASE WHEN h.match_kind IN ('enterprise', 'address', 'domain', 'keyword') THEN w.value END,
                        'legal_rep', CASE WHEN h.match_kind = 'person' THEN w.value END,
                        'phone', CASE WHEN h.match_kind = 'phone' THEN w.value END) AS reason
       FROM nt_hits h
       JOIN nt_watch w ON w.kind = h.match_kind AND w.norm = h.match_norm
                      AND (h.entry_id IS NULL OR w.entry_id = h.entry_id)
       JOIN nt_recipients r ON r.subscriber = w.subscriber
      WHERE ${roleAllowed('w.sub_kind')}
        AND NOT (h.kind = 'disposition' AND (h.data->>'actor' = w.subscriber OR 'user:' || (h.data->>'actor') = w.subscriber))`,
  );
  // new red / orange alerts of the new revisions, for new_alerts subscribers
  if (src.revisions.length > 0) {
    await db.run(
      `INSERT INTO nt_hits
       SELECT 'alert:' || c.day::VARCHAR || ':' || c.uscc || ':' || c.level, 'alert', c.uscc, c.day, NULL,
              json_object('day', c.day, 'change', c.change, 'prev_level', c.prev_level, 'level', c.level,
                          'rank', e.rank, 'score', e.score),
              '/ui/alerts/' || c.day::VARCHAR || ':' || c.uscc, 'revision:' || c.day::VARCHAR || '/' || c.revision,
              'alert', c.level, NULL, 'list'
         FROM list_changes c JOIN nt_src_rev s ON s.day = c.day AND s.revision = c.revision
         LEFT JOIN list_entries e ON e.day = c.day AND e.revision = c.revision AND e.uscc = c.uscc
        WHERE c.change IN ('new', 'level_up') AND c.level IS NOT NULL
          AND EXISTS (SELECT 1 FROM subscriptions WHERE kind = 'new_alerts' AND removed_at IS NULL)`,
    );
    await db.run(
      `INSERT INTO nt_cand
       SELECT h.event_key, h.kind, h.uscc, h.day, h.source, s.subscriber, r.role, r.jurisdiction, NULL,
              s.created_at, s.subscription_id, s.kind, s.email, s.endpoint_id, s.quiet_from, s.quiet_to,
              json_object('subscription_id', s.subscription_id, 'kind', s.kind, 'via', 'list')
         FROM nt_hits h
         JOIN subscriptions s ON s.kind = 'new_alerts' AND s.removed_at IS NULL
                             AND list_contains(coalesce(s.levels, ['red', 'orange']), h.match_norm)
         JOIN nt_recipients r ON r.subscriber = s.subscriber
        WHERE h.kind = 'alert' AND ${roleAllowed('s.kind')}`,
    );
  }
  // failed feed batches, for feed_problems subscribers
  await db.run(
    `INSERT INTO nt_hits
     SELECT 'batch:' || b.batch_id, 'batch', NULL, (b.started_at AT TIME ZONE 'Asia/Shanghai')::DATE, NULL,
            json_object('batch_id', b.batch_id, 'feed', b.feed, 'source', b.source, 'status', b.status, 'error', b.error),
            '/ui/runs', 'batch:' || b.batch_id, 'batch', b.status, NULL, 'ledger'
       FROM ingest_batches b JOIN nt_src_failed f USING (batch_id)`,
  );
  await db.run(
    `INSERT INTO nt_cand
     SELECT h.event_key, h.kind, h.uscc, h.day, h.source, s.subscriber, r.role, r.jurisdiction, NULL,
            s.created_at, s.subscription_id, s.kind, s.email, s.endpoint_id, s.quiet_from, s.quiet_to,
            json_object('subscription_id', s.subscription_id, 'kind', s.kind, 'via', 'ledger')
       FROM nt_hits h
       JOIN subscriptions s ON s.kind = 'feed_problems' AND s.removed_at IS NULL
       JOIN nt_recipients r ON r.subscriber = s.subscriber
      WHERE h.kind = 'batch' AND ${roleAllowed('s.kind')}`,
  );
  // referrals and approval proposals waiting for the recipient's office
  if (src.dispositions.length > 0 || src.approvals.length > 0) {
    for (const sql of OFFICE_QUEUE_SQL) await db.run(sql);
    await db.run(
      `INSERT INTO nt_cand
       SELECT h.event_key, h.kind, h.uscc, h.day, h.source, s.subscriber, r.role, r.jurisdiction,
              h.match_norm, s.created_at, s.subscription_id, s.kind, s.email, s.endpoint_id,
              s.quiet_from, s.quiet_to, json_object('subscription_id', s.subscription_id, 'kind', s.kind, 'via', h.via)
         FROM nt_hits h
         JOIN subscriptions s ON s.kind = 'office_queue' AND s.removed_at IS NULL
         JOIN nt_recipients r ON r.subscriber = s.subscriber
        WHERE h.kind IN ('referral', 'approval') AND ${roleAllowed('s.kind')}
          AND (h.data->>'actor') <> s.subscriber AND ('user:' || (h.data->>'actor')) <> s.subscriber`,
    );
  }
  // news, not history: what arrived before the subscription, and data (feed records, lists)
  // dated long before the newest day the data know; what someone records now (a disposition, a
  // referral, a proposal — dated by the alert it is about) and feed problems (dated by the ledger)
  // are news whatever their day
  const before = (await db.one<{ n: number }>(`SELECT count(*)::INTEGER AS n FROM nt_cand`))!.n;
  await db.run(
    `DELETE FROM nt_cand c
      WHERE c.sub_at > (SELECT a.at FROM nt_src_at a WHERE a.source = c.source)
         OR (c.kind NOT IN ('batch', 'disposition', 'referral', 'approval') AND c.day < (
               SELECT max(d) - ${HISTORY_DAYS}
                 FROM (SELECT max(day) AS d FROM list_revisions
                       UNION ALL SELECT max(day) FROM nt_hits
                        WHERE kind NOT IN ('batch', 'disposition', 'referral', 'approval'))))`,
  );
  result.history =
    before - (await db.one<{ n: number }>(`SELECT count(*)::INTEGER AS n FROM nt_cand`))!.n;
  // nothing outside the recipient's jurisdiction
  await restrictToJurisdiction(db, 'nt_cand');

  await db.run(NAMES_SQL);
  // one row per (recipient, event): the reasons together, the push channels merged
  await db.run(
    `CREATE OR REPLACE TEMP TABLE nt_agg AS
     SELECT recipient, event_key, list(reason ORDER BY subscription_id) AS reasons, bool_or(email) AS email,
            list(DISTINCT endpoint_id) FILTER (WHERE endpoint_id IS NOT NULL) AS endpoints,
            list(DISTINCT [quiet_from, quiet_to]) FILTER (WHERE endpoint_id IS NOT NULL AND quiet_from IS NOT NULL) AS quiet
       FROM nt_cand GROUP BY recipient, event_key`,
  );

  await db.transaction(async (tx) => {
    const ev = await tx.all<{ n: number }>(
      `INSERT INTO notification_events
       SELECT DISTINCT ON (h.event_key) h.event_key, h.kind, h.uscc, h.day, ${TITLE_SQL}, h.data, h.link, h.source, $now::TIMESTAMPTZ
         FROM nt_hits h LEFT JOIN nt_names n ON n.uscc = h.uscc
        WHERE h.event_key IN (SELECT event_key FROM nt_agg)
          AND NOT EXISTS (SELECT 1 FROM notification_events x WHERE x.event_key = h.event_key)
        ORDER BY h.event_key, h.source, h.via
       RETURNING 1 AS n`,
      { now: now.toISOString() },
    );
    result.events = ev.length;
    await tx.run(
      `CREATE OR REPLACE TEMP TABLE nt_new AS
       SELECT nextval('notification_seq') AS notification_id, a.*
         FROM nt_agg a
        WHERE NOT EXISTS (SELECT 1 FROM notifications n WHERE n.recipient = a.recipient AND n.event_key = a.event_key)`,
    );
    await tx.run(
      `INSERT INTO notifications
       SELECT notification_id, recipient, event_key, to_json(reasons), email, $now::TIMESTAMPTZ FROM nt_new`,
      { now: now.toISOString() },
    );
    result.notifications = (await tx.one<{ n: number }>(
      `SELECT count(*)::INTEGER AS n FROM nt_new`,
    ))!.n;
    // webhook pushes: at once, or when the subscriber's quiet period ends
    const pushes = await tx.all<{
      notification_id: number;
      recipient: string;
      endpoint_id: number;
      quiet: [string, string][] | null;
    }>(
      `SELECT notification_id::BIGINT AS notification_id, recipient, unnest(endpoints)::BIGINT AS endpoint_id, quiet
         FROM nt_new WHERE len(coalesce(endpoints, [])) > 0`,
    );
    if (pushes.length > 0) {
      await tx.run(
        `INSERT INTO deliveries (channel, recipient, endpoint_id, notification_ids, status, attempts, next_attempt_at, created_at)
         SELECT 'webhook', p.recipient, p.endpoint_id, [p.notification_id], 'pending', 0, p.at::TIMESTAMPTZ, $now::TIMESTAMPTZ
           FROM (SELECT unnest(from_json($p::VARCHAR, '[{"recipient":"VARCHAR","endpoint_id":"BIGINT","notification_id":"BIGINT","at":"VARCHAR"}]')) AS p)`,
        {
          now: now.toISOString(),
          p: JSON.stringify(
            pushes.map((p) => ({
              recipient: p.recipient,
              endpoint_id: Number(p.endpoint_id),
              notification_id: Number(p.notification_id),
              at: nextPushTime(now, p.quiet ?? []).toISOString(),
            })),
          ),
        },
      );
    }
    result.pushes = pushes.length;
    await markScreened(tx, marks, now, result, t0);
    // every notification made is on the audit chain (last, so that only a failed COMMIT could
    // leave the chain's remembered head ahead of the table)
    const made = await tx.all<{
      id: number;
      recipient: string;
      event_key: string;
      channels: string[];
    }>(
      `SELECT notification_id::DOUBLE AS id, recipient, event_key,
              list_concat(['inbox'], CASE WHEN email THEN ['email'] ELSE [] END,
                          list_transform(coalesce(endpoints, []), e -> 'webhook:' || e)) AS channels
         FROM nt_new ORDER BY notification_id`,
    );
    forgetAuditHead(tx);
    await writeAudits(
      tx,
      made.map((m) => ({
        actor: 'system:notify',
        role: null,
        action: 'notification.create',
        target: m.recipient,
        detail: { notification_id: m.id, event_key: m.event_key, channels: m.channels },
        at: now,
      })),
    );
  });
  result.seconds = (performance.now() - t0) / 1000;
  return result;
}

async function markScreened(
  db: Db,
  marks: string[],
  now: Date,
  r: ScreenResult,
  t0: number,
): Promise<void> {
  r.seconds = (performance.now() - t0) / 1000;
  await db.run(
    `INSERT INTO notify_screened
     SELECT unnest(from_json($m::VARCHAR, '["VARCHAR"]')), $now::TIMESTAMPTZ, $hits, $n, $s
     ON CONFLICT DO NOTHING`,
    {
      m: JSON.stringify(marks),
      now: now.toISOString(),
      hits: r.hits,
      n: r.notifications,
      s: r.seconds,
    },
  );
}

/**
 * Re-screening as the ingest and the daily run call it: a failure is recorded in the run ledger
 * (job notify:screen) and does not fail the caller; its sources stay unscreened for the next call.
 */
export async function rescreenAfter(
  db: Db,
  options: ScreenOptions = {},
): Promise<ScreenResult | null> {
  try {
    return await rescreen(db, options);
  } catch (err) {
    try {
      await failRun(db, await startRun(db, 'notify:screen', null), err);
    } catch {
      // recorded (or the database itself is failing: the caller's own error handling applies)
    }
    return null;
  }
}
