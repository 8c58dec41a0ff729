/**
 * The permission matrix of api/README.md, row by row: every role is tried on every route; allowed
 * roles get past authorisation, the others get 403 problem+json (and the refusal is audited).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeToken, createToken, type Role } from '../pipeline/auth/index.ts';
import { clearTokenCache } from './auth.ts';
import { createKit, problem, type Kit } from './_test-kit.ts';

const R = 'regulator';
const I = 'investigator';
const D = 'data_scientist';
const A = 'admin';
const ROLES: Role[] = [R, I, D, A];
const ALL: Role[] = [R, I, D, A];

interface Row {
  method: 'GET' | 'POST';
  path: string;
  allowed: Role[] | 'public';
  body?: (role: Role) => unknown;
}

let k: Kit;
let alertIds: string[];
let uscc: string;

/** The matrix (api/README.md "Permission matrix"). `{day}`, `{alert}`, `{uscc}` are filled in. */
const MATRIX: Row[] = [
  { method: 'GET', path: '/healthz', allowed: 'public' },
  { method: 'GET', path: '/docs', allowed: 'public' },
  { method: 'GET', path: '/openapi.json', allowed: ALL },
  { method: 'GET', path: '/metrics', allowed: [A] },
  { method: 'GET', path: '/v1/alerts', allowed: ALL },
  { method: 'GET', path: '/v1/alerts/{alert}', allowed: ALL },
  {
    method: 'POST',
    path: '/v1/alerts/{alert:role}/dispositions',
    allowed: [R, I, A],
    body: () => ({ status: '核查中' }),
  },
  { method: 'GET', path: '/v1/entities?q=珠海', allowed: [R, I, A] },
  { method: 'GET', path: '/v1/entities/{uscc}', allowed: [R, I, A] },
  { method: 'GET', path: '/v1/entities/{uscc}/history', allowed: [R, I, A] },
  { method: 'GET', path: '/v1/entities/{uscc}/network', allowed: [R, I, A] },
  { method: 'GET', path: '/v1/models', allowed: ALL },
  { method: 'POST', path: '/v1/models/2/activate', allowed: [D, A], body: () => ({}) },
  { method: 'POST', path: '/v1/models/rollback', allowed: [D, A], body: () => ({}) },
  { method: 'GET', path: '/v1/runs', allowed: ALL },
  { method: 'POST', path: '/v1/runs', allowed: [D, A], body: () => ({ date: '2026-04-01' }) },
  { method: 'GET', path: '/v1/quarantine', allowed: [D, A] },
  { method: 'POST', path: '/v1/held/{batch}/release', allowed: [A] },
  { method: 'POST', path: '/v1/held/{batch}/discard', allowed: [A] },
  { method: 'POST', path: '/v1/notices/{notice}/resolve', allowed: [A] },
  { method: 'GET', path: '/v1/audit', allowed: [A] },
  { method: 'GET', path: '/v1/exports/alerts.csv?date={day}', allowed: [R, I, A] },
  { method: 'GET', path: '/v1/exports/alerts.xlsx?date={day}', allowed: [R, I, A] },
  { method: 'GET', path: '/v1/exports/alerts.ndjson?date={day}', allowed: [R, I, A] },
  { method: 'GET', path: '/v1/exports/features.arrow?date={day}', allowed: [D, A] },
  { method: 'GET', path: '/v1/exports/features.parquet?date={day}', allowed: [D, A] },
  { method: 'POST', path: '/v1/auth/logout', allowed: ALL, body: () => ({}) },
  { method: 'GET', path: '/v1/me', allowed: ALL },
  {
    method: 'POST',
    path: '/v1/me/password',
    allowed: ALL,
    body: () => ({ current: 'x', new: 'y' }),
  },
  { method: 'POST', path: '/v1/me/totp/setup', allowed: ALL, body: () => ({}) },
  { method: 'POST', path: '/v1/me/totp/confirm', allowed: ALL, body: () => ({ code: '000000' }) },
  { method: 'GET', path: '/v1/users', allowed: [A] },
  {
    method: 'POST',
    path: '/v1/users',
    allowed: [A],
    body: (role) => ({ username: `matrix-${role}`, role: 'regulator' }),
  },
  ...(['disable', 'enable', 'unlock', 'reset-password', 'reset-totp'] as const).map((a): Row => ({
    method: 'POST',
    path: `/v1/users/{user}/${a}`,
    allowed: [A],
    body: () => ({}),
  })),
  { method: 'GET', path: '/v1/tokens', allowed: [A] },
  {
    method: 'POST',
    path: '/v1/tokens',
    allowed: [A],
    body: (role) => ({ name: `matrix-${role}`, role: 'regulator', days: 1 }),
  },
  { method: 'POST', path: '/v1/tokens/{token}/revoke', allowed: [A], body: () => ({}) },
  { method: 'GET', path: '/v1/audit/verify', allowed: [A] },
  { method: 'GET', path: '/v1/audit/export.ndjson', allowed: [A] },
  { method: 'GET', path: '/v1/intake/templates', allowed: [D, A] },
  { method: 'GET', path: '/v1/intake/templates/{template}', allowed: [D, A] },
  { method: 'GET', path: '/v1/intake/uploads', allowed: [D, A] },
  { method: 'POST', path: '/v1/intake/uploads', allowed: [D, A] },
  { method: 'GET', path: '/v1/intake/uploads/{upload}', allowed: [D, A] },
  { method: 'POST', path: '/v1/intake/uploads/{upload}/infer', allowed: [D, A] },
  {
    method: 'POST',
    path: '/v1/intake/uploads/{upload}/preview',
    allowed: [D, A],
    body: () => ({ template: 'ad-monitor-csv' }),
  },
  {
    method: 'POST',
    path: '/v1/intake/uploads/{upload}/ingest',
    allowed: [D, A],
    body: () => ({ template: 'ad-monitor-csv' }),
  },
];

beforeAll(async () => {
  k = await createKit({ triggerRun: () => Promise.resolve() });
  const page = (await (await k.get('/v1/alerts?limit=10')).json()) as { items: { id: string }[] };
  alertIds = page.items.map((i) => i.id);
  uscc = k.city.schemes[0]!.uscc;
});
afterAll(() => k.close());

function fill(path: string, role: Role): string {
  return path
    .replace('{alert:role}', alertIds[ROLES.indexOf(role)]!)
    .replace('{alert}', alertIds[0]!)
    .replace('{uscc}', uscc)
    .replace('{day}', k.city.lastDay)
    .replace('{user}', 'nobody-here')
    .replace('{token}', '999999')
    .replace('{template}', 'ad-monitor-csv')
    .replace('{upload}', '999999')
    .replace('{batch}', '999999') // none held: 404 for the roles allowed
    .replace('{notice}', '999999');
}

describe('permission matrix', () => {
  it('covers every route the app declares', () => {
    const declared = k.app.dafei.routes.map((r) => `${r.method.toUpperCase()} ${r.path}`).sort();
    const norm = (p: string) =>
      p
        .split('?')[0]!
        .replace('{alert:role}', ':id')
        .replace('{alert}', ':id')
        .replace('{uscc}', ':uscc')
        .replace('{user}', ':username')
        .replace('{token}', ':id')
        .replace('{template}', ':template')
        .replace('{upload}', ':upload')
        .replace('{batch}', ':batch')
        .replace('{notice}', ':id')
        .replace('/2/', '/:version/');
    const inMatrix = [
      ...MATRIX.map((r) => `${r.method} ${norm(r.path)}`),
      'POST /v1/auth/login',
    ].sort();
    expect(inMatrix).toEqual(declared);
    for (const r of MATRIX) {
      const spec = k.app.dafei.routes.find(
        (s) => `${s.method.toUpperCase()} ${s.path}` === `${r.method} ${norm(r.path)}`,
      )!;
      expect(
        spec.roles === 'public' ? 'public' : [...spec.roles].sort(),
        `${r.method} ${r.path}`,
      ).toEqual(r.allowed === 'public' ? 'public' : [...r.allowed].sort());
    }
  });

  for (const row of MATRIX) {
    for (const role of ROLES) {
      const allowed = row.allowed === 'public' || row.allowed.includes(role);
      it(`${row.method} ${row.path} as ${role}: ${allowed ? 'allowed' : 'denied'}`, async () => {
        const path = fill(row.path, role);
        const res =
          row.method === 'GET'
            ? await k.get(path, role)
            : await k.post(path, row.body?.(role) ?? {}, role);
        if (allowed) {
          expect([401, 403], `${res.status} ${await res.clone().text()}`).not.toContain(res.status);
          expect(res.status).toBeLessThan(500);
        } else {
          expect(res.status).toBe(403);
          expect((await problem(res)).code).toBe('forbidden');
        }
        await res.body?.cancel().catch(() => undefined);
      });
    }
  }

  it('refusals are audited', async () => {
    const rows = await k.db.all<{ actor: string; target: string }>(
      `SELECT actor, target FROM audit_log WHERE action = 'auth.denied' AND actor = 'test-data_scientist' ORDER BY audit_id`,
    );
    expect(rows.map((r) => r.target)).toContain('GET /v1/entities/{uscc}');
  });
});

describe('authentication', () => {
  it('every route but /healthz, /docs and login needs a token', async () => {
    for (const row of MATRIX.filter((r) => r.allowed !== 'public')) {
      const res =
        row.method === 'GET'
          ? await k.get(fill(row.path, A), null)
          : await k.post(fill(row.path, A), {}, null);
      expect(res.status, row.path).toBe(401);
      expect((await problem(res)).code).toBe('unauthorized');
    }
  });

  it('rejects malformed, unknown, revoked and expired tokens', async () => {
    const call = (h: string) => k.app.request('/v1/alerts', { headers: { authorization: h } });
    expect((await call('Basic abc')).status).toBe(401);
    expect((await call('Bearer')).status).toBe(401);
    expect((await call('Bearer dfk_not-a-real-token')).status).toBe(401);
    const t = await createToken(k.db, { name: 'soon-revoked', role: 'admin' });
    expect((await call(`Bearer ${t.token}`)).status).toBe(200);
    await revokeToken(k.db, t.tokenId);
    clearTokenCache(k.app.dafei.deps);
    expect((await call(`Bearer ${t.token}`)).status).toBe(401);
    const old = await createToken(k.db, {
      name: 'session',
      role: 'admin',
      ttlSeconds: 60,
      now: new Date('2026-03-01T00:00:00Z'),
    });
    expect((await call(`Bearer ${old.token}`)).status).toBe(401);
    const stored = await k.db.all<{ token_hash: string }>(`SELECT token_hash FROM api_tokens`);
    expect(stored.some((s) => s.token_hash === t.token)).toBe(false);
    expect(stored.every((s) => /^[0-9a-f]{64}$/.test(s.token_hash))).toBe(true);
  });
});

describe('personal fields by role', () => {
  const PERSONAL = ['legal_rep', 'phone', 'complainant_ref'];
  const keysIn = (v: unknown, out = new Set<string>()): Set<string> => {
    if (Array.isArray(v)) v.forEach((x) => keysIn(x, out));
    else if (v && typeof v === 'object')
      for (const [key, x] of Object.entries(v)) {
        out.add(key);
        keysIn(x, out);
      }
    return out;
  };

  it('data scientists see alerts without legal_rep, phone or complainant_ref', async () => {
    for (const path of ['/v1/alerts?limit=5', `/v1/alerts/${alertIds[0]}`]) {
      const keys = keysIn(await (await k.get(path, D)).json());
      for (const f of PERSONAL) expect(keys.has(f), `${path} ${f}`).toBe(false);
      expect(keys.has('features')).toBe(path.includes('/v1/alerts/') ? true : false);
    }
    // phone numbers printed inside ad texts are masked, same length (span offsets stay valid)
    const d = (await (await k.get(`/v1/alerts/${alertIds[0]}`, D)).json()) as {
      evidence: { ads: { items: { text: string }[] } };
    };
    const all = JSON.stringify(d);
    expect(all).not.toMatch(/0756-\d{7}/);
    const asInvestigator = (await (await k.get(`/v1/alerts/${alertIds[0]}`, I)).json()) as typeof d;
    expect(d.evidence.ads.items.map((a) => a.text.length)).toEqual(
      asInvestigator.evidence.ads.items.map((a) => a.text.length),
    );
  });

  it('regulators see legal_rep and phone, not complainant_ref', async () => {
    const keys = keysIn(await (await k.get(`/v1/alerts/${alertIds[0]}`, R)).json());
    expect(keys.has('legal_rep')).toBe(true);
    expect(keys.has('phone')).toBe(true);
    expect(keys.has('complainant_ref')).toBe(false);
    const h = keysIn(await (await k.get(`/v1/entities/${uscc}/history?kinds=complaint`, R)).json());
    expect(h.has('complainant_ref')).toBe(false);
  });

  it('investigators and admins see complainant_ref', async () => {
    for (const role of [I, A] as const) {
      const keys = keysIn(await (await k.get(`/v1/alerts/${alertIds[0]}`, role)).json());
      expect(keys.has('complainant_ref')).toBe(true);
      const h = keysIn(
        await (await k.get(`/v1/entities/${uscc}/history?kinds=complaint`, role)).json(),
      );
      expect(h.has('complainant_ref')).toBe(true);
    }
  });
});
