/** /healthz, /metrics, /openapi.json, /docs (login and accounts: routes/accounts.ts) */
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
      description: '200 when the database answers, 503 otherwise. No token needed.',
      tag: 'system',
      roles: 'public',
      responses: {
        200: { description: 'healthy', schema: Health },
        503: { description: 'unhealthy', schema: Problem },
      },
    },
    async (c) => {
      const { db } = c.get('deps');
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
        'Request counts and latency histograms per route, process memory, DB lock queue.',
      tag: 'system',
      roles: ['admin'],
      responses: {
        200: {
          description: 'Prometheus text format 0.0.4',
          contentTypes: ['text/plain; version=0.0.4'],
        },
      },
    },
    (c) => {
      const { metrics, db } = c.get('deps');
      return c.text(
        metrics.render({ dafei_db_waiting: db.waiting, dafei_db_connections: db.connections }),
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
