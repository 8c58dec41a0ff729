/**
 * The OpenAPI document as tools nobody here wrote see it:
 * - Redocly's linter (recommended rules) reports no error and no warning;
 * - every `$ref` resolves (walked here, independently of the linter);
 * - openapi-typescript generates types from it, a client program using openapi-fetch with one
 *   typed call per GET route (generated from the document, so routes added later are covered)
 *   compiles under tsc --strict, and run against the real server on 127.0.0.1 with each role's
 *   token every call answers 200 (403 for a role the route does not name) with a body that
 *   matches the document's schema for it (Ajv, JSON Schema 2020-12);
 * - every success response declares a real schema: no untyped object (a placeholder), and every
 *   free-form value (a record of unknown values) says what it holds.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, type ServerType } from '@hono/node-server';
import { createConfig, lintFromString } from '@redocly/openapi-core';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import openapiTS, { astToString } from 'openapi-typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../pipeline/auth/index.ts';
import { createKit, type Kit } from './_test-kit.ts';

type Json = Record<string, unknown>;
interface Parameter {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  schema: Json;
}
interface Operation {
  operationId: string;
  'x-roles': Role[];
  parameters: Parameter[];
  responses: Record<string, { content?: Record<string, { schema: Json }> }>;
}

const ROOT = fileURLToPath(new URL('../', import.meta.url));

let k: Kit;
let doc: Json & { paths: Record<string, Record<string, Operation>> };
let server: ServerType;
let base: string;

beforeAll(async () => {
  k = await createKit();
  const res = await k.get('/openapi.json', 'admin');
  expect(res.status).toBe(200);
  doc = (await res.json()) as typeof doc;
  base = await new Promise<string>((resolve, reject) => {
    server = serve({ fetch: k.app.fetch, port: 0, hostname: '127.0.0.1' }, (info) =>
      resolve(`http://127.0.0.1:${info.port}`),
    );
    server.once('error', reject);
  });
});

afterAll(async () => {
  if (server) {
    if ('closeAllConnections' in server) server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
  k?.close();
});

/** The value a JSON pointer (`#/a/b~1c`) names in `root`, or undefined. */
function resolvePointer(root: unknown, ref: string): unknown {
  let node = root;
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw.replace(/~1/g, '/').replace(/~0/g, '~'));
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, key)) return undefined;
    node = (node as Json)[key];
  }
  return node;
}

function refsIn(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const v of node) refsIn(v, out);
  else if (node !== null && typeof node === 'object')
    for (const [key, v] of Object.entries(node as Json)) {
      if (key === '$ref' && typeof v === 'string') out.push(v);
      else refsIn(v, out);
    }
  return out;
}

/** Keywords that say what a value is; a schema with none of them accepts anything. */
const TYPED = ['type', '$ref', 'anyOf', 'oneOf', 'allOf', 'const', 'enum', 'properties'];

/**
 * Where `schema` (a response body) says nothing checkable: an object with no properties that is
 * not a record (a placeholder such as z.looseObject({})), or an untyped value with no description
 * saying what it holds. A response body itself must be an object with properties (or a union of
 * them).
 */
function looseSpots(schema: Json): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const deref = (j: Json): Json =>
    typeof j['$ref'] === 'string' ? (resolvePointer(doc, j['$ref']) as Json) : j;
  const visit = (j: Json, at: string, described: boolean): void => {
    const ref = j['$ref'];
    if (typeof ref === 'string') {
      if (seen.has(ref)) return;
      seen.add(ref);
      visit(deref(j), ref, described || typeof j['description'] === 'string');
      return;
    }
    const here = described || typeof j['description'] === 'string';
    if (!TYPED.some((k) => k in j)) {
      if (!here) out.push(`${at} is untyped and says nothing of what it holds`);
      return;
    }
    if (j['type'] === 'object' && !('properties' in j)) {
      if (!('propertyNames' in j)) out.push(`${at} is an object with no properties`);
      else if (Object.keys(j['additionalProperties'] ?? {}).length === 0 && !here)
        out.push(`${at} is a record of untyped values that says nothing of what they hold`);
    }
    for (const [k, v] of Object.entries((j['properties'] ?? {}) as Record<string, Json>))
      visit(v, `${at}.${k}`, false);
    for (const k of ['anyOf', 'oneOf', 'allOf'])
      for (const [i, v] of ((j[k] ?? []) as Json[]).entries()) visit(v, `${at}|${i}`, here);
    if (j['items']) visit(j['items'] as Json, `${at}[]`, here);
    const extra = j['additionalProperties'];
    if (extra && typeof extra === 'object' && Object.keys(extra).length > 0)
      visit(extra as Json, `${at}{}`, here);
  };
  const top = deref(schema);
  const bodies = ((top['anyOf'] ?? top['oneOf'] ?? [top]) as Json[]).map(deref);
  if (!bodies.every((b) => b['type'] === 'object' && 'properties' in b))
    out.push('the body is not an object with properties');
  visit(schema, '#', false);
  return out;
}

describe('the OpenAPI document', () => {
  it('passes the Redocly linter (recommended rules) with no problem at all', async () => {
    const config = await createConfig({ extends: ['recommended'] });
    const problems = await lintFromString({
      source: JSON.stringify(doc),
      absoluteRef: `${ROOT}openapi.json`,
      config,
    });
    expect(
      problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location[0]?.pointer}`),
    ).toEqual([]);
  });

  it('has its schemas in components/schemas, and every $ref resolves there', () => {
    const refs = refsIn(doc);
    expect(refs.length).toBeGreaterThan(20);
    for (const ref of refs) {
      expect(ref, 'local references into components/schemas only').toMatch(
        /^#\/components\/schemas\/[A-Za-z0-9_.-]+$/,
      );
      expect(resolvePointer(doc, ref), ref).toBeTypeOf('object');
    }
    expect(JSON.stringify(doc)).not.toContain('$defs');
  });

  it('declares a real schema for every success response (no placeholder, no untyped value)', () => {
    const problems: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(ops))
        for (const [status, res] of Object.entries(op.responses)) {
          const schema = res.content?.['application/json']?.schema;
          if (!status.startsWith('2') || !schema) continue;
          problems.push(
            ...looseSpots(schema).map((w) => `${method.toUpperCase()} ${path} ${status}: ${w}`),
          );
        }
    expect(
      problems,
      'give these routes a real zod schema (api/schemas.ts, pipeline/queries)',
    ).toEqual([]);
  });
});

const ROLES: readonly Role[] = ['regulator', 'investigator', 'data_scientist', 'admin'];

/**
 * Values for the GET routes' required parameters, from the seeded city, for each role (a
 * watchlist is its owner's: each role that may keep one reads its own).
 */
async function sampleValues(): Promise<Record<Role, Record<string, string>>> {
  const page = await k.json<{ date: string; items: { id: string; uscc: string }[] }>(
    await k.get('/v1/alerts?limit=1', 'admin'),
  );
  const first = page.items[0]!;
  const name = k.city.schemes[0]!.name;
  // an upload to read back (数据导入)
  const up = await k.app.request('/v1/intake/uploads?name=a.csv', {
    method: 'POST',
    headers: { authorization: `Bearer ${k.tokens.admin}`, 'content-type': 'text/csv' },
    body: '监测编号,广告内容\nA1,x\n',
  });
  const upload = String((await k.json<{ upload_id: number }>(up)).upload_id);
  const shared = {
    id: first.id,
    uscc: first.uscc,
    date: page.date,
    q: name.slice(2, 6),
    template: 'ad-monitor-csv',
    upload,
  };
  const out = {} as Record<Role, Record<string, string>>;
  for (const role of ROLES) {
    const res = await k.post('/v1/watchlists', { name: `openapi ${role}` }, role);
    // a role that may keep no watchlist is refused the route anyway: any id will do
    const watchlist =
      res.status === 201 ? String((await k.json<{ watchlist_id: number }>(res)).watchlist_id) : '1';
    out[role] = { ...shared, watchlist };
  }
  return out;
}

const JSON_TYPE = 'application/json';

/**
 * A TypeScript program with one typed openapi-fetch call per GET route of the document. The
 * parameters' values come from the command line (one run per role), typed as the document
 * types them, so tsc checks each call against the generated types.
 */
function clientProgram(names: ReadonlySet<string>): string {
  const calls: string[] = [];
  const fields = new Map<string, string>();
  for (const [path, ops] of Object.entries(doc.paths)) {
    const op = ops['get'];
    if (!op) continue;
    const params: Record<'path' | 'query', string[]> = { path: [], query: [] };
    for (const p of op.parameters.filter((x) => x.required)) {
      const numeric = ['integer', 'number'].includes(p.schema['type'] as string);
      let value: string;
      if (names.has(p.name)) {
        fields.set(p.name, numeric ? 'number' : 'string');
        value = `v[${JSON.stringify(p.name)}]`;
      } else if (p.schema['example'] !== undefined) value = JSON.stringify(p.schema['example']);
      else
        throw new Error(
          `GET ${path}: no sample value for the required ${p.in} parameter "${p.name}" — add one to sampleValues() in api/openapi.test.ts`,
        );
      params[p.in].push(`${JSON.stringify(p.name)}: ${value}`);
    }
    const ok = op.responses['200']?.content ?? {};
    const parseAs = JSON_TYPE in ok ? 'json' : 'arrayBuffer';
    const init = [
      `params: { ${(['path', 'query'] as const)
        .filter((w) => params[w].length > 0)
        .map((w) => `${w}: { ${params[w].join(', ')} }`)
        .join(', ')} }`,
      `parseAs: '${parseAs}'`,
    ];
    calls.push(
      `  await record(${JSON.stringify(path)}, await client.GET(${JSON.stringify(path)}, { ${init.join(', ')} }));`,
    );
  }
  const valueType = [...fields].map(([n, t]) => `${JSON.stringify(n)}: ${t}`).join('; ');
  return `import createClient from 'openapi-fetch';
import type { paths } from './api.js';

const [baseUrl, token, values] = process.argv.slice(2) as [string, string, string];
const raw = JSON.parse(values) as Record<string, string>;
const numeric = new Set(${JSON.stringify([...fields].filter(([, t]) => t === 'number').map(([n]) => n))});
const v = Object.fromEntries(
  Object.entries(raw).map(([key, x]) => [key, numeric.has(key) ? Number(x) : x]),
) as unknown as { ${valueType} };
const client = createClient<paths>({ baseUrl, headers: { authorization: \`Bearer \${token}\` } });
const out: { path: string; status: number; contentType: string | null; body: unknown }[] = [];

async function record(path: string, r: { response: Response; data?: unknown; error?: unknown }): Promise<void> {
  const body = r.data instanceof ArrayBuffer ? { bytes: r.data.byteLength } : (r.data ?? r.error);
  out.push({ path, status: r.response.status, contentType: r.response.headers.get('content-type'), body });
}

${calls.join('\n')}
process.stdout.write(JSON.stringify(out));
`;
}

describe('a client generated from the document', () => {
  let dir: string;
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('compiles under tsc --strict and, for every role, gets a valid 200 from every GET route it may read (403 from the others)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'dafei-openapi-client-'));
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    writeFileSync(join(dir, 'api.d.ts'), astToString(await openapiTS(doc as never)));
    const values = await sampleValues();
    writeFileSync(join(dir, 'client.ts'), clientProgram(new Set(Object.keys(values.admin))));
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noUncheckedIndexedAccess: true,
          exactOptionalPropertyTypes: true,
          target: 'es2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          lib: ['es2022', 'dom'],
          types: ['node'],
          skipLibCheck: true,
          outDir: 'out',
          rootDir: '.',
        },
        files: ['client.ts', 'api.d.ts'],
      }),
    );
    mkdirSync(join(dir, 'out'), { recursive: true });
    try {
      execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', dir], {
        encoding: 'utf8',
      });
    } catch (e) {
      throw new Error(
        `the generated client does not compile:\n${(e as { stdout: string }).stdout}`,
        { cause: e },
      );
    }
    const gets = Object.entries(doc.paths).filter(([, ops]) => ops['get']);
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    ajv.addSchema({ ...doc, $id: 'https://dafei.invalid/openapi.json' });
    const failures: string[] = [];
    for (const role of ROLES) {
      // asynchronously: the server answering it runs in this process
      const { stdout } = await promisify(execFile)(process.execPath, [
        join(dir, 'out', 'client.js'),
        base,
        k.tokens[role],
        JSON.stringify(values[role]),
      ]);
      const results = JSON.parse(stdout) as {
        path: string;
        status: number;
        contentType: string | null;
        body: unknown;
      }[];
      expect(results.map((r) => r.path)).toEqual(gets.map(([p]) => p));
      for (const r of results) {
        const op = doc.paths[r.path]!['get']!;
        const allowed = op['x-roles'].length === 0 || op['x-roles'].includes(role);
        const where = `${role} GET ${r.path}`;
        if (!allowed) {
          expect(r.status, `${where}: ${JSON.stringify(r.body).slice(0, 300)}`).toBe(403);
          continue;
        }
        expect(r.status, `${where}: ${JSON.stringify(r.body).slice(0, 300)}`).toBe(200);
        const content = op.responses['200']!.content ?? {};
        const declared = Object.keys(content);
        expect(declared, `${where} declares its 200 content`).not.toEqual([]);
        const type = declared.find((t) => r.contentType?.startsWith(t.split(';')[0]!));
        expect(type, `${where}: ${r.contentType} is one of ${declared.join(', ')}`).toBeDefined();
        if (type === JSON_TYPE) {
          const pointer = ['paths', r.path, 'get', 'responses', '200', 'content', type, 'schema']
            .map((x) => x.replace(/~/g, '~0').replace(/\//g, '~1'))
            .join('/');
          const validate = ajv.getSchema(`https://dafei.invalid/openapi.json#/${pointer}`)!;
          if (!validate(r.body))
            failures.push(
              `${where}: ${ajv.errorsText(validate.errors, { separator: '; ', dataVar: 'body' })}`,
            );
        } else expect((r.body as { bytes: number }).bytes, where).toBeGreaterThan(0);
      }
    }
    expect(failures, 'bodies that do not match their schema').toEqual([]);
  }, 120_000);
});
