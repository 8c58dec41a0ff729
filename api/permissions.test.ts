/**
 * The permission matrix of api/README.md, row by row: every role is tried on every route; allowed
 * roles get the route's success status (200 unless the row says otherwise: a 400 or 404 is not
 * "allowed", it is a broken row), the others get 403 problem+json (and the refusal is audited).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeToken, createToken, createUser, type Role } from '../pipeline/auth/index.ts';
import { clearTokenCache } from './auth.ts';
import { ingest } from '../pipeline/feeds/index.ts';
import { ADS, renamedText, tmpDir, toNdjson } from './_feed-lines.ts';
import { openNotices, raiseNotice } from '../pipeline/ops/index.ts';
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
  /** The status an allowed role gets (default 200). */
  ok?: number;
  /** Waits for what the request started in the background (an ingest) to end. */
  settle?: (role: Role) => Promise<void>;
  /** A request other than JSON (an upload's raw file body). */
  raw?: { contentType: string; body: () => BodyInit };
}

/** An ad-monitoring platform's CSV (the ad-monitor-csv template's layout), for the intake rows. */
const AD_CSV = new TextEncoder().encode(
  [
    '监测编号,发现时间,媒介类型,广告主,广告主统一社会信用代码,联系电话,落地页,广告标题,广告内容',
    'M-1,2026/3/5 14:03,短信,某某财富,,,,高息理财,保本保息年化18%',
  ].join('\n'),
);

let k: Kit;
let alertIds: string[];
let uscc: string;
let tokenId: number;
/** Two held batches (one to release, one to discard) and an open notice, for the admin rows. */
const heldIds = { release: 0, discard: 0 };
let noticeId = 0;
/** One upload per role, so that each allowed role's ingest of it is its first. */
const uploadIds: Partial<Record<Role, number>> = {};
/** Each role's own watchlists, entry and subscription; the admin's endpoint and a dead delivery. */
const own: Partial<
  Record<Role, Record<'watchlist' | 'archivable' | 'entry' | 'subscription', number>>
> = {};
let endpointId: number;
let deliveryId: number;

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
    ok: 201,
  },
  { method: 'GET', path: '/v1/entities?q=珠海', allowed: [R, I, A] },
  { method: 'GET', path: '/v1/entities/{uscc}', allowed: [R, I, A] },
  { method: 'GET', path: '/v1/entities/{uscc}/history', allowed: [R, I, A] },
  { method: 'GET', path: '/v1/entities/{uscc}/network', allowed: [R, I, A] },
  { method: 'GET', path: '/v1/models', allowed: ALL },
  { method: 'POST', path: '/v1/models/2/activate', allowed: [D, A], body: () => ({}) },
  { method: 'POST', path: '/v1/models/rollback', allowed: [D, A], body: () => ({}) },
  { method: 'GET', path: '/v1/runs', allowed: ALL },
  {
    method: 'POST',
    path: '/v1/runs',
    allowed: [D, A],
    body: () => ({ date: '2026-04-01' }),
    ok: 202,
  },
  { method: 'GET', path: '/v1/quarantine', allowed: [D, A] },
  { method: 'POST', path: '/v1/held/{batch:release}/release', allowed: [A] },
  { method: 'POST', path: '/v1/held/{batch:discard}/discard', allowed: [A] },
  { method: 'POST', path: '/v1/notices/{notice}/resolve', allowed: [A] },
  { method: 'GET', path: '/v1/audit', allowed: [A] },
  { method: 'GET', path: '/v1/exports/alerts.csv?date={day}', allowed: [R, I, A] },
  { method: 'GET', path: '/v1/exports/alerts.xlsx?date={day}', allowed: [R, I, A] },
  { method: 'GET', path: '/v1/exports/alerts.ndjson?date={day}', allowed: [R, I, A] },
  { method: 'GET', path: '/v1/exports/features.arrow?date={day}', allowed: [D, A] },
  { method: 'GET', path: '/v1/exports/features.parquet?date={day}', allowed: [D, A] },
  { method: 'GET', path: '/v1/watchlists', allowed: [R, I, A] },
  {
    method: 'POST',
    path: '/v1/watchlists',
    allowed: [R, I, A],
    body: () => ({ name: '名单' }),
    ok: 201,
  },
  // {watchlist}, {entry}, {archivable}, {subscription}: the calling role's own, made in beforeAll
  { method: 'GET', path: '/v1/watchlists/{watchlist}', allowed: [R, I, A] },
  { method: 'POST', path: '/v1/watchlists/{archivable}/archive', allowed: [R, I, A] },
  {
    method: 'POST',
    path: '/v1/watchlists/{watchlist}/entries',
    allowed: [R, I, A],
    body: () => ({ kind: 'keyword', value: '鑫盛', reason: '测试' }),
    ok: 201,
  },
  { method: 'POST', path: '/v1/watchlists/{watchlist}/entries/{entry}/remove', allowed: [R, I, A] },
  { method: 'GET', path: '/v1/notifications', allowed: ALL },
  { method: 'GET', path: '/v1/notifications/unread-count', allowed: ALL },
  { method: 'POST', path: '/v1/notifications/read', allowed: ALL, body: () => ({}) },
  {
    method: 'POST',
    path: '/v1/notifications/contact',
    allowed: ALL,
    body: () => ({ email: 'someone@dfb.gov.cn' }),
  },
  { method: 'GET', path: '/v1/subscriptions', allowed: ALL },
  {
    method: 'POST',
    path: '/v1/subscriptions',
    allowed: ALL,
    body: () => ({ kind: 'new_alerts' }),
    ok: 201,
  },
  { method: 'POST', path: '/v1/subscriptions/{subscription}/remove', allowed: ALL },
  { method: 'GET', path: '/v1/endpoints', allowed: ALL },
  {
    method: 'POST',
    path: '/v1/endpoints',
    allowed: [A],
    body: () => ({ name: '群', format: 'wecom', url: 'https://robot.invalid/send?key=1' }),
    ok: 201,
  },
  { method: 'POST', path: '/v1/endpoints/{endpoint}/disable', allowed: [A] },
  { method: 'GET', path: '/v1/deliveries', allowed: [A] },
  { method: 'POST', path: '/v1/deliveries/{delivery}/retry', allowed: [A] },
  {
    method: 'POST',
    path: '/v1/alerts/{alert}/reopen',
    allowed: [R, A],
    body: () => ({ reason: '新证据' }),
    ok: 409, // not closed
  },
  { method: 'GET', path: '/v1/jurisdictions', allowed: ALL },
  { method: 'GET', path: '/v1/summary', allowed: ALL },
  { method: 'GET', path: '/v1/approvals', allowed: [R, I, A] },
  {
    method: 'POST',
    path: '/v1/approvals/999/decision',
    allowed: [R, I, A],
    body: () => ({ decision: 'approve' }),
    ok: 404,
  },
  { method: 'GET', path: '/v1/referrals', allowed: [R, I, A] },
  {
    method: 'POST',
    path: '/v1/referrals/999/answer',
    allowed: [R, A],
    body: () => ({ answer: 'accept' }),
    ok: 404,
  },
  { method: 'POST', path: '/v1/auth/logout', allowed: ALL, body: () => ({}) },
  { method: 'GET', path: '/v1/me', allowed: ALL },
  // the matrix calls with API tokens, which have no password or TOTP: these routes' own 400 (not
  // a 401/403) is the exact outcome that shows authorisation let the caller through
  {
    method: 'POST',
    path: '/v1/me/password',
    allowed: ALL,
    body: () => ({ current: 'x', new: 'y' }),
    ok: 400,
  },
  { method: 'POST', path: '/v1/me/totp/setup', allowed: ALL, body: () => ({}), ok: 400 },
  {
    method: 'POST',
    path: '/v1/me/totp/confirm',
    allowed: ALL,
    body: () => ({ code: '000000' }),
    ok: 400,
  },
  { method: 'GET', path: '/v1/users', allowed: [A] },
  {
    method: 'POST',
    path: '/v1/users',
    allowed: [A],
    body: (role) => ({ username: `matrix-${role}`, role: 'regulator' }),
    ok: 201,
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
    ok: 201,
  },
  { method: 'POST', path: '/v1/tokens/{token}/revoke', allowed: [A], body: () => ({}) },
  { method: 'GET', path: '/v1/audit/verify', allowed: [A] },
  { method: 'GET', path: '/v1/audit/export.ndjson', allowed: [A] },
  { method: 'GET', path: '/v1/intake/templates', allowed: [D, A] },
  { method: 'GET', path: '/v1/intake/templates/{template}', allowed: [D, A] },
  { method: 'GET', path: '/v1/intake/uploads', allowed: [D, A] },
  {
    method: 'POST',
    path: '/v1/intake/uploads?name=matrix.csv',
    allowed: [D, A],
    raw: { contentType: 'text/csv', body: () => AD_CSV },
    ok: 201,
  },
  { method: 'GET', path: '/v1/intake/uploads/{upload}', allowed: [D, A] },
  {
    method: 'POST',
    path: '/v1/intake/uploads/{upload}/infer',
    allowed: [D, A],
    body: () => ({}),
  },
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
    ok: 202,
    // the ingest runs in the background: let it end before the next row (and the tests below,
    // which write through the kit's own connection) run
    settle: async (role) => {
      for (let i = 0; i < 100_000; i++) {
        const u = await k.json(await k.get(`/v1/intake/uploads/${uploadIds[role]}`, A));
        if (u['status'] !== 'ingesting') return;
        await new Promise((r) => setImmediate(r));
      }
      throw new Error('the ingest did not end');
    },
  },
];

beforeAll(async () => {
  k = await createKit({ triggerRun: () => Promise.resolve() });
  const page = (await (await k.get('/v1/alerts?limit=10')).json()) as { items: { id: string }[] };
  alertIds = page.items.map((i) => i.id);
  uscc = k.city.schemes[0]!.uscc;
  // a real user and a real token for the admin routes that act on one
  await createUser(k.db, { username: 'matrix-target', password: 'matrix-password-1', role: R });
  tokenId = (await createToken(k.db, { name: 'matrix-target', role: R })).tokenId;
  // real held batches (a required field renamed on every line) and a real notice
  const drop = tmpDir();
  for (const name of ['release', 'discard'] as const)
    writeFileSync(join(drop, `${name}.ndjson`), toNdjson(renamedText(ADS, 'body', `${name}-`)));
  const held = await ingest(k.db, { feed: 'ads', source: drop });
  const heldFrom = (name: string) => held.held.find((h) => h.source.endsWith(`${name}.ndjson`))!;
  heldIds.release = heldFrom('release').batchId;
  heldIds.discard = heldFrom('discard').batchId;
  await raiseNotice(k.db, {
    level: 'error',
    kind: 'backup_failed',
    subject: null,
    message: 'test',
  });
  noticeId = (await openNotices(k.db))[0]!.notice_id;
  // real uploads for the intake routes that act on one
  for (const role of ROLES) {
    const up = await k.app.request(`/v1/intake/uploads?name=matrix-${role}.csv`, {
      method: 'POST',
      headers: { authorization: `Bearer ${k.tokens.admin}`, 'content-type': 'text/csv' },
      body: AD_CSV,
    });
    expect(up.status).toBe(201);
    uploadIds[role] = ((await up.json()) as { upload_id: number }).upload_id;
  }
  // watchlists are their owner's (others get 404): each role acts on its own
  const id = async (res: Response, key: string): Promise<number> => {
    expect(res.status, await res.clone().text()).toBe(201);
    return (await k.json<Record<string, number>>(res))[key]!;
  };
  for (const role of ROLES) {
    const sub = await id(
      await k.post('/v1/subscriptions', { kind: 'new_alerts' }, role),
      'subscription_id',
    );
    if (role === D) {
      own[role] = { watchlist: 0, archivable: 0, entry: 0, subscription: sub };
      continue;
    }
    const wl = await id(
      await k.post('/v1/watchlists', { name: `${role}的名单` }, role),
      'watchlist_id',
    );
    const entry = await id(
      await k.post(
        `/v1/watchlists/${wl}/entries`,
        { kind: 'keyword', value: '富诚', reason: '测试' },
        role,
      ),
      'entry_id',
    );
    const archivable = await id(
      await k.post('/v1/watchlists', { name: `${role}的旧名单` }, role),
      'watchlist_id',
    );
    own[role] = { watchlist: wl, archivable, entry, subscription: sub };
  }
  endpointId = await id(
    await k.post(
      '/v1/endpoints',
      { name: '群', format: 'wecom', url: 'https://robot.invalid/send?key=2' },
      A,
    ),
    'endpoint_id',
  );
  // a webhook delivery that gave up (what the back-off leaves after its last attempt)
  const dead = await k.db.one<{ id: number }>(
    `INSERT INTO deliveries (channel, recipient, endpoint_id, notification_ids, status, attempts,
                             last_error, created_at)
     VALUES ('webhook', 'test-admin', $e, [], 'dead', 5, 'HTTP 500', now())
     RETURNING delivery_id::INTEGER AS id`,
    { e: endpointId },
  );
  deliveryId = dead!.id;
});
afterAll(() => k.close());

function fill(path: string, role: Role): string {
  return path
    .replace('{alert:role}', alertIds[ROLES.indexOf(role)]!)
    .replace('{alert}', alertIds[0]!)
    .replace('{uscc}', uscc)
    .replace('{day}', k.city.lastDay)
    .replace('{user}', 'matrix-target')
    .replace('{token}', String(tokenId))
    .replace('{template}', 'ad-monitor-csv')
    .replace('{upload}', String(uploadIds[role]))
    .replace('{batch:release}', String(heldIds.release))
    .replace('{batch:discard}', String(heldIds.discard))
    .replace('{notice}', String(noticeId))
    .replace('{watchlist}', String(own[role]!.watchlist))
    .replace('{archivable}', String(own[role]!.archivable))
    .replace('{entry}', String(own[role]!.entry))
    .replace('{subscription}', String(own[role]!.subscription))
    .replace('{endpoint}', String(endpointId))
    .replace('{delivery}', String(deliveryId));
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
        .replace(/\{batch:[a-z]+\}/, ':batch')
        .replace('{notice}', ':id')
        .replace('/2/', '/:version/')
        .replace('{watchlist}', ':watchlist')
        .replace('{archivable}', ':watchlist')
        .replace('{entry}', ':entry')
        .replace(/\{(subscription|endpoint|delivery)\}/, ':id')
        .replace('/999/', '/:id/');
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
        const res = row.raw
          ? await k.app.request(path, {
              method: row.method,
              headers: {
                authorization: `Bearer ${k.tokens[role]}`,
                'content-type': row.raw.contentType,
              },
              body: row.raw.body(),
            })
          : row.method === 'GET'
            ? await k.get(path, role)
            : await k.post(path, row.body?.(role) ?? {}, role);
        if (allowed) {
          expect(res.status, await res.clone().text()).toBe(row.ok ?? 200);
          await row.settle?.(role);
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
