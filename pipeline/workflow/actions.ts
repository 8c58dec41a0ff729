/**
 * The review workflow's changes, each as the only writer of its enterprise (serial.ts):
 *   requestDisposition  核查中 / reassignment as before; 移交 names a target office or agency and
 *                       writes a referral; 认定 / 排除 become proposals that a second person decides
 *   decideApproval      approve (writes the 认定 / 排除 event and its case outcome), reject, or
 *                       withdraw (the proposer)
 *   answerReferral      the target office accepts (the enterprise is its own from that day) or
 *                       returns it with a reason; either way the case goes back to 核查中
 *   reopen              a supervisor reopens a closed enterprise with a reason; its case outcome is
 *                       superseded (kept, no longer a training label)
 * Who may see the enterprise is the caller's business (the API answers 404 first); the rules
 * about people and offices are checked here.
 */
import { z } from 'zod';
import type { Db } from '../db/index.ts';
import { AppError } from '../errors.ts';
import { officeOf, type JurisdictionTree } from '../jurisdictions/index.ts';
import {
  appendDisposition,
  lastDisposition,
  supersedeOutcome,
  TRANSITIONS,
  WorkflowError,
  DISPOSITION_INITIAL,
  DISPOSITION_STATUSES,
  DispositionRow,
  type DispositionStatus,
} from '../queries/index.ts';
import { shanghaiDay } from '../modeling/days.ts';
import { changeWorkflow, WorkflowConflict, WorkflowForbidden } from './serial.ts';

/** Who acts: name (token name or user:NAME), role, office (null = the whole tree). */
export interface Actor {
  name: string;
  role: string;
  office: string | null;
}

/** Roles that may decide (approve / reject a proposal, accept / return a referral). */
export const DECIDERS: readonly string[] = ['regulator', 'admin'];

/** Whether office `a` is office `b` or above it (null = the whole tree, above everything). */
export function atOrAbove(tree: JurisdictionTree, a: string | null, b: string | null): boolean {
  if (a === null) return true;
  if (b === null) return false;
  return tree.contains(a, b);
}

// Row types are zod schemas (the API documents its responses with them); nothing validates them at
// run time. An office of null is the whole tree (an account of no office).
const Office = z.string().nullable();

/** A proposal of 认定 / 排除, awaiting a second person's decision (or decided). */
export const ApprovalRow = z
  .object({
    approval_id: z.number().int(),
    uscc: z.string(),
    alert_day: z.string(),
    proposed: z.enum(DISPOSITION_STATUSES),
    note: z.string().nullable(),
    case_ref: z.string().nullable(),
    actor: z.string(),
    role: z.string(),
    actor_office: Office,
    proposed_at: z.string(),
  })
  .meta({ id: 'Approval' });
export type ApprovalRow = z.output<typeof ApprovalRow>;

/** A referral (移交) to another office or to an outside agency. */
export const ReferralRow = z
  .object({
    referral_id: z.number().int(),
    uscc: z.string(),
    alert_day: z.string(),
    from_office: Office,
    target_kind: z.enum(['office', 'agency']),
    target: z.string().meta({ description: 'an office code, or an agency id' }),
    note: z.string().nullable(),
    actor: z.string(),
    role: z.string(),
    actor_office: Office,
    created_at: z.string(),
    disposition_id: z.number().int(),
  })
  .meta({ id: 'Referral' });
export type ReferralRow = z.output<typeof ReferralRow>;

const TS = (col: string) =>
  `strftime(${col} AT TIME ZONE 'Asia/Shanghai', '%Y-%m-%dT%H:%M:%S+08:00')`;

export const APPROVAL_COLUMNS = `approval_id::INTEGER AS approval_id, uscc, alert_day::VARCHAR AS alert_day, proposed, note, case_ref,
  actor, role, actor_office, ${TS('proposed_at')} AS proposed_at`;

export const REFERRAL_COLUMNS = `referral_id::INTEGER AS referral_id, uscc, alert_day::VARCHAR AS alert_day, from_office, target_kind,
  target, note, actor, role, actor_office, ${TS('created_at')} AS created_at, disposition_id::INTEGER AS disposition_id`;

/** The proposal awaiting a decision, if any. */
export async function pendingApproval(db: Db, uscc: string): Promise<ApprovalRow | undefined> {
  return db.one<ApprovalRow & Record<string, unknown>>(
    `SELECT ${APPROVAL_COLUMNS} FROM approvals a
     WHERE uscc = $u AND NOT EXISTS (SELECT 1 FROM approval_decisions d WHERE d.approval_id = a.approval_id)
     ORDER BY approval_id DESC LIMIT 1`,
    { u: uscc },
  );
}

/** The referral to another office awaiting its answer, if any. */
export async function pendingReferral(db: Db, uscc: string): Promise<ReferralRow | undefined> {
  return db.one<ReferralRow & Record<string, unknown>>(
    `SELECT ${REFERRAL_COLUMNS} FROM referrals r
     WHERE uscc = $u AND target_kind = 'office'
       AND NOT EXISTS (SELECT 1 FROM referral_answers a WHERE a.referral_id = r.referral_id)
     ORDER BY referral_id DESC LIMIT 1`,
    { u: uscc },
  );
}

async function refuseWhilePending(tx: Db, tree: JurisdictionTree, uscc: string): Promise<void> {
  const a = await pendingApproval(tx, uscc);
  if (a)
    throw new WorkflowConflict(
      `${a.proposed} proposed by ${a.actor} (approval ${a.approval_id}) awaits a second person's decision`,
    );
  const r = await pendingReferral(tx, uscc);
  if (r)
    throw new WorkflowConflict(
      `the referral ${r.referral_id} to ${tree.get(r.target)?.name ?? r.target} awaits its answer`,
    );
}

export interface DispositionRequest {
  day: string;
  uscc: string;
  status: DispositionStatus;
  actor: Actor;
  note?: string | undefined;
  /** undefined = keep; null = unassign. */
  assignee?: string | null | undefined;
  caseRef?: string | undefined;
  /** For 移交: an office code of the tree or an agency id. */
  referTo?: string | undefined;
  now: Date;
}

export type DispositionResult =
  | { kind: 'disposition'; disposition: DispositionRow; referral: ReferralRow | null }
  | { kind: 'approval'; approval: ApprovalRow };

/** A reviewer's request: a disposition event, or a proposal for 认定 / 排除. */
export function requestDisposition(
  db: Db,
  tree: JurisdictionTree,
  r: DispositionRequest,
): Promise<DispositionResult> {
  return changeWorkflow(db, r.uscc, async (tx) => {
    await refuseWhilePending(tx, tree, r.uscc);
    const from = (await lastDisposition(tx, r.uscc))?.status ?? DISPOSITION_INITIAL;
    if (r.status === '认定' || r.status === '排除') {
      if (!TRANSITIONS[from].includes(r.status)) throw new WorkflowError(from, r.status);
      const approval = await tx.one<ApprovalRow & Record<string, unknown>>(
        `INSERT INTO approvals (uscc, alert_day, proposed, note, case_ref, actor, role, actor_office, proposed_at)
         VALUES ($u, $d::DATE, $s, $note, $ref, $actor, $role, $office, $at::TIMESTAMPTZ)
         RETURNING ${APPROVAL_COLUMNS}`,
        {
          u: r.uscc,
          d: r.day,
          s: r.status,
          note: r.note ?? null,
          ref: r.caseRef ?? null,
          actor: r.actor.name,
          role: r.actor.role,
          office: r.actor.office,
          at: r.now.toISOString(),
        },
      );
      return { kind: 'approval', approval: approval! };
    }
    let target: { kind: 'office' | 'agency'; id: string } | undefined;
    let fromOffice: string | null = null;
    if (r.status === '移交') {
      if (r.referTo === undefined)
        throw new AppError(
          'usage',
          '移交 needs refer_to: an office code of the tree or an outside agency (GET /v1/jurisdictions)',
        );
      fromOffice = (await officeOf(tx, r.uscc, shanghaiDay(r.now))) ?? null;
      if (tree.has(r.referTo)) {
        if (r.referTo === fromOffice)
          throw new AppError('usage', `${r.uscc} already belongs to ${tree.label(r.referTo)}`);
        target = { kind: 'office', id: r.referTo };
      } else if (tree.agency(r.referTo)) target = { kind: 'agency', id: r.referTo };
      else
        throw new AppError(
          'usage',
          `refer_to ${r.referTo} is neither an office of the tree nor an agency (GET /v1/jurisdictions)`,
        );
    } else if (r.referTo !== undefined) {
      throw new AppError('usage', 'refer_to goes with status 移交 only');
    }
    const disposition = await appendDisposition(tx, {
      day: r.day,
      uscc: r.uscc,
      status: r.status,
      actor: r.actor.name,
      role: r.actor.role,
      note: r.note,
      assignee: r.assignee,
      caseRef: r.caseRef,
      now: r.now,
    });
    let referral: ReferralRow | null = null;
    if (target) {
      referral = (await tx.one<ReferralRow & Record<string, unknown>>(
        `INSERT INTO referrals (uscc, alert_day, from_office, target_kind, target, note, actor, role, actor_office, created_at, disposition_id)
         VALUES ($u, $d::DATE, $from, $kind, $target, $note, $actor, $role, $office, $at::TIMESTAMPTZ, $disp)
         RETURNING ${REFERRAL_COLUMNS}`,
        {
          u: r.uscc,
          d: r.day,
          from: fromOffice,
          kind: target.kind,
          target: target.id,
          note: r.note ?? null,
          actor: r.actor.name,
          role: r.actor.role,
          office: r.actor.office,
          at: r.now.toISOString(),
          disp: disposition.disposition_id,
        },
      ))!;
    }
    return { kind: 'disposition', disposition, referral };
  });
}

export type ApprovalDecision = 'approve' | 'reject' | 'withdraw';

export const DecisionRow = z
  .object({
    approval_id: z.number().int(),
    decision: z.enum(['approved', 'rejected', 'withdrawn']),
    note: z.string().nullable(),
    actor: z.string(),
    role: z.string(),
    actor_office: Office,
    decided_at: z.string(),
    disposition_id: z.number().int().nullable(),
  })
  .meta({ id: 'Decision' });
export type DecisionRow = z.output<typeof DecisionRow>;

/** A decision on a proposal, and the 认定 / 排除 event it wrote when approved. */
export const DecisionResult = z
  .object({ decision: DecisionRow, disposition: DispositionRow.nullable() })
  .meta({ id: 'ApprovalDecision' });
export type DecisionResult = z.output<typeof DecisionResult>;

export async function getApproval(db: Db, id: number): Promise<ApprovalRow | undefined> {
  return db.one<ApprovalRow & Record<string, unknown>>(
    `SELECT ${APPROVAL_COLUMNS} FROM approvals WHERE approval_id = $id`,
    { id },
  );
}

/** Approve, reject or withdraw a proposal. Nobody decides their own proposal but to withdraw it. */
export async function decideApproval(
  db: Db,
  tree: JurisdictionTree,
  i: {
    approvalId: number;
    decision: ApprovalDecision;
    note?: string | undefined;
    actor: Actor;
    now: Date;
  },
): Promise<DecisionResult> {
  const a = await getApproval(db, i.approvalId);
  if (!a) throw new AppError('not_found', `no approval ${i.approvalId}`);
  return changeWorkflow(db, a.uscc, async (tx) => {
    const done = await tx.one<{ decision: string; actor: string }>(
      `SELECT decision, actor FROM approval_decisions WHERE approval_id = $id`,
      { id: a.approval_id },
    );
    if (done)
      throw new WorkflowConflict(
        `approval ${a.approval_id} was already ${done.decision} by ${done.actor}`,
      );
    if (i.decision === 'withdraw') {
      if (i.actor.name !== a.actor)
        throw new WorkflowForbidden(`only ${a.actor}, who proposed it, may withdraw it`);
    } else {
      if (i.actor.name === a.actor)
        throw new WorkflowForbidden(
          'nobody decides their own proposal: a second person approves or rejects it',
        );
      if (!DECIDERS.includes(i.actor.role))
        throw new WorkflowForbidden(`a ${i.actor.role} may not decide ${a.proposed}`);
      if (!atOrAbove(tree, i.actor.office, a.actor_office))
        throw new WorkflowForbidden(
          `a decision on a proposal of ${tree.label(a.actor_office)} needs someone of that office or above`,
        );
    }
    let disposition: DispositionRow | null = null;
    if (i.decision === 'approve') {
      disposition = await appendDisposition(tx, {
        day: a.alert_day,
        uscc: a.uscc,
        status: a.proposed,
        actor: i.actor.name,
        role: i.actor.role,
        note: a.note ?? undefined,
        caseRef: a.case_ref ?? undefined,
        now: i.now,
      });
    }
    const decision = (await tx.one<DecisionRow & Record<string, unknown>>(
      `INSERT INTO approval_decisions VALUES ($id, $dec, $note, $actor, $role, $office, $at::TIMESTAMPTZ, $disp)
       RETURNING approval_id::INTEGER AS approval_id, decision, note, actor, role, actor_office,
                 ${TS('decided_at')} AS decided_at, disposition_id::INTEGER AS disposition_id`,
      {
        id: a.approval_id,
        dec: ({ approve: 'approved', reject: 'rejected', withdraw: 'withdrawn' } as const)[
          i.decision
        ],
        note: i.note ?? null,
        actor: i.actor.name,
        role: i.actor.role,
        office: i.actor.office,
        at: i.now.toISOString(),
        disp: disposition?.disposition_id ?? null,
      },
    ))!;
    return { decision, disposition };
  });
}

export async function getReferral(db: Db, id: number): Promise<ReferralRow | undefined> {
  return db.one<ReferralRow & Record<string, unknown>>(
    `SELECT ${REFERRAL_COLUMNS} FROM referrals WHERE referral_id = $id`,
    { id },
  );
}

export const AnswerRow = z
  .object({
    referral_id: z.number().int(),
    answer: z.enum(['accepted', 'returned']),
    reason: z.string().nullable(),
    actor: z.string(),
    role: z.string(),
    actor_office: Office,
    answered_at: z.string(),
    effective_on: z.string().meta({ description: 'the day the enterprise belongs to the target' }),
    disposition_id: z.number().int(),
  })
  .meta({ id: 'ReferralAnswerRow' });
export type AnswerRow = z.output<typeof AnswerRow>;

/** An answer to a referral, and the 核查中 event it wrote. */
export const AnswerResult = z
  .object({ answer: AnswerRow, disposition: DispositionRow })
  .meta({ id: 'ReferralAnswer' });
export type AnswerResult = z.output<typeof AnswerResult>;

/** The target office accepts a referral (the enterprise becomes its own) or returns it. */
export async function answerReferral(
  db: Db,
  tree: JurisdictionTree,
  i: {
    referralId: number;
    answer: 'accept' | 'return';
    reason?: string | undefined;
    actor: Actor;
    now: Date;
  },
): Promise<AnswerResult> {
  const r = await getReferral(db, i.referralId);
  if (!r) throw new AppError('not_found', `no referral ${i.referralId}`);
  if (r.target_kind !== 'office')
    throw new AppError('usage', `referral ${r.referral_id} went to an outside agency: no answer`);
  if (i.answer === 'return' && !i.reason?.trim())
    throw new AppError('usage', 'returning a referral needs a reason');
  return changeWorkflow(db, r.uscc, async (tx) => {
    const done = await tx.one<{ answer: string; actor: string }>(
      `SELECT answer, actor FROM referral_answers WHERE referral_id = $id`,
      { id: r.referral_id },
    );
    if (done)
      throw new WorkflowConflict(
        `referral ${r.referral_id} was already ${done.answer} by ${done.actor}`,
      );
    if (!DECIDERS.includes(i.actor.role))
      throw new WorkflowForbidden(`a ${i.actor.role} may not answer a referral`);
    if (!atOrAbove(tree, i.actor.office, r.target))
      throw new WorkflowForbidden(
        `only ${tree.label(r.target)} or an office above it answers this referral`,
      );
    const accepted = i.answer === 'accept';
    const disposition = await appendDisposition(
      tx,
      {
        day: r.alert_day,
        uscc: r.uscc,
        status: '核查中',
        actor: i.actor.name,
        role: i.actor.role,
        note: accepted
          ? `接收移交（来自${tree.get(r.from_office ?? '')?.name ?? '上级'}）${i.reason ? `：${i.reason}` : ''}`
          : `移交被${tree.get(r.target)?.name ?? r.target}退回：${i.reason}`,
        assignee: null,
        now: i.now,
      },
      { check: false },
    );
    const answer = (await tx.one<AnswerRow & Record<string, unknown>>(
      `INSERT INTO referral_answers VALUES ($id, $ans, $reason, $actor, $role, $office, $at::TIMESTAMPTZ, $on::DATE, $disp)
       RETURNING referral_id::INTEGER AS referral_id, answer, reason, actor, role, actor_office,
                 ${TS('answered_at')} AS answered_at, effective_on::VARCHAR AS effective_on, disposition_id::INTEGER AS disposition_id`,
      {
        id: r.referral_id,
        ans: accepted ? 'accepted' : 'returned',
        reason: i.reason ?? null,
        actor: i.actor.name,
        role: i.actor.role,
        office: i.actor.office,
        at: i.now.toISOString(),
        on: shanghaiDay(i.now),
        disp: disposition.disposition_id,
      },
    ))!;
    return { answer, disposition };
  });
}

/**
 * Whether `actor` supervises an enterprise of office `office`: an admin, or a regulator of an
 * office above it (the whole tree is above every office).
 */
export function supervises(tree: JurisdictionTree, actor: Actor, office: string | null): boolean {
  if (actor.role === 'admin') return true;
  if (actor.role !== 'regulator') return false;
  if (actor.office === null) return true;
  return office !== null && actor.office !== office && tree.contains(actor.office, office);
}

/** A reopening: the 核查中 event, and the case-outcome batch it superseded (null: none). */
export const Reopened = z
  .object({
    disposition: DispositionRow,
    superseded_batch: z
      .number()
      .int()
      .nullable()
      .meta({ description: 'the superseded case-outcome batch (null: none)' }),
  })
  .meta({ id: 'Reopened' });
export type Reopened = z.output<typeof Reopened>;

/** A supervisor reopens a closed (认定 / 排除) enterprise; its outcome is superseded, not deleted. */
export function reopen(
  db: Db,
  tree: JurisdictionTree,
  i: { day: string; uscc: string; reason: string; actor: Actor; office: string | null; now: Date },
): Promise<Reopened> {
  if (!i.reason.trim()) throw new AppError('usage', 'reopening needs a reason (new evidence)');
  if (!supervises(tree, i.actor, i.office))
    throw new WorkflowForbidden(
      `reopening needs a supervisor: an admin, or a regulator of an office above ${tree.label(i.office)}`,
    );
  return changeWorkflow(db, i.uscc, async (tx) => {
    const last = await lastDisposition(tx, i.uscc);
    if (!last || (last.status !== '认定' && last.status !== '排除'))
      throw new WorkflowConflict(
        `only a closed enterprise (认定 / 排除) can be reopened; ${i.uscc} is ${last?.status ?? DISPOSITION_INITIAL}`,
      );
    const superseded =
      last.outcome_batch === null
        ? null
        : await supersedeOutcome(tx, last.outcome_batch, { now: i.now });
    const disposition = await appendDisposition(
      tx,
      {
        day: i.day,
        uscc: i.uscc,
        status: '核查中',
        actor: i.actor.name,
        role: i.actor.role,
        note: `重新打开：${i.reason}`,
        now: i.now,
      },
      { check: false },
    );
    await tx.run(
      `INSERT INTO reopenings VALUES ($disp, $u, $closed, $reason, $actor, $role, $office, $at::TIMESTAMPTZ, $batch)`,
      {
        disp: disposition.disposition_id,
        u: i.uscc,
        closed: last.disposition_id,
        reason: i.reason,
        actor: i.actor.name,
        role: i.actor.role,
        office: i.actor.office,
        at: i.now.toISOString(),
        batch: superseded,
      },
    );
    return { disposition, superseded_batch: superseded };
  });
}
