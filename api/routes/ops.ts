/** GET /v1/runs, POST /v1/runs, GET /v1/quarantine, GET /v1/audit */
import { z } from 'zod';
import {
  AuditRow,
  hideUrls,
  listAudit,
  listQuarantine,
  listRuns,
  OperationsState,
  operationsState,
  QuarantineRow,
  RunRow,
} from '../../pipeline/queries/index.ts';
import type { Router } from '../route.ts';
import { audit } from '../audit.ts';
import { ApiError } from '../errors.ts';
import { redact } from '../redact.ts';
import type { Role } from '../../pipeline/auth/index.ts';
import { seesAll, type NameMatcher } from '../../pipeline/privacy/index.ts';
import { Cursor, Day, decodeCursor, encodeCursor, Limit, Problem } from '../schemas.ts';
import { FEED_NAMES } from '../../pipeline/feeds/index.ts';

/** CSV cells kept as they are for a role that may not see personal data: dates, numbers, codes. */
const PLAIN_CELL = /^(?:[\d\s:./+TZ-]*|[a-z_0-9]{1,20})$/;

/**
 * A raw line for a role that may not see all personal data: a parseable NDJSON record redacted
 * field by field (complainant_ref, legal_rep…) and written back as JSON; any other line (CSV,
 * whose header is not kept, so a cell's meaning is unknown) with every cell masked except dates,
 * numbers and lower-case codes, so its shape — and the broken cell — still shows.
 */
function rawFor(raw: string, role: Role, names: NameMatcher): string {
  if (seesAll(role)) return raw;
  if (raw.startsWith('{')) {
    try {
      return JSON.stringify(redact(JSON.parse(raw) as unknown, role, names));
    } catch {
      // not JSON after all: masked as CSV below
    }
  }
  return raw
    .split(',')
    .map((cell) => (PLAIN_CELL.test(cell.replace(/^"|"$/g, '')) ? cell : '*'.repeat(cell.length)))
    .join(',');
}

const Id = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

/** A keyset page of `item`, newest first. */
const pageOf = (id: string, item: z.ZodType) =>
  z
    .object({ items: z.array(item), has_more: z.boolean(), next_cursor: z.string().nullable() })
    .meta({ id });
const RunPage = z
  .object({
    items: z.array(RunRow),
    has_more: z.boolean(),
    next_cursor: z.string().nullable(),
    ...OperationsState.shape,
  })
  .meta({ id: 'RunPage' });
const QuarantinePage = pageOf('QuarantinePage', QuarantineRow);
const AuditPage = pageOf('AuditPage', AuditRow);

export function opsRoutes(r: Router): void {
  r.add(
    {
      method: 'get',
      path: '/v1/runs',
      operationId: 'listRuns',
      summary: 'List job runs',
      description:
        'The run ledger, newest first (status queued → running → ok | failed | held | warning), and beside it what needs an admin: `held_batches` (feed batches held back, not applied), `rejected_files` (drop-folder files moved aside, with the reason) and open `notices` (a list ranked by the rule index because the model failed, a day that failed every retry, a failed backup). Source URLs are shown to admins only.',
      tag: 'runs',
      roles: ['regulator', 'investigator', 'data_scientist', 'admin'],
      query: z.strictObject({
        job: z.string().max(100).optional(),
        status: z.enum(['queued', 'running', 'ok', 'failed', 'held', 'warning']).optional(),
        limit: Limit(50),
        cursor: Cursor.optional(),
      }),
      responses: {
        200: {
          description: 'the run ledger, newest first, and what needs an admin',
          schema: RunPage,
        },
      },
    },
    async (c, { query }) => {
      const before =
        query.cursor === undefined
          ? undefined
          : decodeCursor(query.cursor, z.strictObject({ b: Id })).b;
      const { db } = c.get('deps');
      const page = await listRuns(db, {
        ...(query.job === undefined ? {} : { job: query.job }),
        ...(query.status === undefined ? {} : { status: query.status }),
        ...(before === undefined ? {} : { before }),
        limit: query.limit,
      });
      const ops = await db.exclusive((inner) => operationsState(inner));
      const admin = c.get('principal')?.role === 'admin';
      const last = page.items[page.items.length - 1];
      return c.json({
        items: admin
          ? page.items
          : page.items.map((r) => ({ ...r, target: hideUrls(r.target), error: hideUrls(r.error) })),
        has_more: page.has_more,
        next_cursor: page.has_more && last ? encodeCursor({ b: last.run_id }) : null,
        held_batches: admin
          ? ops.held_batches
          : ops.held_batches.map((h) => ({ ...h, source: hideUrls(h.source) })),
        rejected_files: ops.rejected_files,
        notices: admin
          ? ops.notices
          : ops.notices.map((n) => ({ ...n, message: hideUrls(n.message) })),
      });
    },
  );

  r.add(
    {
      method: 'post',
      path: '/v1/runs',
      operationId: 'triggerRun',
      summary: 'Trigger a daily run',
      description:
        'Queues features → scores → publish for `date`; follow it in GET /v1/runs by its `job_id` (the ledger row, status queued → running → ok | failed). 409 when the run of that day is already queued or running; 503 when this server cannot run jobs.',
      tag: 'runs',
      roles: ['data_scientist', 'admin'],
      wholeTree: true,
      body: z.strictObject({ date: Day }).meta({ id: 'RunInput' }),
      responses: {
        202: {
          description: 'queued',
          schema: z
            .object({
              date: z.string(),
              accepted: z.literal(true),
              job_id: z
                .number()
                .int()
                .nullable()
                .meta({ description: 'the ledger row (GET /v1/runs) that follows the run' }),
              status: z.literal('queued'),
            })
            .meta({ id: 'RunAccepted' }),
        },
        409: { description: 'that day is already queued or running', schema: Problem },
        503: { description: 'no scheduler', schema: Problem },
      },
    },
    async (c, { body }) => {
      const { triggerRun } = c.get('deps');
      if (!triggerRun)
        throw new ApiError(
          'unavailable',
          'this server was started without a scheduler: runs cannot be triggered here',
        );
      let queued: { jobId: number | null } | void;
      try {
        queued = await triggerRun(body.date);
      } catch (err) {
        await audit(c, 'run.trigger', body.date, { status: 409 });
        throw err;
      }
      const jobId = queued ? queued.jobId : null;
      await audit(c, 'run.trigger', body.date, { status: 202, job_id: jobId });
      return c.json({ date: body.date, accepted: true, job_id: jobId, status: 'queued' }, 202);
    },
  );

  r.add(
    {
      method: 'get',
      path: '/v1/quarantine',
      operationId: 'listQuarantine',
      summary: 'Browse the quarantine',
      description:
        'Records that broke the feed contract, with source, line, raw text and the reason. Newest batch first. A broken record cannot be placed in an office, so only accounts of the whole tree see the quarantine.',
      tag: 'runs',
      roles: ['data_scientist', 'admin'],
      wholeTree: true,
      query: z.strictObject({
        feed: z.enum(FEED_NAMES).optional(),
        batch: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
        limit: Limit(50),
        cursor: Cursor.optional(),
      }),
      responses: {
        200: {
          description: 'quarantined records',
          schema: QuarantinePage,
        },
      },
    },
    async (c, { query }) => {
      const after =
        query.cursor === undefined
          ? undefined
          : decodeCursor(query.cursor, z.strictObject({ batch: Id, line: Id }));
      const page = await listQuarantine(c.get('deps').db, {
        ...(query.feed === undefined ? {} : { feed: query.feed }),
        ...(query.batch === undefined ? {} : { batch: query.batch }),
        ...(after === undefined ? {} : { after }),
        limit: query.limit,
      });
      const last = page.items[page.items.length - 1];
      await audit(c, 'quarantine.read', query.feed ?? null, { rows: page.items.length });
      // raw lines are whatever the source sent: names, phones, ID numbers masked by meaning;
      // source URLs are for admins only
      const role = c.get('principal')!.role;
      const names = await c.get('deps').privacy.names();
      return c.json({
        ...page,
        items: page.items.map((i) => ({
          ...i,
          raw: rawFor(i.raw, role, names),
          ...(role === 'admin' ? {} : { source: hideUrls(i.source) }),
        })),
        next_cursor:
          page.has_more && last ? encodeCursor({ batch: last.batch_id, line: last.line_no }) : null,
      });
    },
  );

  r.add(
    {
      method: 'get',
      path: '/v1/audit',
      operationId: 'listAudit',
      summary: 'Read the audit log',
      tag: 'admin',
      roles: ['admin'],
      wholeTree: true,
      query: z.strictObject({
        actor: z.string().max(100).optional(),
        action: z.string().max(100).optional(),
        target: z.string().max(100).optional(),
        limit: Limit(100),
        cursor: Cursor.optional(),
      }),
      responses: {
        200: {
          description: 'entries, newest first',
          schema: AuditPage,
        },
      },
    },
    async (c, { query }) => {
      const before =
        query.cursor === undefined
          ? undefined
          : decodeCursor(query.cursor, z.strictObject({ b: Id })).b;
      await c.get('deps').audit.flush();
      const page = await listAudit(c.get('deps').db, {
        ...(query.actor === undefined ? {} : { actor: query.actor }),
        ...(query.action === undefined ? {} : { action: query.action }),
        ...(query.target === undefined ? {} : { target: query.target }),
        ...(before === undefined ? {} : { before }),
        limit: query.limit,
      });
      const last = page.items[page.items.length - 1];
      return c.json({
        ...page,
        next_cursor: page.has_more && last ? encodeCursor({ b: last.audit_id }) : null,
      });
    },
  );
}
