/** GET /v1/alerts, GET /v1/alerts/{id}, POST /v1/alerts/{id}/dispositions */
import { z } from 'zod';
import {
  adsOf,
  changesOf,
  complaintsOf,
  dispositionsOf,
  DISPOSITION_STATUSES,
  entityNetwork,
  getAlertEntry,
  listedRowOf,
  recordDisposition,
  registerAnomalies,
  WorkflowError,
  type AlertRow,
} from '../../pipeline/queries/index.ts';
import type { Role } from '../../pipeline/auth/index.ts';
import type { Router } from '../route.ts';
import { audit } from '../audit.ts';
import { ApiError } from '../errors.ts';
import { redact } from '../redact.ts';
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
  Obj,
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
  limit: Limit(50),
  cursor: Cursor.optional(),
});

const CursorShape = z.strictObject({
  d: Day,
  r: z.number().int().min(1).max(1_000_000),
  k: z.number().int().min(0).max(100_000_000),
  f: z.string().max(400),
});

const Reason = z.object({
  feature: z.string(),
  label: z.string(),
  value: z.number(),
  contribution: z.number(),
  text: z.string(),
});
const Alert = z
  .object({
    id: z.string(),
    day: z.string(),
    revision: z.number().int(),
    rank: z.number().int(),
    uscc: z.string(),
    name: z.string().nullable(),
    district: z.string().nullable(),
    legal_rep: z
      .string()
      .nullable()
      .optional()
      .meta({ description: 'a person name: hidden from data_scientist (docs/security.md)' }),
    score: z.number(),
    level: Level,
    rule_score: z.number(),
    reasons: z.array(Reason),
    change: z.enum(['new', 'level_up', 'level_down']).nullable(),
    prev_level: z.string().nullable(),
    status: z.enum(DISPOSITION_STATUSES),
    assignee: z.string().nullable(),
  })
  .meta({ id: 'Alert' });

const AlertPage = z
  .object({
    date: z.string().nullable(),
    revision: z.number().int().nullable(),
    items: z.array(Alert),
    has_more: z.boolean(),
    next_cursor: z.string().nullable(),
  })
  .meta({ id: 'AlertPage' });

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
    redact({ id: item.id, day: item.day, revision: item.revision }, role, names),
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
        "One day's published list (its current revision), in rank order. Keyset pagination: pass `next_cursor` as `cursor`; a cursor pins the revision and the filters, so pages stay consistent when a new revision is published.",
      tag: 'alerts',
      roles: ALL,
      query: AlertsQuery,
      responses: {
        200: { description: 'a page of alerts', schema: AlertPage },
        400: { description: 'invalid query', schema: Problem },
      },
    },
    async (c, { query }) => {
      const filters = JSON.stringify([query.level, query.district, query.status, query.q]);
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
      });
      const last = page.items[page.items.length - 1];
      const next_cursor =
        page.has_more && last && page.day && page.revision
          ? encodeCursor({ d: page.day, r: page.revision, k: last.rank, f: filters })
          : null;
      // person names known to the register: needed only to mask them for roles that may not see them
      const names = seesAll(role) ? NO_NAMES : await privacy.names();
      // a page with legal representatives is a read of personal data (group-committed entry)
      if (maySee(role, 'person_name') && page.items.length > 0)
        await audit(c, 'alert.list', page.day, {
          revision: page.revision,
          rows: page.items.length,
          first_rank: page.items[0]!.rank,
          ...(query.q === undefined ? {} : { q: query.q, person_search: personSearch }),
        });
      const head = JSON.stringify(redact({ date: page.day, revision: page.revision }, role));
      const tail = JSON.stringify(redact({ has_more: page.has_more, next_cursor }, role));
      // the same JSON as c.json(redact(page)), but each listed row is serialised once per role
      return c.body(
        `${head.slice(0, -1)},"items":[${page.items.map((i) => alertJson(i, role, names)).join(',')}],${tail.slice(1)}`,
        200,
        { 'content-type': 'application/json' },
      );
    },
  );

  r.add(
    {
      method: 'get',
      path: '/v1/alerts/:id',
      operationId: 'getAlert',
      summary: 'Read an alert',
      description:
        'The score as issued, its reasons in words, and the evidence as of the list day: ads of the last 90 days with red-flag phrases and promised yields marked as `spans` (offsets in UTF-16 code units of `text`, end exclusive), complaints, register changes and anomalies, network neighbours, and the disposition history. Audited.',
      tag: 'alerts',
      roles: ALL,
      params: IdParams,
      query: z.strictObject({ revision: z.coerce.number().int().min(1).max(1_000_000).optional() }),
      responses: {
        200: {
          description: 'the alert with its evidence',
          schema: Obj('AlertDetail', 'alert, evidence, dispositions'),
        },
        404: { description: 'no such alert', schema: Problem },
      },
    },
    async (c, { params, query }) => {
      const { db } = c.get('deps');
      const { day, uscc } = params.id;
      const entry = await getAlertEntry(db, day, uscc, query.revision);
      if (!entry || entry.level === null) {
        throw new ApiError('not_found', `no alert for ${uscc} on the list of ${day}`);
      }
      const [ads, complaints, changes, network, dispositions] = [
        await adsOf(db, uscc, day, { days: 90, limit: 20 }),
        await complaintsOf(db, uscc, day, { days: 90, limit: 20 }),
        await changesOf(db, uscc, day, 365),
        await entityNetwork(db, uscc, 10),
        await dispositionsOf(db, uscc),
      ];
      const { features, contributions, ...alert } = entry;
      const body = {
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
        "Appends one event to the enterprise's review workflow: 待核查 → 核查中 → 排除 | 移交 | 认定 (移交 → 排除 | 认定). Repeating the current state changes only the assignee / note. 认定 and 排除 also write a case_outcomes record (confirmed / cleared) that the next training uses. 409 on a transition the workflow does not allow. Audited.",
      tag: 'alerts',
      roles: REVIEWERS,
      params: IdParams,
      body: DispositionBody,
      responses: {
        201: {
          description: 'the event as stored',
          schema: Obj('Disposition', 'one workflow event'),
        },
        404: { description: 'no such alert', schema: Problem },
        409: { description: 'transition not allowed', schema: Problem },
      },
    },
    async (c, { params, body }) => {
      const { db, now } = c.get('deps');
      const p = c.get('principal')!;
      const { day, uscc } = params.id;
      const entry = await getAlertEntry(db, day, uscc);
      if (!entry || entry.level === null)
        throw new ApiError('not_found', `no alert for ${uscc} on the list of ${day}`);
      let row;
      try {
        row = await recordDisposition(db, {
          day,
          uscc,
          status: body.status,
          actor: p.name,
          role: p.role,
          note: body.note,
          assignee: body.assignee,
          caseRef: body.case_ref,
          now: now(),
        });
      } catch (err) {
        if (err instanceof WorkflowError) {
          await audit(c, 'disposition.rejected', `${day}:${uscc}`, {
            status: 409,
            from: err.from,
            to: err.to,
          });
          throw new ApiError('conflict', err.message, { extra: { from: err.from, to: err.to } });
        }
        throw err;
      }
      c.get('deps').alerts.invalidate();
      // an 认定 / 排除 wrote a case outcome, which timelines read from api_entity_events
      c.get('deps').events.invalidate();
      await audit(c, 'disposition.create', `${day}:${uscc}`, {
        status: 201,
        disposition_id: row.disposition_id,
        to: row.status,
        assignee: row.assignee,
        ...(row.outcome_batch === null ? {} : { outcome_batch: row.outcome_batch }),
      });
      return c.json(row, 201);
    },
  );
}
