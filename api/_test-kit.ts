/** Test helpers: a seeded in-memory city, one token per role, request shortcuts. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openMigratedDb, type Db } from '../pipeline/db/index.ts';
import { loadConfig } from '../pipeline/config.ts';
import type { Role } from '../pipeline/auth/index.ts';
import { createApp, type CreateAppOptions } from './app.ts';
import { roleTokens, seedCity, type City } from './_fixtures.ts';
import { checkResponses } from './_contract.ts';

export interface Kit {
  db: Db;
  city: City;
  tokens: Record<Role, string>;
  app: ReturnType<typeof createApp>;
  get(path: string, role?: Role | null): Promise<Response>;
  post(
    path: string,
    body: unknown,
    role?: Role | null,
    headers?: Record<string, string>,
  ): Promise<Response>;
  json<T = Record<string, unknown>>(res: Response): Promise<T>;
  /** Row counts of every table the API can write, to prove a request changed nothing. */
  snapshot(): Promise<Record<string, number>>;
  close(): void;
}

export const NOW = new Date('2026-04-01T02:00:00Z');

export async function createKit(
  o: Partial<CreateAppOptions> & { enterprises?: number; days?: number } = {},
): Promise<Kit> {
  const db = await openMigratedDb(':memory:');
  const city = await seedCity(db, { enterprises: o.enterprises ?? 80, days: o.days ?? 3 });
  const tokens = await roleTokens(db);
  const errors: unknown[] = [];
  const app = createApp({
    db,
    // uploads (数据导入) go to a temporary folder, not ./var/uploads
    config: {
      ...loadConfig({}),
      intake: { upload_dir: mkdtempSync(join(tmpdir(), 'dafei-kit-uploads-')), max_upload_mb: 5 },
    },
    now: () => NOW,
    log: (_m, err) => errors.push(err),
    alertStateTtlMs: 0,
    ...(o.triggerRun ? { triggerRun: o.triggerRun } : {}),
  });
  // every response the tests read is checked against the OpenAPI document (api/_contract.ts)
  checkResponses(app);
  const auth = (role: Role | null | undefined): Record<string, string> =>
    role === null ? {} : { authorization: `Bearer ${tokens[role ?? 'admin']}` };
  return {
    db,
    city,
    tokens,
    app,
    get: (path, role) => Promise.resolve(app.request(path, { headers: auth(role) })),
    post: (path, body, role, headers) =>
      Promise.resolve(
        app.request(path, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...auth(role), ...headers },
          body: typeof body === 'string' ? body : JSON.stringify(body),
        }),
      ),
    json: async <T>(res: Response) => (await res.json()) as T,
    snapshot: async () => {
      const tables = [
        'dispositions',
        'case_outcomes_history',
        'case_outcomes_superseded',
        'ingest_batches',
        'model_activations',
        'api_tokens',
        'api_users',
        'list_entries',
        'list_revisions',
        'registrations_history',
      ];
      const out: Record<string, number> = {};
      for (const t of tables)
        out[t] = (await db.one<{ n: number }>(`SELECT count(*)::INTEGER AS n FROM ${t}`))!.n;
      return out;
    },
    close: () => app.dafei.deps.db.close(),
  };
}

/** Asserts a problem+json body and returns it. */
export async function problem(
  res: Response,
): Promise<{ type: string; title: string; status: number; code: string; detail: string }> {
  const ct = res.headers.get('content-type') ?? '';
  if (!ct.startsWith('application/problem+json'))
    throw new Error(`expected problem+json, got ${ct} (${res.status}): ${await res.text()}`);
  const body = (await res.json()) as {
    type: string;
    title: string;
    status: number;
    code: string;
    detail: string;
  };
  if (body.status !== res.status)
    throw new Error(`problem status ${body.status} differs from HTTP ${res.status}`);
  return body;
}
