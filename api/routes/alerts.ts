/** GET /v1/alerts, GET /v1/alerts/{id}, POST /v1/alerts/{id}/dispositions */
import { z } from 'zod';
import {
  AdEvidence,
  adsOf,
  AlertRow,
  Anomaly,
  changesOf,
  ComplaintEvidence,
  DispositionRow,
  IssuedAlert,
  RegisterChange,
  complaintsOf,
  dispositionsOf,
  DISPOSITION_STATUSES,
  entityNetwork,
  getAlertEntry,
  listedRowOf,
  registerAnomalies,
  WorkflowError,
} from '../../pipeline/queries/index.ts';
import {
  ApprovalRow,
  pendingApproval,
  pendingReferral,
  ReferralRow,
  reopen,
  Reopened,
  requestDisposition,
} from '../../pipeline/workflow/index.ts';
import type { Role } from '../../pipeline/auth/index.ts';
import type { Router } from '../route.ts';
import { audit } from '../audit.ts';
import { ApiError } from '../errors.ts';
import { AppError } from '../../pipeline/errors.ts';
import { redact } from '../redact.ts';
import { actorOf, callerScope, requireVisible, ScopedNetwork, scopedNetwork } from '../scope.ts';
import {
  maySee,
  NO_NAMES,
  PERSON_SEARCH_ROLES,
  seesAll,
  type NameMatcher,
} from '../../pipeline/privacy/index.ts';
import {
  AlertId,
  Cursor,
  Day,
  decodeCursor,
  encodeCursor,
  Level,
  Limit,
  JurisdictionCode,
  Problem,
} from '../schemas.ts';

const ALL = ['regulator', 'investigator', 'data_scientist', 'admin'] as const;
const REVIEWERS = ['regulator', 'investigator', 'admin'] as const;

const AlertsQuery = z.strictObject({
  date: Day.optional(),
  level: Level.optional(),
  district: z.string().min(1).max(50).optional(),
  status: z.enum(DISPOSITION_STATUSES).optional(),
  q: z.string().min(1).max(100).optional(),
  jurisdiction: JurisdictionCode.optional(),
  limit: Limit(50),
  cursor: Cursor.optional(),
});

const CursorShape = z.strictObject({
  d: Day,
  r: z.number().int().min(1).max(1_000_000),
  k: z.number().int().min(0).max(100_000_000),
  f: z.string().max(400),
});

const AlertPage = z
  .object({
    date: z.string().nullable(),
    revision: z.number().int().nullable(),
    items: z.array(AlertRow),
    has_more: z.boolean(),
    next_cursor: z.string().nullable(),
  })
  .meta({ id: 'AlertPage' });

/** GET /v1/alerts/{id}: the alert as issued, its reasons, features and evidence. */
export const AlertDetail = z
  .object({
    alert: IssuedAlert.extend({
      rank: z.number().int().nullable().meta({
        description:
          "rank within the caller's area (its office's own list); null: not on it that day",
      }),
      scorer_note: z.string().nullable().meta({
        description:
          'why the rule index ranked this revision although a model was active (the model failed), if it did',
      }),
    }).meta({ id: 'IssuedAlert' }),
    explanation: z.array(z.string()),
    features: z.record(z.string(), z.number().nullable()),
    contributions: z.record(z.string(), z.number()),
    evidence: z.object({
      ads: z.object({ total: z.number().int(), items: z.array(AdEvidence) }),
      complaints: z.object({ total: z.number().int(), items: z.array(ComplaintEvidence) }),
      register: z.object({ changes: z.array(RegisterChange), anomalies: z.array(Anomaly) }),
      network: ScopedNetwork,
    }),
    dispositions: z.array(DispositionRow),
    workflow: z.object({
      office: z.string().nullable().meta({ description: "the enterprise's office today" }),
      office_name: z.string().nullable(),
      pending_approval: ApprovalRow.nullable().meta({
        description: 'a proposal of 认定 / 排除 awaiting a second person',
      }),
      pending_referral: ReferralRow.extend({ target_name: z.string() })
        .nullable()
        .meta({ description: "a referral (移交) awaiting the target office's answer" }),
    }),
  })
  .meta({ id: 'AlertDetail' });
export type AlertDetail = z.output<typeof AlertDetail>;

/** A disposition event as stored, with the referral it made (移交 only). */
const DispositionWithReferral = DispositionRow.extend({
  referral: ReferralRow.nullable(),
}).meta({ id: 'DispositionCreated' });

const DispositionBody = z
  .strictObject({
    status: z.enum(DISPOSITION_STATUSES).meta({ description: 'the new state' }),
    note: z.string().max(2000).optional(),
    assignee: z
      .string()
      .min(1)
      .max(100)
      .nullable()
      .optional()
      .meta({ description: 'reviewer; null = unassign; absent = keep' }),
    case_ref: z
      .string()
      .max(100)
      .optional()
      .meta({ description: 'case number, kept with the outcome of 认定 / 排除' }),
    refer_to: z.string().min(1).max(40).optional().meta({
      description:
        '移交 only: an office code of the tree (it answers in its inbox) or an outside agency id (GET /v1/jurisdictions)',
    }),
  })
  .meta({ id: 'DispositionInput' });

const IdParams = z.strictObject({ id: AlertId });

/**
 * JSON of a listed row's unchanging fields, redacted, by role (kept while the row is cached, and
 * while the person names known to the register are the same).
 */
const ROW_JSON = new WeakMap<object, Partial<Record<Role, { names: NameMatcher; json: string }>>>();

/** JSON.stringify(redact(item, role)), reusing the serialised listed row the item was made from. */
function alertJson(item: AlertRow, role: Role, names: NameMatcher): string {
  const src = listedRowOf(item);
  if (!src) return JSON.stringify(redact(item, role, names));
  let byRole = ROW_JSON.get(src);
  if (!byRole) ROW_JSON.set(src, (byRole = {}));
  let cached = byRole[role];
  if (cached?.names !== names)
    byRole[role] = cached = { names, json: JSON.stringify(redact(src, role, names)).slice(1, -1) };
  const mid = cached.json;
  const head = JSON.stringify(
    redact(
      {
        id: item.id,
        day: item.day,
        revision: item.revision,
        rank: item.rank,
        overall_rank: item.overall_rank,
      },
      role,
      names,
    ),
  );
  const tail = JSON.stringify(
    redact({ status: item.status, assignee: item.assignee }, role, names),
  );
  return `${head.slice(0, -1)}${mid === '' ? '' : `,${mid}`},${tail.slice(1)}`;
}

export function alertRoutes(r: Router): void {
  r.add(
    {
      method: 'get',
      path: '/v1/alerts',
      operationId: 'listAlerts',
      summary: 'List alerts',
      description:
        "One day's published list (its current revision), in rank order, holding only enterprises of the caller's area as of that day (narrowed by `jurisdiction`, an office code below the caller's): `rank` is the rank within that area (its office's own list), `overall_rank` the rank in the whole revision. Keyset pagination: pass `next_cursor` as `cursor`; a cursor pins the revision and the filters, so pages stay consistent when a new revision is published.",
      tag: 'alerts',
      roles: ALL,
      query: AlertsQuery,
      responses: {
        200: { description: 'a page of alerts', schema: AlertPage },
        400: { description: 'invalid query', schema: Problem },
      },
    },
    async (c, { query }) => {
      const scope = await callerScope(c, query.jurisdiction);
      const filters = JSON.stringify([
        query.level,
        query.district,
        query.status,
        query.q,
        ...(query.jurisdiction === undefined ? [] : [query.jurisdiction]),
      ]);
      let day = query.date;
      let revision: number | undefined;
      let afterRank: number | undefined;
      if (query.cursor !== undefined) {
        const cur = decodeCursor(query.cursor, CursorShape);
        if (cur.f !== filters || (day !== undefined && day !== cur.d)) {
          throw new ApiError(
            'bad_request',
            'the cursor belongs to other filters; start without a cursor',
          );
        }
        day = cur.d;
        revision = cur.r;
        afterRank = cur.k;
      }
      const { alerts, db, privacy } = c.get('deps');
      const role = c.get('principal')!.role;
      // matching a legal representative's name is a person search: a permission, audited
      const personSearch = query.q !== undefined && PERSON_SEARCH_ROLES.includes(role);
      const page = await alerts.list(db, {
        ...(day === undefined ? {} : { day }),
        ...(revision === undefined ? {} : { revision }),
        ...(query.level === undefined ? {} : { level: query.level }),
        ...(query.district === undefined ? {} : { district: query.district }),
        ...(query.status === undefined ? {} : { status: query.status }),
        ...(query.q === undefined ? {} : { q: query.q, matchPeople: personSearch }),
        ...(afterRank === undefined ? {} : { afterRank }),
        limit: query.limit,
        offices: scope.offices,
      });
      const last = page.items[page.items.length - 1];
      const next_cursor =
        page.has_more && last && page.day && page.revision
          ? encodeCursor({ d: page.day, r: page.revision, k: last.overall_rank, f: filters })
          : null;
      // person names known to the register: needed only to mask them for roles that may not see them
      const names = seesAll(role) ? NO_NAMES : await privacy.names();
      // a page with legal representatives is a read of personal data (group-committed entry):
      // written while the body is serialised; the response waits until it is on record
      const logged =
        maySee(role, 'person_name') && page.items.length > 0
          ? audit(c, 'alert.list', page.day, {
              revision: page.revision,
              rows: page.items.length,
              first_rank: page.items[0]!.rank,
              ...(query.q === undefined ? {} : { q: query.q, person_search: personSearch }),
            })
          : undefined;
      let json: string;
      try {
        const head = JSON.stringify(redact({ date: page.day, revision: page.revision }, role));
        const tail = JSON.stringify(redact({ has_more: page.has_more, next_cursor }, role));
        // the same JSON as c.json(redact(page)), but each listed row is serialised once per role
        json = `${head.slice(0, -1)},"items":[${page.items.map((i) => alertJson(i, role, names)).join(',')}],${tail.slice(1)}`;
      } catch (err) {
        await logged?.catch(() => undefined);
        throw err;
      }
      await logged;
      return c.body(json, 200, { 'content-type': 'application/json' });
    },
  );

  r.add(
    {
      method: 'get',
      path: '/v1/alerts/:id',
      operationId: 'getAlert',
      summary: 'Read an alert',
      description:
        "The score as issued, its reasons in words, and the evidence as of the list day: ads of the last 90 days with red-flag phrases and promised yields marked as `spans` (offsets in UTF-16 code units of `text`, end exclusive), complaints, register changes and anomalies, network neighbours (those outside the caller's area only as `another jurisdiction`, without names or personal fields), the disposition history, and the workflow (the enterprise's office, a proposal awaiting approval, a referral awaiting its answer). 404 when the enterprise was not in the caller's area that day and is not now. Audited.",
      tag: 'alerts',
      roles: ALL,
      params: IdParams,
      query: z.strictObject({ revision: z.coerce.number().int().min(1).max(1_000_000).optional() }),
      responses: {
        200: {
          description: 'the alert with its evidence',
          schema: AlertDetail,
        },
        404: { description: 'no such alert', schema: Problem },
      },
    },
    async (c, { params, query }) => {
      const { db, alerts } = c.get('deps');
      const { day, uscc } = params.id;
      const notFound = `no alert for ${uscc} on the list of ${day}`;
      const { scope, placement } = await requireVisible(c, uscc, { day, notFound });
      const entry = await getAlertEntry(db, day, uscc, query.revision);
      if (!entry || entry.level === null) throw new ApiError('not_found', notFound);
      const [ads, complaints, changes, network, dispositions, approval, referral] = [
        await adsOf(db, uscc, day, { days: 90, limit: 20 }),
        await complaintsOf(db, uscc, day, { days: 90, limit: 20 }),
        await changesOf(db, uscc, day, 365),
        await scopedNetwork(c, await entityNetwork(db, uscc, 10), scope),
        await dispositionsOf(db, uscc),
        await pendingApproval(db, uscc),
        await pendingReferral(db, uscc),
      ];
      const { features, contributions, ...issued } = entry;
      const rank =
        scope.offices === null
          ? issued.rank
          : await alerts.rankOf(db, {
              day,
              revision: issued.revision,
              uscc,
              offices: scope.offices,
            });
      const alert = { ...issued, rank: rank ?? null };
      const office = placement?.today ?? null;
      const body: AlertDetail = {
        alert,
        explanation: alert.reasons.map((x) => x.text),
        features,
        contributions,
        evidence: {
          ads,
          complaints,
          register: { changes, anomalies: registerAnomalies(features, contributions) },
          network,
        },
        dispositions,
        workflow: {
          office,
          office_name: office === null ? null : scope.tree.label(office),
          pending_approval: approval ?? null,
          pending_referral: referral
            ? { ...referral, target_name: scope.tree.get(referral.target)?.name ?? referral.target }
            : null,
        },
      };
      await audit(c, 'alert.read', `${day}:${uscc}`, { revision: entry.revision });
      return c.json(redact(body, c.get('principal')!.role, await c.get('deps').privacy.names()));
    },
  );

  r.add(
    {
      method: 'post',
      path: '/v1/alerts/:id/dispositions',
      operationId: 'createDisposition',
      summary: 'Record a disposition',
      description:
        "Appends one event to the enterprise's review workflow: 待核查 → 核查中 → 排除 | 移交 | 认定 (移交 → 排除 | 认定). Repeating the current state changes only the assignee / note. 移交 needs `refer_to`: another office (it accepts or returns the case in its inbox, GET /v1/referrals) or an outside agency. 认定 and 排除 are proposals (202): they take effect, with the case_outcomes record that the next training uses, when a second regulator of the same office or above approves (POST /v1/approvals/{id}/decision). Changes to one enterprise are serialised: 409 on a transition the workflow does not allow, while a proposal or a referral is pending, or when another change won a race. 404 outside the caller's area. Audited.",
      tag: 'alerts',
      roles: REVIEWERS,
      params: IdParams,
      body: DispositionBody,
      responses: {
        201: {
          description: 'the event as stored (with the referral it made, for 移交)',
          schema: DispositionWithReferral,
        },
        202: {
          description: '认定 / 排除 proposed: awaiting a second person',
          schema: ApprovalRow.extend({ state: z.literal('pending') }).meta({
            id: 'ApprovalProposed',
          }),
        },
        403: { description: 'the enterprise belongs to another office now', schema: Problem },
        404: { description: 'no such alert', schema: Problem },
        409: { description: 'transition not allowed, or a concurrent change', schema: Problem },
      },
    },
    async (c, { params, body }) => {
      const { db, now, jurisdictions } = c.get('deps');
      const { day, uscc } = params.id;
      const notFound = `no alert for ${uscc} on the list of ${day}`;
      const { scope, placement } = await requireVisible(c, uscc, { day, notFound });
      const entry = await getAlertEntry(db, day, uscc);
      if (!entry || entry.level === null) throw new ApiError('not_found', notFound);
      requireOwned(scope.offices, placement?.today ?? null, uscc);
      let result;
      try {
        result = await requestDisposition(db, await jurisdictions.tree(), {
          day,
          uscc,
          status: body.status,
          actor: actorOf(c),
          note: body.note,
          assignee: body.assignee,
          caseRef: body.case_ref,
          referTo: body.refer_to,
          now: now(),
        });
      } catch (err) {
        if (err instanceof WorkflowError || (err instanceof AppError && err.code === 'conflict')) {
          await audit(c, 'disposition.rejected', `${day}:${uscc}`, {
            status: 409,
            ...(err instanceof WorkflowError ? { from: err.from, to: err.to } : {}),
            to_status: body.status,
          });
          throw new ApiError(
            'conflict',
            err.message,
            err instanceof WorkflowError ? { extra: { from: err.from, to: err.to } } : undefined,
          );
        }
        throw err;
      }
      c.get('deps').alerts.invalidate();
      if (result.kind === 'approval') {
        await audit(c, 'approval.propose', `${day}:${uscc}`, {
          status: 202,
          approval_id: result.approval.approval_id,
          proposed: result.approval.proposed,
        });
        return c.json({ ...result.approval, state: 'pending' }, 202);
      }
      const row = result.disposition;
      await audit(c, 'disposition.create', `${day}:${uscc}`, {
        status: 201,
        disposition_id: row.disposition_id,
        to: row.status,
        assignee: row.assignee,
        ...(result.referral === null
          ? {}
          : { referral_id: result.referral.referral_id, refer_to: result.referral.target }),
      });
      return c.json({ ...row, referral: result.referral }, 201);
    },
  );

  r.add(
    {
      method: 'post',
      path: '/v1/alerts/:id/reopen',
      operationId: 'reopenEnterprise',
      summary: 'Reopen a closed enterprise',
      description:
        "A supervisor (an admin, or a regulator of an office above the enterprise's) reopens an enterprise closed by 认定 or 排除, with a reason (new evidence): it goes back to 核查中, and the earlier case outcome is superseded — kept in the history, no longer a training label. 409 when it is not closed. Audited.",
      tag: 'alerts',
      roles: ['regulator', 'admin'],
      params: IdParams,
      body: z
        .strictObject({ reason: z.string().trim().min(1).max(2000) })
        .meta({ id: 'ReopenInput' }),
      responses: {
        201: {
          description: 'the 核查中 event',
          schema: Reopened,
        },
        403: { description: 'not a supervisor of this enterprise', schema: Problem },
        404: { description: 'no such alert', schema: Problem },
        409: { description: 'not closed', schema: Problem },
      },
    },
    async (c, { params, body }) => {
      const { db, now, jurisdictions } = c.get('deps');
      const { day, uscc } = params.id;
      const notFound = `no alert for ${uscc} on the list of ${day}`;
      const { scope, placement } = await requireVisible(c, uscc, { day, notFound });
      const entry = await getAlertEntry(db, day, uscc);
      if (!entry || entry.level === null) throw new ApiError('not_found', notFound);
      requireOwned(scope.offices, placement?.today ?? null, uscc);
      const out = await reopen(db, await jurisdictions.tree(), {
        day,
        uscc,
        reason: body.reason,
        actor: actorOf(c),
        office: placement?.today ?? null,
        now: now(),
      });
      c.get('deps').alerts.invalidate();
      c.get('deps').events.invalidate();
      await audit(c, 'disposition.reopen', `${day}:${uscc}`, {
        status: 201,
        disposition_id: out.disposition.disposition_id,
        superseded_batch: out.superseded_batch,
      });
      return c.json(out, 201);
    },
  );
}

/** Writes need the enterprise to belong to the caller's area today (not only on the list day). */
function requireOwned(
  offices: ReadonlySet<string> | null,
  today: string | null,
  uscc: string,
): void {
  if (offices !== null && (today === null || !offices.has(today)))
    throw new ApiError(
      'forbidden',
      `${uscc} belongs to another office now: only its own office (or one above) may change its review`,
    );
}
