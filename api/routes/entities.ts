/** GET /v1/entities, /v1/entities/{uscc}, /history, /network — every read is audited. */
import { z } from 'zod';
import {
  EntityProfile,
  EntitySearch,
  entityExists,
  entityHistory,
  entityNetwork,
  entityProfile,
  HistoryEvent,
  HISTORY_KINDS,
  searchEntities,
  type HistoryKind,
} from '../../pipeline/queries/index.ts';
import type { Router } from '../route.ts';
import { audit } from '../audit.ts';
import { ApiError } from '../errors.ts';
import { redact } from '../redact.ts';
import {
  assertVisible,
  callerScope,
  officeList,
  requireVisible,
  ScopedNetwork,
  scopedNetwork,
  today,
} from '../scope.ts';
import { PERSON_SEARCH_ROLES } from '../../pipeline/privacy/index.ts';
import { Cursor, decodeCursor, encodeCursor, Limit, Problem, Uscc } from '../schemas.ts';

const READERS = ['regulator', 'investigator', 'admin'] as const;
const UsccParams = z.strictObject({ uscc: Uscc });

const EntityHistory = z
  .object({
    uscc: z.string(),
    items: z.array(HistoryEvent),
    has_more: z.boolean(),
    next_cursor: z.string().nullable(),
  })
  .meta({ id: 'EntityHistory' });

const Kinds = z
  .string()
  .max(200)
  .transform((s, ctx) => {
    const kinds = s
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean);
    for (const k of kinds) {
      if (!(HISTORY_KINDS as readonly string[]).includes(k)) {
        ctx.addIssue({
          code: 'custom',
          message: `unknown kind ${k}; kinds: ${HISTORY_KINDS.join(', ')}`,
        });
        return z.NEVER;
      }
    }
    return kinds as HistoryKind[];
  })
  .meta({ description: `comma-separated: ${HISTORY_KINDS.join(', ')}` });

export function entityRoutes(r: Router): void {
  r.add(
    {
      method: 'get',
      path: '/v1/entities',
      operationId: 'searchEntities',
      summary: 'Search enterprises',
      description:
        "By USCC (exact), phone (digits), or text: name and former names (exact, contained, or by shared character bigrams, so 汇福投资 finds 汇富投资), legal representative (exact), address (contained). Full-width characters and spaces are normalised. Searching by a person (legal representative, phone) is a permission of investigators and admins; regulators search enterprises only. Only enterprises of the caller's area (today) are found. Audited.",
      tag: 'entities',
      roles: READERS,
      query: z.strictObject({ q: z.string().min(1).max(100), limit: Limit(20) }),
      responses: {
        200: { description: 'matches, best first', schema: EntitySearch },
      },
    },
    async (c, { query }) => {
      const role = c.get('principal')!.role;
      const people = PERSON_SEARCH_ROLES.includes(role);
      const scope = await callerScope(c);
      const res = await searchEntities(c.get('deps').db, query.q, query.limit, {
        people,
        scope: { offices: officeList(scope), today: today(c) },
      });
      await audit(c, 'entity.search', null, {
        q: query.q,
        mode: res.mode,
        hits: res.items.length,
        person_search: people,
        ...(res.items.some((i) => i.match === 'legal_rep') ? { matched_person: true } : {}),
      });
      return c.json(redact(res, role, await c.get('deps').privacy.names()));
    },
  );

  r.add(
    {
      method: 'get',
      path: '/v1/entities/:uscc',
      operationId: 'getEntity',
      summary: 'Read an enterprise profile',
      description:
        "The latest register snapshot, former names, counts, the latest list entry, the review state and case outcomes. 404 outside the caller's area (as of today). Audited.",
      tag: 'entities',
      roles: READERS,
      params: UsccParams,
      responses: {
        200: { description: 'profile', schema: EntityProfile },
        404: { description: 'unknown', schema: Problem },
      },
    },
    async (c, { params }) => {
      const { db, scores } = c.get('deps');
      await requireVisible(c, params.uscc, { notFound: `no enterprise with USCC ${params.uscc}` });
      const profile = await entityProfile(db, params.uscc, await scores.ensure());
      await audit(c, 'entity.read', params.uscc);
      return c.json(redact(profile, c.get('principal')!.role, await c.get('deps').privacy.names()));
    },
  );

  r.add(
    {
      method: 'get',
      path: '/v1/entities/:uscc/history',
      operationId: 'getEntityHistory',
      summary: 'Read an enterprise timeline',
      description:
        'One timeline, newest first: establishment, registration changes, ads, complaints, daily scores (current revision of each day), dispositions and case outcomes. Page with `cursor` = `next_cursor`. Audited.',
      tag: 'entities',
      roles: READERS,
      params: UsccParams,
      query: z.strictObject({
        kinds: Kinds.optional(),
        limit: Limit(100),
        cursor: Cursor.optional(),
      }),
      responses: {
        200: {
          description: 'timeline page',
          schema: EntityHistory,
        },
      },
    },
    async (c, { params, query }) => {
      const { db, scores, events } = c.get('deps');
      const notFound = `no enterprise with USCC ${params.uscc}`;
      const scope = await callerScope(c);
      let before: string | undefined;
      try {
        before =
          query.cursor === undefined
            ? undefined
            : decodeCursor(query.cursor, z.strictObject({ b: z.string().max(200) })).b;
      } catch (err) {
        // an enterprise the caller may not see is not found, whatever the cursor
        await requireVisible(c, params.uscc, { notFound });
        throw err;
      }
      const t = today(c);
      // the placement comes with the timeline (one round trip); nothing is answered before the check
      const page = await entityHistory(db, params.uscc, {
        ...(query.kinds ? { kinds: query.kinds } : {}),
        ...(before === undefined ? {} : { before }),
        limit: query.limit,
        freshScores: await scores.ensure(),
        freshEvents: await events.ensure(),
        placement: { day: t, today: t },
      });
      assertVisible(scope, page.placement, { atDay: false, notFound });
      if (
        page.items.length === 0 &&
        before === undefined &&
        !(await entityExists(db, params.uscc))
      ) {
        throw new ApiError('not_found', notFound);
      }
      const last = page.items[page.items.length - 1];
      await audit(c, 'entity.history', params.uscc);
      const body: z.output<typeof EntityHistory> = {
        uscc: params.uscc,
        items: page.items,
        has_more: page.has_more,
        next_cursor: page.has_more && last ? encodeCursor({ b: last.key }) : null,
      };
      return c.json(redact(body, c.get('principal')!.role, await c.get('deps').privacy.names()));
    },
  );

  r.add(
    {
      method: 'get',
      path: '/v1/entities/:uscc/network',
      operationId: 'getEntityNetwork',
      summary: 'Read an enterprise network',
      description:
        "Enterprises sharing a legal representative, address, phone or shareholder with it (in any register snapshot), confirmed cases first, and its distance to confirmed cases. A neighbour outside the caller's area appears as `another jurisdiction` (other_jurisdiction: true) with the kinds of tie only: no USCC, name or shared value. Audited.",
      tag: 'entities',
      roles: READERS,
      params: UsccParams,
      query: z.strictObject({ limit: Limit(50) }),
      responses: { 200: { description: 'network', schema: ScopedNetwork } },
    },
    async (c, { params, query }) => {
      const { scope } = await requireVisible(c, params.uscc, {
        notFound: `no enterprise with USCC ${params.uscc}`,
      });
      const net = await scopedNetwork(
        c,
        await entityNetwork(c.get('deps').db, params.uscc, query.limit),
        scope,
      );
      await audit(c, 'entity.network', params.uscc);
      return c.json(redact(net, c.get('principal')!.role, await c.get('deps').privacy.names()));
    },
  );
}
