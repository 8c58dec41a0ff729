/**
 * Offices and the workflow between them:
 *   GET  /v1/jurisdictions              the tree of offices, the outside agencies, the caller's office
 *   GET  /v1/summary                    a day's list in numbers, for the caller's area
 *   GET  /v1/approvals                  proposals of 认定 / 排除 (the approval queue)
 *   POST /v1/approvals/{id}/decision    approve / reject (a second person) or withdraw (the proposer)
 *   GET  /v1/referrals                  referrals to (inbox) or from (outbox) the caller's area
 *   POST /v1/referrals/{id}/answer      the target office accepts or returns a referral
 */
import { z } from 'zod';
import {
  AnswerResult,
  APPROVAL_STATES,
  ApprovalItem,
  DecisionResult,
  REFERRAL_STATES,
  ReferralItem,
  answerReferral,
  decideApproval,
  getApproval,
  getReferral,
  listApprovals,
  listReferrals,
} from '../../pipeline/workflow/index.ts';
import { ListSummary, listSummary } from '../../pipeline/queries/index.ts';
import { JURISDICTION_KINDS, officeOf } from '../../pipeline/jurisdictions/index.ts';
import type { Router } from '../route.ts';
import { audit } from '../audit.ts';
import { ApiError } from '../errors.ts';
import {
  Cursor,
  Day,
  decodeCursor,
  encodeCursor,
  JurisdictionCode,
  Limit,
  Problem,
} from '../schemas.ts';
import { actorOf, callerScope, officeList, requireVisible, today } from '../scope.ts';
import { redact } from '../redact.ts';
import type { Context } from 'hono';
import type { AppEnv } from '../context.ts';

/** A body as the caller's role may see it (the personal-data catalogue, api/redact.ts). */
async function shown<T>(c: Context<AppEnv>, body: T): Promise<T> {
  return redact(body, c.get('principal')!.role, await c.get('deps').privacy.names());
}

const ALL = ['regulator', 'investigator', 'data_scientist', 'admin'] as const;
const REVIEWERS = ['regulator', 'investigator', 'admin'] as const;
const Id = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const IdParams = z.strictObject({ id: Id });
const Before = z.strictObject({ b: z.number().int().min(1) });

const Jurisdictions = z
  .object({
    nodes: z.array(
      z.object({
        code: z.string(),
        name: z.string(),
        parent: z.string().nullable(),
        kind: z.enum(JURISDICTION_KINDS),
        depth: z.number().int(),
        label: z
          .string()
          .meta({ description: 'the name with its parents, e.g. 广东省珠海市香洲区' }),
      }),
    ),
    agencies: z.array(z.object({ id: z.string(), name: z.string() })),
    own: z.object({
      code: z
        .string()
        .nullable()
        .meta({ description: "the caller's office; null: the whole tree" }),
      label: z.string(),
    }),
    visible: z.array(z.string()).meta({ description: 'the offices the caller sees' }),
  })
  .meta({ id: 'Jurisdictions' });
export type Jurisdictions = z.output<typeof Jurisdictions>;

const SummaryOfArea = ListSummary.extend({
  jurisdiction: z
    .string()
    .nullable()
    .meta({ description: 'the area counted; null: the whole tree' }),
  jurisdiction_name: z.string(),
}).meta({ id: 'ListSummary' });
export type SummaryOfArea = z.output<typeof SummaryOfArea>;

/** A keyset page of `item`, newest first. */
const pageOf = (id: string, item: z.ZodType) =>
  z
    .object({ items: z.array(item), has_more: z.boolean(), next_cursor: z.string().nullable() })
    .meta({ id });

const ApprovalEntry = ApprovalItem.extend({
  office_name: z.string().nullable(),
  proposer_office_name: z.string(),
  can_decide: z.boolean().meta({ description: 'whether the caller may approve or reject it' }),
}).meta({ id: 'ApprovalItem' });
export type ApprovalEntry = z.output<typeof ApprovalEntry>;
const ApprovalPage = pageOf('ApprovalPage', ApprovalEntry);

const ReferralEntry = ReferralItem.extend({
  can_answer: z.boolean().meta({ description: 'whether the caller may accept or return it' }),
}).meta({ id: 'ReferralItem' });
export type ReferralEntry = z.output<typeof ReferralEntry>;
const ReferralPage = pageOf('ReferralPage', ReferralEntry);

export function workflowRoutes(r: Router): void {
  r.add(
    {
      method: 'get',
      path: '/v1/jurisdictions',
      operationId: 'listJurisdictions',
      summary: 'List offices',
      description:
        "The tree of offices (code, name, parent, kind, depth; GB/T 2260 divisions and functional zones), the outside agencies a case can be referred to, and the caller's own office (null = the whole tree) with the offices it sees.",
      tag: 'jurisdictions',
      roles: ALL,
      responses: {
        200: {
          description: 'the tree',
          schema: Jurisdictions,
        },
      },
    },
    async (c) => {
      const scope = await callerScope(c);
      const { tree } = scope;
      return c.json({
        nodes: tree.ordered().map((n) => ({
          code: n.code,
          name: n.name,
          parent: n.parent,
          kind: n.kind,
          depth: n.depth,
          label: tree.label(n.code),
        })),
        agencies: tree.agencies,
        own: { code: scope.code, label: tree.label(scope.code) },
        visible: scope.offices === null ? tree.nodes.map((n) => n.code) : [...scope.offices].sort(),
      });
    },
  );

  r.add(
    {
      method: 'get',
      path: '/v1/summary',
      operationId: 'listSummary',
      summary: "Summarise a day's list",
      description:
        "The current revision of a day's list (default the latest) in numbers — enterprises scored, listed per level, changes since the previous list — counting only the enterprises of the caller's area that day (narrowed by `jurisdiction`).",
      tag: 'alerts',
      roles: ALL,
      query: z.strictObject({ date: Day.optional(), jurisdiction: JurisdictionCode.optional() }),
      responses: {
        200: { description: 'the numbers', schema: SummaryOfArea },
        404: { description: 'no list that day', schema: Problem },
      },
    },
    async (c, { query }) => {
      const { db } = c.get('deps');
      const scope = await callerScope(c, query.jurisdiction);
      const s = await listSummary(db, query.date, officeList(scope));
      if (!s)
        throw new ApiError(
          'not_found',
          `no alert list has been published for ${query.date ?? 'any day'}`,
        );
      return c.json({
        ...s,
        jurisdiction: scope.code,
        jurisdiction_name: scope.tree.label(scope.code),
      });
    },
  );

  r.add(
    {
      method: 'get',
      path: '/v1/approvals',
      operationId: 'listApprovals',
      summary: 'List proposals awaiting approval',
      description:
        "Proposals of 认定 / 排除 on enterprises of the caller's area (today; narrowed by `jurisdiction`), newest first; `state` pending (default), approved, rejected, withdrawn or all. `can_decide` says whether the caller may approve or reject it: a regulator or admin of the proposer's office or above, not the proposer.",
      tag: 'workflow',
      roles: REVIEWERS,
      query: z.strictObject({
        state: z.enum(APPROVAL_STATES).default('pending'),
        jurisdiction: JurisdictionCode.optional(),
        limit: Limit(50),
        cursor: Cursor.optional(),
      }),
      responses: {
        200: {
          description: 'a page of proposals',
          schema: ApprovalPage,
        },
      },
    },
    async (c, { query }) => {
      const scope = await callerScope(c, query.jurisdiction);
      const before = query.cursor === undefined ? undefined : decodeCursor(query.cursor, Before).b;
      const page = await listApprovals(c.get('deps').db, {
        offices: officeList(scope),
        state: query.state,
        today: today(c),
        before,
        limit: query.limit,
      });
      const me = actorOf(c);
      const items = page.items.map((a) => ({
        ...a,
        office_name: a.office === null ? null : scope.tree.label(a.office),
        proposer_office_name: scope.tree.label(a.proposer_office),
        can_decide:
          a.state === 'pending' &&
          a.proposer !== me.name &&
          ['regulator', 'admin'].includes(me.role) &&
          (me.office === null ||
            (a.proposer_office !== null && scope.tree.contains(me.office, a.proposer_office))),
      }));
      const last = items[items.length - 1];
      return c.json(
        await shown(c, {
          items,
          has_more: page.has_more,
          next_cursor: page.has_more && last ? encodeCursor({ b: last.approval_id }) : null,
        }),
      );
    },
  );

  r.add(
    {
      method: 'post',
      path: '/v1/approvals/:id/decision',
      operationId: 'decideApproval',
      summary: 'Decide a proposal',
      description:
        "`approve` makes the proposed 认定 / 排除 take effect (the disposition event and its case outcome, which training uses); `reject` turns it down; both need a regulator or admin of the proposer's office or above who is not the proposer (403). `withdraw` is the proposer's own. 409 when it was already decided. Audited.",
      tag: 'workflow',
      roles: REVIEWERS,
      params: IdParams,
      body: z
        .strictObject({
          decision: z.enum(['approve', 'reject', 'withdraw']),
          note: z.string().max(2000).optional(),
        })
        .meta({ id: 'ApprovalDecisionInput' }),
      responses: {
        201: {
          description: 'the decision',
          schema: DecisionResult,
        },
        403: { description: 'not allowed to decide it', schema: Problem },
        404: { description: 'no such proposal in your area', schema: Problem },
        409: { description: 'already decided, or a concurrent change', schema: Problem },
      },
    },
    async (c, { params, body }) => {
      const { db, now, jurisdictions, alerts, events } = c.get('deps');
      const notFound = `no approval ${params.id}`;
      const a = await getApproval(db, params.id);
      if (!a) throw new ApiError('not_found', notFound);
      await requireVisible(c, a.uscc, { notFound });
      const out = await decideApproval(db, await jurisdictions.tree(), {
        approvalId: params.id,
        decision: body.decision,
        note: body.note,
        actor: actorOf(c),
        now: now(),
      }).catch(async (err: unknown) => {
        const code = (err as { code?: string }).code;
        if (code === 'forbidden' || code === 'conflict')
          await audit(c, 'approval.refused', `${a.alert_day}:${a.uscc}`, {
            status: code === 'forbidden' ? 403 : 409,
            approval_id: a.approval_id,
            decision: body.decision,
          });
        throw err;
      });
      alerts.invalidate();
      // an approval wrote a case outcome, which timelines read from api_entity_events
      if (out.disposition) events.invalidate();
      await audit(c, `approval.${out.decision.decision}`, `${a.alert_day}:${a.uscc}`, {
        status: 201,
        approval_id: a.approval_id,
        proposed: a.proposed,
        proposer: a.actor,
        ...(out.disposition
          ? {
              disposition_id: out.disposition.disposition_id,
              outcome_batch: out.disposition.outcome_batch,
            }
          : {}),
      });
      return c.json(await shown(c, out), 201);
    },
  );

  r.add(
    {
      method: 'get',
      path: '/v1/referrals',
      operationId: 'listReferrals',
      summary: 'List referrals',
      description:
        "`box=inbox` (default): referrals (移交) to an office of the caller's area, to accept or return; `box=outbox`: referrals of enterprises of the caller's area to other offices and outside agencies. `state` pending, accepted, returned, sent (to an agency) or all (default).",
      tag: 'workflow',
      roles: REVIEWERS,
      query: z.strictObject({
        box: z.enum(['inbox', 'outbox']).default('inbox'),
        state: z.enum(REFERRAL_STATES).default('all'),
        limit: Limit(50),
        cursor: Cursor.optional(),
      }),
      responses: {
        200: {
          description: 'a page of referrals',
          schema: ReferralPage,
        },
      },
    },
    async (c, { query }) => {
      const scope = await callerScope(c);
      const before = query.cursor === undefined ? undefined : decodeCursor(query.cursor, Before).b;
      const page = await listReferrals(c.get('deps').db, {
        box: query.box,
        offices: officeList(scope),
        state: query.state,
        before,
        limit: query.limit,
      });
      const me = actorOf(c);
      const items = page.items.map((x) => ({
        ...x,
        can_answer:
          x.state === 'pending' &&
          ['regulator', 'admin'].includes(me.role) &&
          (me.office === null || scope.tree.contains(me.office, x.target)),
      }));
      const last = items[items.length - 1];
      return c.json(
        await shown(c, {
          items,
          has_more: page.has_more,
          next_cursor: page.has_more && last ? encodeCursor({ b: last.referral_id }) : null,
        }),
      );
    },
  );

  r.add(
    {
      method: 'post',
      path: '/v1/referrals/:id/answer',
      operationId: 'answerReferral',
      summary: 'Answer a referral',
      description:
        'The target office (or one above it) accepts a referral — from that day the enterprise belongs to it: it sees it, the referring office no longer does — or returns it with a reason. Either way the case goes back to 核查中. 409 when already answered. Audited.',
      tag: 'workflow',
      roles: ['regulator', 'admin'],
      params: IdParams,
      body: z
        .strictObject({
          answer: z.enum(['accept', 'return']),
          reason: z.string().max(2000).optional(),
        })
        .meta({ id: 'ReferralAnswerInput' }),
      responses: {
        201: {
          description: 'the answer',
          schema: AnswerResult,
        },
        400: { description: 'a return without a reason', schema: Problem },
        404: { description: 'no such referral to your area', schema: Problem },
        409: { description: 'already answered', schema: Problem },
      },
    },
    async (c, { params, body }) => {
      const { db, now, jurisdictions, alerts } = c.get('deps');
      const notFound = `no referral ${params.id} to your area`;
      const ref = await getReferral(db, params.id);
      const scope = await callerScope(c);
      if (
        !ref ||
        ref.target_kind !== 'office' ||
        (scope.offices !== null && !scope.offices.has(ref.target))
      )
        throw new ApiError('not_found', notFound);
      const out = await answerReferral(db, await jurisdictions.tree(), {
        referralId: params.id,
        answer: body.answer,
        reason: body.reason,
        actor: actorOf(c),
        now: now(),
      });
      alerts.invalidate();
      await audit(c, `referral.${out.answer.answer}`, `${ref.alert_day}:${ref.uscc}`, {
        status: 201,
        referral_id: ref.referral_id,
        from_office: ref.from_office,
        target: ref.target,
        office_now: (await officeOf(db, ref.uscc, today(c))) ?? null,
      });
      return c.json(await shown(c, out), 201);
    },
  );
}
