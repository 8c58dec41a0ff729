/** OpenAPI 3.1 from the route declarations (zod v4 → JSON Schema 2020-12, which 3.1 uses). */
import { z } from 'zod';
import type { AnyRouteSpec } from './route.ts';
import { openApiPath } from './route.ts';
import { Problem } from './schemas.ts';

type Json = Record<string, unknown>;

function schemaOf(s: z.ZodType, io: 'input' | 'output'): Json {
  const j = z.toJSONSchema(s, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Json;
  delete j['$schema'];
  return j;
}

function parameters(s: z.ZodType | undefined, where: 'query' | 'path'): Json[] {
  if (!s) return [];
  const j = schemaOf(s, 'input');
  const props = (j['properties'] ?? {}) as Record<string, Json>;
  const required = new Set((j['required'] ?? []) as string[]);
  return Object.entries(props).map(([name, schema]) => {
    const { description, ...rest } = schema;
    return {
      name,
      in: where,
      required: where === 'path' || required.has(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
    };
  });
}

export function buildOpenApi(routes: readonly AnyRouteSpec[], info: { version: string }): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const r of routes) {
    const p = openApiPath(r.path);
    const op: Json = {
      operationId: r.operationId,
      summary: r.summary,
      ...(r.description ? { description: r.description } : {}),
      tags: [r.tag],
      'x-roles': r.roles === 'public' ? [] : r.roles,
      parameters: [...parameters(r.params, 'path'), ...parameters(r.query, 'query')],
      security: r.roles === 'public' ? [] : [{ bearerAuth: [] }],
      responses: {},
    };
    if (r.roles !== 'public') {
      op['description'] =
        `${(op['description'] as string | undefined) ?? ''}\n\nRoles: ${r.roles.join(', ')}.`.trim();
    }
    if (r.body) {
      op['requestBody'] = {
        required: true,
        content: { 'application/json': { schema: schemaOf(r.body, 'input') } },
      };
    }
    if (r.rawBody) {
      const content: Json = {};
      for (const t of r.rawBody.contentTypes)
        content[t] = { schema: { type: 'string', format: 'binary' } };
      op['requestBody'] = { required: true, description: r.rawBody.description, content };
    }
    const responses = op['responses'] as Json;
    for (const [status, spec] of Object.entries(r.responses)) {
      const content: Json = {};
      if (spec.contentTypes)
        for (const t of spec.contentTypes)
          content[t] = { schema: { type: 'string', format: 'binary' } };
      else if (spec.schema) {
        const isProblem = spec.schema === Problem;
        content[isProblem ? 'application/problem+json' : 'application/json'] = {
          schema: isProblem
            ? { $ref: '#/components/schemas/Problem' }
            : schemaOf(spec.schema, 'output'),
        };
      }
      responses[status] = {
        description: spec.description,
        ...(Object.keys(content).length ? { content } : {}),
      };
    }
    const problemRef = {
      content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
    };
    responses['400'] ??= {
      description: 'invalid request (unknown or malformed fields)',
      ...problemRef,
    };
    if (r.roles !== 'public') {
      responses['401'] = { description: 'no or bad bearer token', ...problemRef };
      responses['403'] = { description: 'role not allowed', ...problemRef };
    }
    (paths[p] ??= {})[r.method] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: '打非云 Dafei API',
      version: info.version,
      description:
        'Early warning of illegal fundraising (非法集资): daily alert lists with evidence, enterprise search, histories and networks, the review workflow, models, runs and exports. Errors are application/problem+json with a stable `code`. Every route but /healthz and /docs needs `Authorization: Bearer <token>`.',
    },
    servers: [{ url: '/' }],
    paths,
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } },
      schemas: { Problem: schemaOf(Problem, 'output') },
    },
  };
}
