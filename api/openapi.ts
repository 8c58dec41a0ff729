/**
 * OpenAPI 3.1 from the route declarations (zod v4 → JSON Schema 2020-12, which 3.1 uses).
 *
 * Every schema with a zod `.meta({ id })` becomes one entry of `components/schemas` and is
 * referenced as `#/components/schemas/<id>` wherever it is used: zod's `z.toJSONSchema` puts such
 * schemas in the converted schema's own `$defs` with `#/$defs/<id>` references, which resolve
 * nowhere once the schema sits inside an OpenAPI document, so they are hoisted here. A schema
 * whose request form (`io: 'input'`: defaults optional, objects open) differs from its response
 * form gets a second entry, `<id>Input`.
 *
 * Response bodies are redacted by role (api/redact.ts): a personal field of the catalogue
 * (pipeline/privacy) may be absent at any depth, so response schemas never require one.
 */
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import type { AnyRouteSpec } from './route.ts';
import { openApiPath } from './route.ts';
import { Problem } from './schemas.ts';
import { PERSONAL_FIELDS } from '../pipeline/privacy/index.ts';

type Json = Record<string, unknown>;

const DEFS_REF = '#/$defs/';
const COMPONENTS_REF = '#/components/schemas/';

/** Rewrites every `$ref: #/$defs/<name>` in `node` to `#/components/schemas/<names[name]>`. */
function rewriteRefs(node: unknown, names: ReadonlyMap<string, string>): unknown {
  if (Array.isArray(node)) return node.map((v) => rewriteRefs(v, names));
  if (node === null || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node as Json)) {
    if (k === '$ref' && typeof v === 'string' && v.startsWith(DEFS_REF)) {
      const name = v.slice(DEFS_REF.length);
      const target = names.get(name);
      if (target === undefined) throw new Error(`[openapi] $ref ${v} names no definition`);
      out[k] = COMPONENTS_REF + target;
    } else out[k] = rewriteRefs(v, names);
  }
  return out;
}

const PERSONAL_NOTE = 'personal data: absent for roles that may not read it (docs/security.md)';

/**
 * A response schema as redactFor leaves it: personal fields (and the before / after of a register
 * change, which may name a person) are optional, wherever they are.
 */
function personalOptional(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(personalOptional);
  if (node === null || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node as Json)) out[k] = personalOptional(v);
  const props = out['properties'] as Record<string, Json> | undefined;
  const required = out['required'] as string[] | undefined;
  if (props && required) {
    const change = 'field' in props;
    const personal = (k: string) =>
      Object.hasOwn(PERSONAL_FIELDS, k) || (change && (k === 'before' || k === 'after'));
    out['required'] = required.filter((k) => !personal(k));
    for (const k of Object.keys(props))
      if (personal(k) && props[k]!['description'] === undefined)
        props[k] = { ...props[k], description: PERSONAL_NOTE };
  }
  return out;
}

/** The document's `components/schemas`, filled as the routes' schemas are converted. */
class Components {
  readonly schemas: Record<string, Json> = {};

  /** JSON Schema of `s` whose named parts are references into `components/schemas`. */
  convert(s: z.ZodType, io: 'input' | 'output'): Json {
    const raw = z.toJSONSchema(s, { io, unrepresentable: 'any', target: 'draft-2020-12' });
    const j = (io === 'output' ? personalOptional(raw) : raw) as Json;
    delete j['$schema'];
    const defs = (j['$defs'] ?? {}) as Record<string, Json>;
    delete j['$defs'];
    // Same id, same schema: one entry. A request form that differs gets its own `<id>Input`.
    const names = new Map<string, string>();
    for (const name of Object.keys(defs)) {
      const wanted = rewriteRefs(defs[name], new Map(Object.keys(defs).map((n) => [n, n])));
      const existing = this.schemas[name];
      names.set(
        name,
        existing === undefined || isDeepStrictEqual(existing, wanted) || io === 'output'
          ? name
          : `${name}Input`,
      );
    }
    for (const [name, def] of Object.entries(defs)) {
      const target = names.get(name)!;
      const value = rewriteRefs(def, names) as Json;
      const existing = this.schemas[target];
      if (existing !== undefined && !isDeepStrictEqual(existing, value))
        throw new Error(
          `[openapi] two different schemas are both named ${target}: give one another id`,
        );
      this.schemas[target] = value;
    }
    return rewriteRefs(j, names) as Json;
  }

  /** The schema a reference points to (or the schema itself). */
  deref(j: Json): Json {
    const ref = j['$ref'];
    return typeof ref === 'string' && ref.startsWith(COMPONENTS_REF)
      ? (this.schemas[ref.slice(COMPONENTS_REF.length)] ?? j)
      : j;
  }
}

function parameters(c: Components, s: z.ZodType | undefined, where: 'query' | 'path'): Json[] {
  if (!s) return [];
  const j = c.deref(c.convert(s, 'input'));
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
  const components = new Components();
  const problemRef = { $ref: components.convert(Problem, 'output')['$ref'] };
  // response forms first, so a schema's name is its response form and a differing request form
  // is the one renamed
  for (const r of routes)
    for (const spec of Object.values(r.responses))
      if (spec.schema) components.convert(spec.schema, 'output');
  for (const r of routes) {
    const p = openApiPath(r.path);
    const op: Json = {
      operationId: r.operationId,
      summary: r.summary,
      ...(r.description ? { description: r.description } : {}),
      tags: [r.tag],
      'x-roles': r.roles === 'public' ? [] : r.roles,
      parameters: [
        ...parameters(components, r.params, 'path'),
        ...parameters(components, r.query, 'query'),
      ],
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
        content: { 'application/json': { schema: components.convert(r.body, 'input') } },
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
          schema: isProblem ? problemRef : components.convert(spec.schema, 'output'),
        };
      }
      responses[status] = {
        description: spec.description,
        ...(Object.keys(content).length ? { content } : {}),
      };
    }
    const problem = { content: { 'application/problem+json': { schema: problemRef } } };
    responses['400'] ??= {
      description: 'invalid request (unknown or malformed fields)',
      ...problem,
    };
    if (r.roles !== 'public') {
      responses['401'] = { description: 'no or bad bearer token', ...problem };
      responses['403'] = { description: 'role not allowed', ...problem };
    }
    (paths[p] ??= {})[r.method] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: '打非云 Dafei API',
      version: info.version,
      license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
      description:
        'Early warning of illegal fundraising (非法集资): daily alert lists with evidence, enterprise search, histories and networks, the review workflow, models, runs and exports. Errors are application/problem+json with a stable `code`. Every route but /healthz and /docs needs `Authorization: Bearer <token>`.',
    },
    servers: [{ url: '/' }],
    paths,
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } },
      schemas: components.schemas,
    },
  };
}
