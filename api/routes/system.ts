/** /healthz, /metrics, /openapi.json, /docs (login and accounts: routes/accounts.ts) */
import type { Router } from '../route.ts';
import { ApiError } from '../errors.ts';
import { buildOpenApi } from '../openapi.ts';
import { docsPage } from '../docs.ts';
import { Obj, Problem } from '../schemas.ts';

export const API_VERSION = '1.0.0';

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
        200: { description: 'healthy', schema: Obj('Health', '{ status, db, latest_list }') },
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
      return c.json({ status: 'ok', db: 'ok', latest_list: latest, version: API_VERSION });
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
      responses: { 200: { description: 'OpenAPI 3.1', schema: Obj('OpenApi', 'the document') } },
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
