/**
 * Test helper: every response an app gives through `app.request` is checked against the OpenAPI
 * document's schema for its route, method and status (Ajv, JSON Schema 2020-12), so the document
 * cannot drift from what the routes answer: a test that reads a body its route's schema does not
 * describe fails there, naming the route and the mismatch. Checked: the declared status's content
 * type and JSON body (problems too: every route declares 400, and 401 / 403 unless public); a
 * success status the route does not declare. Not checked: paths outside the document (the
 * dashboard) and error statuses a route does not declare (e.g. the body limit's 413).
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { createApp } from './app.ts';
import { buildOpenApi } from './openapi.ts';

type App = ReturnType<typeof createApp>;
type Json = Record<string, unknown>;
interface Operation {
  responses: Record<string, { content?: Record<string, { schema: Json }> }>;
}

const ID = 'https://dafei.invalid/openapi.json';

/** A route of the document: its method, template and a matcher for concrete paths. */
interface Template {
  method: string;
  path: string;
  re: RegExp;
  params: number;
}

function templatesOf(doc: { paths: Record<string, Record<string, Operation>> }): Template[] {
  const out: Template[] = [];
  for (const [path, ops] of Object.entries(doc.paths))
    for (const method of Object.keys(ops)) {
      const re = new RegExp(
        `^${path
          .split(/\{[^}]+\}/)
          .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
          .join('[^/]+')}$`,
      );
      out.push({ method, path, re, params: (path.match(/\{/g) ?? []).length });
    }
  // a literal segment wins over a parameter (/v1/alerts/export before /v1/alerts/{id})
  return out.sort((a, b) => a.params - b.params);
}

function pointer(parts: string[]): string {
  return parts.map((s) => s.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
}

/**
 * Wraps `app.request` so that each response is checked before the caller sees it; a mismatch
 * throws (the test fails at the request that broke the contract).
 */
export function checkResponses(app: App): void {
  const doc = buildOpenApi(app.dafei.routes, { version: 'test' }) as Json & {
    paths: Record<string, Record<string, Operation>>;
  };
  const templates = templatesOf(doc);
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema({ ...doc, $id: ID });
  const validators = new Map<string, ValidateFunction>();
  const validatorOf = (ref: string): ValidateFunction => {
    let v = validators.get(ref);
    if (!v) {
      v = ajv.getSchema(`${ID}#/${ref}`);
      if (!v) throw new Error(`no schema at ${ref}`);
      validators.set(ref, v);
    }
    return v;
  };

  const request = app.request;
  const checked: typeof app.request = async (input, init, ...rest) => {
    const res = await request(input, init, ...rest);
    const url =
      input instanceof Request ? new URL(input.url) : new URL(String(input), 'http://localhost');
    const method = (
      init?.method ?? (input instanceof Request ? input.method : 'GET')
    ).toLowerCase();
    const route = templates.find((t) => t.method === method && t.re.test(url.pathname));
    if (!route) return res;
    const where = `${method.toUpperCase()} ${route.path} → ${res.status}`;
    const declared = doc.paths[route.path]![method]!.responses[String(res.status)];
    if (!declared) {
      if (res.status < 300) throw new Error(`${where}: the document declares no ${res.status}`);
      return res;
    }
    const types = Object.keys(declared.content ?? {});
    const got = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
    const type = types.find((t) => t.split(';')[0] === got);
    if (types.length > 0 && type === undefined)
      throw new Error(`${where}: content type ${got} is not one of ${types.join(', ')}`);
    if (type === 'application/json' || type === 'application/problem+json') {
      const body: unknown = await res.clone().json();
      const validate = validatorOf(
        pointer(['paths', route.path, method, 'responses', String(res.status), 'content', type]) +
          '/schema',
      );
      if (!validate(body))
        throw new Error(
          `${where}: the body does not match the document: ${ajv.errorsText(validate.errors, { separator: '; ', dataVar: 'body' })}\n${JSON.stringify(body).slice(0, 500)}`,
        );
    }
    return res;
  };
  app.request = checked;
}
