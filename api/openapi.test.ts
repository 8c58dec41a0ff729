/**
 * The OpenAPI document as tools nobody here wrote see it:
 * - Redocly's linter (recommended rules) reports no error and no warning;
 * - every `$ref` resolves (walked here, independently of the linter);
 * - openapi-typescript generates types from it, a client program using openapi-fetch with one
 *   typed call per GET route (generated from the document, so routes added later are covered)
 *   compiles under tsc --strict, and run against the real server on 127.0.0.1 every call answers
 *   200 with a body that matches the document's schema for it (Ajv, JSON Schema 2020-12).
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
});

/** Values for the GET routes' required parameters, from the seeded city. */
async function sampleValues(): Promise<Record<string, string>> {
  const page = await k.json<{ date: string; items: { id: string; uscc: string }[] }>(
    await k.get('/v1/alerts?limit=1', 'admin'),
  );
  const first = page.items[0]!;
  const name = k.city.schemes[0]!.name;
  const list = await k.json<{ watchlist_id: number }>(
    await k.post('/v1/watchlists', { name: 'openapi' }, 'admin'),
  );
  // an upload to read back (数据导入)
  const up = await k.app.request('/v1/intake/uploads?name=a.csv', {
    method: 'POST',
    headers: { authorization: `Bearer ${k.tokens.admin}`, 'content-type': 'text/csv' },
    body: '监测编号,广告内容\nA1,x\n',
  });
  const upload = String((await k.json<{ upload_id: number }>(up)).upload_id);
  return {
    id: first.id,
    uscc: first.uscc,
    date: page.date,
    q: name.slice(2, 6),
    watchlist: String(list.watchlist_id),
    template: 'ad-monitor-csv',
    upload,
  };
}

const JSON_TYPE = 'application/json';

/** A TypeScript program with one typed openapi-fetch call per GET route of the document. */
function clientProgram(values: Record<string, string>): string {
  const calls: string[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    const op = ops['get'];
    if (!op) continue;
    const params: Record<'path' | 'query', string[]> = { path: [], query: [] };
    for (const p of op.parameters.filter((x) => x.required)) {
      const v = values[p.name] ?? (p.schema['example'] as string | undefined);
      if (v === undefined)
        throw new Error(
          `GET ${path}: no sample value for the required ${p.in} parameter "${p.name}" — add one to sampleValues() in api/openapi.test.ts`,
        );
      const typed = ['integer', 'number'].includes(p.schema['type'] as string)
        ? String(Number(v))
        : JSON.stringify(v);
      params[p.in].push(`${JSON.stringify(p.name)}: ${typed}`);
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
  return `import createClient from 'openapi-fetch';
import type { paths } from './api.js';

const [baseUrl, token] = process.argv.slice(2) as [string, string];
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

  it('compiles under tsc --strict and gets a valid 200 from every GET route', async () => {
    dir = mkdtempSync(join(tmpdir(), 'dafei-openapi-client-'));
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    writeFileSync(join(dir, 'api.d.ts'), astToString(await openapiTS(doc as never)));
    writeFileSync(join(dir, 'client.ts'), clientProgram(await sampleValues()));
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
    // asynchronously: the server answering it runs in this process
    const { stdout } = await promisify(execFile)(process.execPath, [
      join(dir, 'out', 'client.js'),
      base,
      k.tokens.admin,
    ]);
    const results = JSON.parse(stdout) as {
      path: string;
      status: number;
      contentType: string | null;
      body: unknown;
    }[];

    const gets = Object.entries(doc.paths).filter(([, ops]) => ops['get']);
    expect(results.map((r) => r.path)).toEqual(gets.map(([p]) => p));
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    ajv.addSchema({ ...doc, $id: 'https://dafei.invalid/openapi.json' });
    for (const r of results) {
      expect(r.status, `GET ${r.path}: ${JSON.stringify(r.body).slice(0, 300)}`).toBe(200);
      const content = doc.paths[r.path]!['get']!.responses['200']!.content ?? {};
      const declared = Object.keys(content);
      expect(declared, `GET ${r.path} declares its 200 content`).not.toEqual([]);
      const type = declared.find((t) => r.contentType?.startsWith(t.split(';')[0]!));
      expect(
        type,
        `GET ${r.path}: ${r.contentType} is one of ${declared.join(', ')}`,
      ).toBeDefined();
      if (type === JSON_TYPE) {
        const pointer = ['paths', r.path, 'get', 'responses', '200', 'content', type, 'schema']
          .map((s) => s.replace(/~/g, '~0').replace(/\//g, '~1'))
          .join('/');
        const validate = ajv.getSchema(`https://dafei.invalid/openapi.json#/${pointer}`)!;
        expect(validate(r.body) ? [] : validate.errors, `GET ${r.path} body`).toEqual([]);
      } else expect((r.body as { bytes: number }).bytes, `GET ${r.path}`).toBeGreaterThan(0);
    }
  }, 120_000);
});
