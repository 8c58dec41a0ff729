/** /healthz, /metrics, /openapi.json, /docs (login and accounts: routes/accounts.ts) */
import { dbFatalError } from '../../pipeline/db/index.ts';
import type { Router } from '../route.ts';
import { ApiError } from '../errors.ts';
import { buildOpenApi } from '../openapi.ts';
import { docsPage } from '../docs.ts';
import { z } from 'zod';
import { Problem } from '../schemas.ts';

export const API_VERSION = '1.0.0';

const Health = z
  .object({
    status: z.literal('ok'),
    db: z.literal('ok'),
    latest_list: z
      .string()
      .nullable()
      .meta({ description: 'the latest day with a published list' }),
    version: z.string(),
  })
  .meta({ id: 'Health' });

/** This document: its own schema is the OpenAPI 3.1 specification's. */
const OpenApiDocument = z
  .object({
    openapi: z.literal('3.1.0'),
    info: z.looseObject({ title: z.string(), version: z.string() }),
    servers: z.array(z.object({ url: z.string() })),
    paths: z
      .record(z.string(), z.record(z.string(), z.looseObject({ operationId: z.string() })))
      .meta({ description: 'path items (https://spec.openapis.org/oas/v3.1.0#paths-object)' }),
    components: z.looseObject({
      schemas: z
        .record(z.string(), z.record(z.string(), z.unknown()))
        .meta({ description: 'JSON Schema 2020-12 objects, by name' }),
    }),
  })
  .meta({ id: 'OpenApiDocument' });

export function systemRoutes(r: Router): void {
  r.add(
    {
      method: 'get',
      path: '/healthz',
      operationId: 'health',
      summary: 'Health',
      description:
        'Ready: 200 when the database answers, 503 otherwise — also after a fatal database error (a full disk, an invalidated database), until the process restarts. No token needed.',
      tag: 'system',
      roles: 'public',
      responses: {
        200: { description: 'healthy', schema: Health },
        503: { description: 'unhealthy', schema: Problem },
      },
    },
    async (c) => {
      const { db } = c.get('deps');
      const fatal = dbFatalError(db.path);
      if (fatal) {
        throw new ApiError(
          'unavailable',
          'not ready: the database failed fatally (disk full or invalidated; the error is in the server log); the process exits so that its supervisor restarts it',
          { cause: fatal },
        );
      }
      let latest: string | null;
      try {
        const row = await db.one<{ d: string | null }>(
          `SELECT max(day)::VARCHAR AS d FROM list_revisions`,
        );
        latest = row?.d ?? null;
      } catch (err) {
        throw new ApiError('unavailable', 'the database does not answer', { cause: err });
      }
      const body: z.output<typeof Health> = {
        status: 'ok',
        db: 'ok',
        latest_list: latest,
        version: API_VERSION,
      };
      return c.json(body);
    },
  );

  r.add(
    {
      method: 'get',
      path: '/metrics',
      operationId: 'metrics',
      summary: 'Prometheus metrics',
      description:
        'Request counts and latency histograms per route, process memory, DB lock queue; for alerting: open operations notices, held feed batches, a fatal database error (dafei_ops_open_notices, dafei_ops_held_batches, dafei_db_fatal).',
      tag: 'system',
      roles: ['admin'],
      responses: {
        200: {
          description: 'Prometheus text format 0.0.4',
          contentTypes: ['text/plain; version=0.0.4'],
        },
      },
    },
    async (c) => {
      const { metrics, db } = c.get('deps');
      // what needs an admin, for alerting: open notices, held batches, a fatal database error
      const fatal = dbFatalError(db.path) ? 1 : 0;
      const ops = fatal
        ? { notices: 0, held: 0 }
        : ((await db
            .one<{ notices: number; held: number }>(
              `SELECT (SELECT count(*) FROM ops_notices WHERE resolved_at IS NULL)::INTEGER AS notices,
                      (SELECT count(*) FROM held_batches WHERE status = 'held')::INTEGER AS held`,
            )
            .catch(() => undefined)) ?? { notices: 0, held: 0 });
      return c.text(
        metrics.render({
          dafei_db_waiting: db.waiting,
          dafei_db_connections: db.connections,
          dafei_db_fatal: fatal,
          dafei_ops_open_notices: ops.notices,
          dafei_ops_held_batches: ops.held,
        }),
        200,
        {
          'content-type': 'text/plain; version=0.0.4; charset=utf-8',
        },
      );
    },
  );

  r.add(
    {
      method: 'get',
      path: '/openapi.json',
      operationId: 'openapi',
      summary: 'The OpenAPI 3.1 document',
      tag: 'system',
      roles: ['regulator', 'investigator', 'data_scientist', 'admin'],
      responses: { 200: { description: 'OpenAPI 3.1', schema: OpenApiDocument } },
    },
    (c) => c.json(buildOpenApi(r.routes, { version: API_VERSION })),
  );

  r.add(
    {
      method: 'get',
      path: '/docs',
      operationId: 'docs',
      summary: 'Interactive API reference',
      tag: 'system',
      roles: 'public',
      responses: { 200: { description: 'HTML page', contentTypes: ['text/html'] } },
    },
    (c) =>
      c.html(docsPage(buildOpenApi(r.routes, { version: API_VERSION })), 200, {
        'content-security-policy':
          "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' blob: data:",
      }),
  );
}
