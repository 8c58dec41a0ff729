/**
 * The approval queue and the referral inbox / outbox, scoped to a caller's offices (null = all),
 * newest first, keyset-paged by id.
 */
import { z } from 'zod';
import type { Db } from '../db/index.ts';
import { officesAsOfSql } from '../jurisdictions/index.ts';
import { DISPOSITION_STATUSES } from '../queries/index.ts';

const TS = (col: string) =>
  `strftime(${col} AT TIME ZONE 'Asia/Shanghai', '%Y-%m-%dT%H:%M:%S+08:00')`;

const OFFICES = `(CASE WHEN $offices::VARCHAR IS NULL THEN NULL ELSE from_json($offices, '["VARCHAR"]') END)`;

/** The latest register name of the enterprises of relation `rel`. */
const NAMES = (
  rel: string,
) => `(SELECT r.uscc, r.name FROM registrations r SEMI JOIN ${rel} x ON r.uscc = x.uscc
  QUALIFY row_number() OVER (PARTITION BY r.uscc ORDER BY r.as_of DESC) = 1)`;

export const APPROVAL_STATES = ['pending', 'approved', 'rejected', 'withdrawn', 'all'] as const;
export type ApprovalState = (typeof APPROVAL_STATES)[number];

/** A proposal of the approval queue (its enterprise's office today; null: not placed). */
export const ApprovalItem = z.object({
  approval_id: z.number().int(),
  uscc: z.string(),
  name: z.string().nullable(),
  office: z.string().nullable(),
  alert_day: z.string(),
  proposed: z.enum(DISPOSITION_STATUSES),
  note: z.string().nullable(),
  case_ref: z.string().nullable(),
  proposer: z.string(),
  proposer_role: z.string(),
  proposer_office: z.string().nullable(),
  proposed_at: z.string(),
  state: z.enum(['pending', 'approved', 'rejected', 'withdrawn']),
  decided_by: z.string().nullable(),
  decided_at: z.string().nullable(),
  decision_note: z.string().nullable(),
});
export type ApprovalItem = z.output<typeof ApprovalItem>;

export interface Page<T> {
  items: T[];
  has_more: boolean;
}

/** Proposals on enterprises whose office today is one of `offices`. */
export async function listApprovals(
  db: Db,
  o: {
    offices: readonly string[] | null;
    state: ApprovalState;
    today: string;
    before?: number | undefined;
    limit: number;
  },
): Promise<Page<ApprovalItem>> {
  const rows = await db.all<ApprovalItem & Record<string, unknown>>(
    `WITH a AS (
       SELECT a.*, coalesce(d.decision, 'pending') AS state, d.actor AS decided_by, d.decided_at, d.note AS decision_note
       FROM approvals a LEFT JOIN approval_decisions d USING (approval_id)
       WHERE ($before::BIGINT IS NULL OR a.approval_id < $before::BIGINT)
     ),
     f AS (SELECT * FROM a WHERE $state = 'all' OR state = $state),
     o AS ${officesAsOfSql({ relation: 'f' }, '$today::DATE')},
     n AS ${NAMES('f')}
     SELECT f.approval_id::INTEGER AS approval_id, f.uscc, n.name, o.office, f.alert_day::VARCHAR AS alert_day,
            f.proposed, f.note, f.case_ref, f.actor AS proposer, f.role AS proposer_role,
            f.actor_office AS proposer_office, ${TS('f.proposed_at')} AS proposed_at, f.state,
            f.decided_by, ${TS('f.decided_at')} AS decided_at, f.decision_note
     FROM f LEFT JOIN o USING (uscc) LEFT JOIN n USING (uscc)
     WHERE ${OFFICES} IS NULL OR list_contains(${OFFICES}, o.office)
     ORDER BY f.approval_id DESC LIMIT $take`,
    {
      before: o.before ?? null,
      state: o.state,
      today: o.today,
      offices: o.offices === null ? null : JSON.stringify(o.offices),
      take: o.limit + 1,
    },
  );
  return { items: rows.slice(0, o.limit), has_more: rows.length > o.limit };
}

export const REFERRAL_STATES = ['pending', 'accepted', 'returned', 'sent', 'all'] as const;
export type ReferralState = (typeof REFERRAL_STATES)[number];

/** A referral of the inbox / outbox (`sent`: to an outside agency, which does not answer). */
export const ReferralItem = z.object({
  referral_id: z.number().int(),
  uscc: z.string(),
  name: z.string().nullable(),
  alert_day: z.string(),
  from_office: z.string().nullable(),
  from_office_name: z.string().nullable(),
  target_kind: z.enum(['office', 'agency']),
  target: z.string(),
  target_name: z.string().nullable(),
  note: z.string().nullable(),
  referred_by: z.string(),
  referred_at: z.string(),
  state: z.enum(['pending', 'accepted', 'returned', 'sent']),
  answered_by: z.string().nullable(),
  answered_at: z.string().nullable(),
  reason: z.string().nullable(),
});
export type ReferralItem = z.output<typeof ReferralItem>;

/**
 * inbox: referrals to one of `offices`; outbox: referrals from one of them (the enterprise's
 * office when it was referred). `offices` null = every referral.
 */
export async function listReferrals(
  db: Db,
  o: {
    box: 'inbox' | 'outbox';
    offices: readonly string[] | null;
    state: ReferralState;
    before?: number | undefined;
    limit: number;
  },
): Promise<Page<ReferralItem>> {
  const rows = await db.all<ReferralItem & Record<string, unknown>>(
    `WITH r AS (
       SELECT r.*, CASE WHEN r.target_kind = 'agency' THEN 'sent' ELSE coalesce(a.answer, 'pending') END AS state,
              a.actor AS answered_by, a.answered_at, a.reason
       FROM referrals r LEFT JOIN referral_answers a USING (referral_id)
       WHERE ($before::BIGINT IS NULL OR r.referral_id < $before::BIGINT)
         AND (${OFFICES} IS NULL OR list_contains(${OFFICES}, CASE WHEN $box = 'inbox' THEN
                CASE WHEN r.target_kind = 'office' THEN r.target END ELSE r.from_office END))
     ),
     f AS (SELECT * FROM r WHERE $state = 'all' OR state = $state),
     n AS ${NAMES('f')}
     SELECT f.referral_id::INTEGER AS referral_id, f.uscc, n.name, f.alert_day::VARCHAR AS alert_day,
            f.from_office, jf.name AS from_office_name, f.target_kind, f.target,
            coalesce(jt.name, ag.name) AS target_name, f.note, f.actor AS referred_by,
            ${TS('f.created_at')} AS referred_at, f.state, f.answered_by, ${TS('f.answered_at')} AS answered_at, f.reason
     FROM f LEFT JOIN n USING (uscc)
       LEFT JOIN jurisdictions jf ON jf.code = f.from_office
       LEFT JOIN jurisdictions jt ON f.target_kind = 'office' AND jt.code = f.target
       LEFT JOIN referral_agencies ag ON f.target_kind = 'agency' AND ag.id = f.target
     ORDER BY f.referral_id DESC LIMIT $take`,
    {
      before: o.before ?? null,
      state: o.state,
      box: o.box,
      offices: o.offices === null ? null : JSON.stringify(o.offices),
      take: o.limit + 1,
    },
  );
  return { items: rows.slice(0, o.limit), has_more: rows.length > o.limit };
}
