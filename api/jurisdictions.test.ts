/**
 * Roles × jurisdictions over every route, export and dashboard page, row by row. Personas: an
 * account of the whole tree (root admin), the city admin, a regulator of district A (香洲区), an
 * investigator of district B (斗门区), a data scientist of the city, and a regulator of another
 * city (广州). Each cell is one of
 *   'all'  200, and the body holds every enterprise the request asks for (no scoping);
 *   'F'    200, filtered: the enterprises in the body are exactly those of the persona's area
 *          (as of the list day, from the fixture's own data — see api/_offices.ts);
 *   a status: 403 denied (role, or a deployment-wide action for an office's account), 404 (an
 *          enterprise outside the area does not exist), or what the action answers (201, 409 …).
 * Every body is also scanned for the USCCs of enterprises that were never in the area.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bodyText } from './_body-text.ts';
import { createOfficeKit, type OfficeKit, type Persona } from './_offices.ts';

/** The issue's personas, plus an account of the whole tree. */
const PERSONAS = ['root', 'cityAdmin', 'regA', 'invB', 'dsCity', 'otherCity'] as const;

let k: OfficeKit;
/** Listed enterprises per day. */
let listed: Map<string, Set<string>>;
let uA: string;
let uB: string;
/** Each persona's own watchlists, entry and subscriptions (none for the data scientist's lists). */
const own = {} as Record<
  (typeof PERSONAS)[number],
  Record<'watchlist' | 'archivable' | 'entry' | 'subscription', number>
>;
/** District A's shared list and a personal list and subscription of district A's regulator. */
let sharedA: number;
let personalA: number;
let subA: number;
let endpointId: number;
let deliveryId: number;

/** 'ok': allowed — any answer but 401, 403 or a 5xx (the route's own outcome, e.g. 404 for an unknown id). */
type Cell = 'all' | 'F' | 'ok' | number;
interface Row {
  method: 'GET' | 'POST';
  /**
   * {first} {last} {A} {B} {uA} {uB} {M1} (the mover's alert of the first day) are filled in; so
   * are the calling persona's own {watchlist} {archivable} {entry} {subscription} and {who}, and
   * {sharedA} {personalA} {subA} (district A's), {endpoint} {delivery} (the whole tree's).
   */
  path: string;
  body?: unknown;
  /** What the body should hold: enterprises listed that day, or all known ones (as of today). */
  holds?: { listedOn: 'first' | 'last' } | 'register';
  /** Jurisdiction filter applied on top of the persona's area. */
  filter?: string;
  /** A dashboard page (session cookie instead of a bearer token). */
  page?: true;
  cells: Record<(typeof PERSONAS)[number], Cell>;
}

const cells = (
  root: Cell,
  cityAdmin: Cell,
  regA: Cell,
  invB: Cell,
  dsCity: Cell,
  otherCity: Cell,
) => ({
  root,
  cityAdmin,
  regA,
  invB,
  dsCity,
  otherCity,
});

const LAST = { listedOn: 'last' } as const;
const FIRST = { listedOn: 'first' } as const;

/** The table (api/README.md "Offices": the same, in words). */
const TABLE: Row[] = [
  {
    method: 'GET',
    path: '/v1/alerts?limit=200',
    holds: LAST,
    cells: cells('all', 'F', 'F', 'F', 'F', 'F'),
  },
  {
    method: 'GET',
    path: '/v1/alerts?date={first}&limit=200',
    holds: FIRST,
    cells: cells('all', 'F', 'F', 'F', 'F', 'F'),
  },
  {
    method: 'GET',
    path: '/v1/alerts?jurisdiction=440403&limit=200',
    holds: LAST,
    filter: '440403',
    cells: cells('F', 'F', 403, 'F', 'F', 403),
  },
  { method: 'GET', path: '/v1/alerts/{A}', cells: cells(200, 200, 200, 404, 200, 404) },
  { method: 'GET', path: '/v1/alerts/{B}', cells: cells(200, 200, 404, 200, 200, 404) },
  { method: 'GET', path: '/v1/alerts/{M1}', cells: cells(200, 200, 200, 200, 200, 404) },
  {
    method: 'POST',
    path: '/v1/alerts/{A}/dispositions',
    body: { status: '核查中' },
    cells: cells(201, 201, 201, 404, 403, 404),
  },
  {
    method: 'POST',
    path: '/v1/alerts/{M1}/dispositions',
    body: { status: '核查中' },
    cells: cells(201, 201, 403, 201, 403, 404),
  },
  {
    method: 'POST',
    path: '/v1/alerts/{A}/reopen',
    body: { reason: '新证据' },
    cells: cells(409, 409, 403, 403, 403, 404),
  },
  {
    method: 'GET',
    path: '/v1/entities?q=珠海&limit=200',
    holds: 'register',
    cells: cells('all', 'F', 'F', 'F', 403, 'F'),
  },
  { method: 'GET', path: '/v1/entities/{uA}', cells: cells(200, 200, 200, 404, 403, 404) },
  { method: 'GET', path: '/v1/entities/{uA}/history', cells: cells(200, 200, 200, 404, 403, 404) },
  { method: 'GET', path: '/v1/entities/{uA}/network', cells: cells(200, 200, 200, 404, 403, 404) },
  { method: 'GET', path: '/v1/entities/{uB}/network', cells: cells(200, 200, 404, 200, 403, 404) },
  { method: 'GET', path: '/v1/models', cells: cells(200, 200, 200, 200, 200, 200) },
  {
    method: 'POST',
    path: '/v1/models/2/activate',
    body: {},
    cells: cells(200, 403, 403, 403, 403, 403),
  },
  {
    method: 'POST',
    path: '/v1/models/rollback',
    body: {},
    cells: cells(200, 403, 403, 403, 403, 403),
  },
  { method: 'GET', path: '/v1/runs', cells: cells(200, 200, 200, 200, 200, 200) },
  {
    method: 'POST',
    path: '/v1/runs',
    body: { date: '2026-04-01' },
    cells: cells(503, 403, 403, 403, 403, 403),
  },
  { method: 'GET', path: '/v1/quarantine', cells: cells(200, 403, 403, 403, 403, 403) },
  // held batches and operations notices are not placed in an office: the whole tree's admins
  {
    method: 'POST',
    path: '/v1/held/999999/release',
    body: {},
    cells: cells(404, 403, 403, 403, 403, 403),
  },
  {
    method: 'POST',
    path: '/v1/held/999999/discard',
    body: {},
    cells: cells(404, 403, 403, 403, 403, 403),
  },
  {
    method: 'POST',
    path: '/v1/notices/999/resolve',
    body: {},
    cells: cells(404, 403, 403, 403, 403, 403),
  },
  { method: 'GET', path: '/v1/audit', cells: cells(200, 403, 403, 403, 403, 403) },
  { method: 'GET', path: '/metrics', cells: cells(200, 200, 403, 403, 403, 403) },
  { method: 'GET', path: '/openapi.json', cells: cells(200, 200, 200, 200, 200, 200) },
  { method: 'GET', path: '/v1/jurisdictions', cells: cells(200, 200, 200, 200, 200, 200) },
  { method: 'GET', path: '/v1/summary', cells: cells(200, 200, 200, 200, 200, 200) },
  { method: 'GET', path: '/v1/approvals?state=all', cells: cells(200, 200, 200, 200, 403, 200) },
  {
    method: 'POST',
    path: '/v1/approvals/999/decision',
    body: { decision: 'approve' },
    cells: cells(404, 404, 404, 404, 403, 404),
  },
  { method: 'GET', path: '/v1/referrals', cells: cells(200, 200, 200, 200, 403, 200) },
  {
    method: 'POST',
    path: '/v1/referrals/999/answer',
    body: { answer: 'accept' },
    cells: cells(404, 404, 404, 403, 403, 404),
  },
  {
    method: 'GET',
    path: '/v1/exports/alerts.csv?date={last}',
    holds: LAST,
    cells: cells('all', 'F', 'F', 'F', 403, 'F'),
  },
  {
    method: 'GET',
    path: '/v1/exports/alerts.xlsx?date={last}',
    holds: LAST,
    cells: cells('all', 'F', 'F', 'F', 403, 'F'),
  },
  {
    method: 'GET',
    path: '/v1/exports/alerts.ndjson?date={first}',
    holds: FIRST,
    cells: cells('all', 'F', 'F', 'F', 403, 'F'),
  },
  {
    method: 'GET',
    path: '/v1/exports/features.arrow?date={last}',
    holds: 'register',
    cells: cells('all', 'F', 403, 403, 'F', 403),
  },
  {
    method: 'GET',
    path: '/v1/exports/features.parquet?date={last}',
    holds: 'register',
    cells: cells('all', 'F', 403, 403, 'F', 403),
  },
  // accounts (docs/security.md): one's own for everyone; users, tokens and the audit chain are
  // deployment-wide (an office's admin could otherwise make an account of the whole tree)
  {
    method: 'POST',
    path: '/v1/auth/logout',
    body: {},
    cells: cells('ok', 'ok', 'ok', 'ok', 'ok', 'ok'),
  },
  { method: 'GET', path: '/v1/me', cells: cells(200, 200, 200, 200, 200, 200) },
  {
    method: 'POST',
    path: '/v1/me/password',
    body: { current: 'x', new: 'y' },
    cells: cells('ok', 'ok', 'ok', 'ok', 'ok', 'ok'),
  },
  {
    method: 'POST',
    path: '/v1/me/totp/setup',
    body: {},
    cells: cells('ok', 'ok', 'ok', 'ok', 'ok', 'ok'),
  },
  {
    method: 'POST',
    path: '/v1/me/totp/confirm',
    body: { code: '000000' },
    cells: cells('ok', 'ok', 'ok', 'ok', 'ok', 'ok'),
  },
  { method: 'GET', path: '/v1/users', cells: cells(200, 403, 403, 403, 403, 403) },
  {
    method: 'POST',
    path: '/v1/users',
    body: { username: 'table-user', role: 'regulator' },
    cells: cells('ok', 403, 403, 403, 403, 403),
  },
  ...(['disable', 'enable', 'unlock', 'reset-password', 'reset-totp'] as const).map((a): Row => ({
    method: 'POST',
    path: `/v1/users/nobody-here/${a}`,
    body: {},
    cells: cells('ok', 403, 403, 403, 403, 403),
  })),
  { method: 'GET', path: '/v1/tokens', cells: cells(200, 403, 403, 403, 403, 403) },
  {
    method: 'POST',
    path: '/v1/tokens',
    body: { name: 'table-token', role: 'regulator', days: 1 },
    cells: cells('ok', 403, 403, 403, 403, 403),
  },
  {
    method: 'POST',
    path: '/v1/tokens/999999/revoke',
    body: {},
    cells: cells('ok', 403, 403, 403, 403, 403),
  },
  { method: 'GET', path: '/v1/audit/verify', cells: cells(200, 403, 403, 403, 403, 403) },
  { method: 'GET', path: '/v1/audit/export.ndjson', cells: cells(200, 403, 403, 403, 403, 403) },
  // intake: an uploaded file is not placed in an office yet — the whole tree's data scientists
  { method: 'GET', path: '/v1/intake/templates', cells: cells(200, 403, 403, 403, 403, 403) },
  {
    method: 'GET',
    path: '/v1/intake/templates/ad-monitor-csv',
    cells: cells(200, 403, 403, 403, 403, 403),
  },
  { method: 'GET', path: '/v1/intake/uploads', cells: cells(200, 403, 403, 403, 403, 403) },
  {
    method: 'POST',
    path: '/v1/intake/uploads',
    body: {},
    cells: cells('ok', 403, 403, 403, 403, 403),
  },
  { method: 'GET', path: '/v1/intake/uploads/999999', cells: cells('ok', 403, 403, 403, 403, 403) },
  {
    method: 'POST',
    path: '/v1/intake/uploads/999999/infer',
    body: {},
    cells: cells('ok', 403, 403, 403, 403, 403),
  },
  {
    method: 'POST',
    path: '/v1/intake/uploads/999999/preview',
    body: { template: 'ad-monitor-csv' },
    cells: cells('ok', 403, 403, 403, 403, 403),
  },
  {
    method: 'POST',
    path: '/v1/intake/uploads/999999/ingest',
    body: { template: 'ad-monitor-csv' },
    cells: cells('ok', 403, 403, 403, 403, 403),
  },
  // watchlists and notifications: a persona acts on its own lists and subscriptions; an office's
  // shared list is its subtree's; endpoints and the delivery log are deployment-wide
  { method: 'GET', path: '/v1/watchlists', cells: cells(200, 200, 200, 200, 403, 200) },
  {
    method: 'POST',
    path: '/v1/watchlists',
    body: { name: '名单{who}', shared: true },
    cells: cells(201, 201, 201, 201, 403, 201),
  },
  { method: 'GET', path: '/v1/watchlists/{watchlist}', cells: cells(200, 200, 200, 200, 403, 200) },
  { method: 'GET', path: '/v1/watchlists/{sharedA}', cells: cells(200, 200, 200, 404, 403, 404) },
  {
    method: 'GET',
    path: '/v1/watchlists/{personalA}',
    cells: cells(404, 404, 200, 404, 403, 404),
  },
  {
    method: 'POST',
    path: '/v1/watchlists/{archivable}/archive',
    cells: cells(200, 200, 200, 200, 403, 200),
  },
  {
    method: 'POST',
    path: '/v1/watchlists/{watchlist}/entries',
    body: { kind: 'enterprise', value: '{uA}', reason: '测试' },
    cells: cells(201, 201, 201, 404, 403, 404),
  },
  {
    method: 'POST',
    path: '/v1/watchlists/{watchlist}/entries',
    body: { kind: 'person', value: '张{who}', companies: ['{uB}'], reason: '测试' },
    cells: cells(201, 201, 404, 201, 403, 404),
  },
  {
    method: 'POST',
    path: '/v1/watchlists/{sharedA}/entries',
    body: { kind: 'keyword', value: '鑫盛{who}', reason: '测试' },
    cells: cells(201, 201, 201, 404, 403, 404),
  },
  {
    method: 'POST',
    path: '/v1/watchlists/{watchlist}/entries/{entry}/remove',
    cells: cells(200, 200, 200, 200, 403, 200),
  },
  { method: 'GET', path: '/v1/notifications', cells: cells(200, 200, 200, 200, 200, 200) },
  {
    method: 'GET',
    path: '/v1/notifications/unread-count',
    cells: cells(200, 200, 200, 200, 200, 200),
  },
  {
    method: 'POST',
    path: '/v1/notifications/read',
    body: {},
    cells: cells(200, 200, 200, 200, 200, 200),
  },
  {
    method: 'POST',
    path: '/v1/notifications/contact',
    body: { email: '{who}@dfb.gov.cn' },
    cells: cells(200, 200, 200, 200, 200, 200),
  },
  { method: 'GET', path: '/v1/subscriptions', cells: cells(200, 200, 200, 200, 200, 200) },
  {
    method: 'POST',
    path: '/v1/subscriptions',
    body: { kind: 'new_alerts', levels: ['red'] },
    cells: cells(201, 201, 201, 201, 201, 201),
  },
  {
    method: 'POST',
    path: '/v1/subscriptions/{subscription}/remove',
    cells: cells(200, 200, 200, 200, 200, 200),
  },
  {
    method: 'POST',
    path: '/v1/subscriptions/{subA}/remove',
    cells: cells(404, 404, 200, 404, 404, 404),
  },
  { method: 'GET', path: '/v1/endpoints', cells: cells(200, 200, 200, 200, 200, 200) },
  {
    method: 'POST',
    path: '/v1/endpoints',
    body: { name: '群{who}', format: 'wecom', url: 'https://robot.invalid/send?key=1' },
    cells: cells(201, 403, 403, 403, 403, 403),
  },
  {
    method: 'POST',
    path: '/v1/endpoints/{endpoint}/disable',
    cells: cells(200, 403, 403, 403, 403, 403),
  },
  { method: 'GET', path: '/v1/deliveries', cells: cells(200, 403, 403, 403, 403, 403) },
  {
    method: 'POST',
    path: '/v1/deliveries/{delivery}/retry',
    cells: cells(200, 403, 403, 403, 403, 403),
  },
  { method: 'GET', path: '/ui/', page: true, cells: cells(200, 200, 200, 200, 200, 200) },
  { method: 'GET', path: '/ui/alerts/{A}', page: true, cells: cells(200, 200, 200, 404, 200, 404) },
  {
    method: 'GET',
    path: '/ui/entities?q=珠海',
    page: true,
    cells: cells(200, 200, 200, 200, 403, 200),
  },
  {
    method: 'GET',
    path: '/ui/entities/{uA}',
    page: true,
    cells: cells(200, 200, 200, 404, 403, 404),
  },
  { method: 'GET', path: '/ui/models', page: true, cells: cells(200, 200, 200, 200, 200, 200) },
  { method: 'GET', path: '/ui/runs', page: true, cells: cells(200, 200, 200, 200, 200, 200) },
  { method: 'GET', path: '/ui/approvals', page: true, cells: cells(200, 200, 200, 200, 403, 200) },
  { method: 'GET', path: '/ui/referrals', page: true, cells: cells(200, 200, 200, 200, 403, 200) },
  { method: 'GET', path: '/ui/watchlists', page: true, cells: cells(200, 200, 200, 200, 403, 200) },
  {
    method: 'GET',
    path: '/ui/watchlists/{sharedA}',
    page: true,
    cells: cells(200, 200, 200, 404, 403, 404),
  },
  { method: 'GET', path: '/ui/inbox', page: true, cells: cells(200, 200, 200, 200, 200, 200) },
  {
    method: 'GET',
    path: '/ui/exports/alerts.csv?date={last}',
    page: true,
    holds: LAST,
    cells: cells('all', 'F', 'F', 'F', 403, 'F'),
  },
];

beforeAll(async () => {
  k = await createOfficeKit();
  listed = new Map();
  for (const r of await k.db.all<{ day: string; uscc: string }>(
    `SELECT day::VARCHAR AS day, uscc FROM list_entries WHERE level IS NOT NULL`,
  )) {
    if (!listed.has(r.day)) listed.set(r.day, new Set());
    listed.get(r.day)!.add(r.uscc);
  }
  const last = listed.get(k.city.lastDay)!;
  const pick = (office: string) =>
    k.city.enterprises.find(
      (e) => last.has(e.uscc) && e.uscc !== k.mover.uscc && k.officeOf(e.uscc, k.today) === office,
    )!.uscc;
  uA = pick('440402');
  uB = pick('440403');
  const id = async (res: Response, key: string): Promise<number> => {
    expect(res.status, await res.clone().text()).toBe(201);
    return ((await res.json()) as Record<string, number>)[key]!;
  };
  for (const who of PERSONAS) {
    const subscription = await id(
      await k.postAs('/v1/subscriptions', { kind: 'new_alerts' }, who),
      'subscription_id',
    );
    if (who === 'dsCity') {
      // no watchlists for the role: any id is refused before it is looked up
      own[who] = { watchlist: 999999, archivable: 999999, entry: 999999, subscription };
      continue;
    }
    const watchlist = await id(
      await k.postAs('/v1/watchlists', { name: `${who}的名单` }, who),
      'watchlist_id',
    );
    const entry = await id(
      await k.postAs(
        `/v1/watchlists/${watchlist}/entries`,
        { kind: 'keyword', value: '富诚', reason: '测试' },
        who,
      ),
      'entry_id',
    );
    const archivable = await id(
      await k.postAs('/v1/watchlists', { name: `${who}的旧名单` }, who),
      'watchlist_id',
    );
    own[who] = { watchlist, archivable, entry, subscription };
  }
  sharedA = await id(
    await k.postAs('/v1/watchlists', { name: '香洲区名单', shared: true }, 'regA'),
    'watchlist_id',
  );
  personalA = await id(
    await k.postAs('/v1/watchlists', { name: '个人名单' }, 'regA'),
    'watchlist_id',
  );
  subA = await id(
    await k.postAs('/v1/subscriptions', { kind: 'new_alerts' }, 'regA'),
    'subscription_id',
  );
  endpointId = await id(
    await k.postAs(
      '/v1/endpoints',
      { name: '群', format: 'wecom', url: 'https://robot.invalid/send?key=2' },
      'root',
    ),
    'endpoint_id',
  );
  // a webhook delivery that gave up (what the back-off leaves after its last attempt)
  const dead = await k.db.one<{ id: number }>(
    `INSERT INTO deliveries (channel, recipient, endpoint_id, notification_ids, status, attempts,
                             last_error, created_at)
     VALUES ('webhook', 'office-root', $e, [], 'dead', 5, 'HTTP 500', now())
     RETURNING delivery_id::INTEGER AS id`,
    { e: endpointId },
  );
  deliveryId = dead!.id;
});
afterAll(() => k.close());

function fill(path: string, who: Persona = 'root'): string {
  const mine = own[who as (typeof PERSONAS)[number]];
  return path
    .replaceAll('{who}', who)
    .replaceAll('{watchlist}', String(mine?.watchlist))
    .replaceAll('{archivable}', String(mine?.archivable))
    .replaceAll('{entry}', String(mine?.entry))
    .replaceAll('{subscription}', String(mine?.subscription))
    .replaceAll('{sharedA}', String(sharedA))
    .replaceAll('{personalA}', String(personalA))
    .replaceAll('{subA}', String(subA))
    .replaceAll('{endpoint}', String(endpointId))
    .replaceAll('{delivery}', String(deliveryId))
    .replaceAll('{first}', k.city.firstDay)
    .replaceAll('{last}', k.city.lastDay)
    .replaceAll('{A}', `${k.city.lastDay}:${uA}`)
    .replaceAll('{B}', `${k.city.lastDay}:${uB}`)
    .replaceAll('{M1}', `${k.city.firstDay}:${k.mover.uscc}`)
    .replaceAll('{uA}', uA)
    .replaceAll('{uB}', uB);
}

async function call(row: Row, who: Persona): Promise<Response> {
  const path = fill(row.path, who);
  if (row.page) return k.app.request(path, { headers: { cookie: `dafei_session=${k.as[who]}` } });
  const body = JSON.parse(fill(JSON.stringify(row.body ?? {}), who)) as unknown;
  return row.method === 'GET' ? k.getAs(path, who) : k.postAs(path, body, who);
}

/** The enterprises `row` should return to `who` ('all': as if it saw everything). */
function expected(row: Row, who: Persona, all: boolean): Set<string> {
  const h = row.holds!;
  const day =
    h === 'register' ? k.today : h.listedOn === 'first' ? k.city.firstDay : k.city.lastDay;
  const pool = h === 'register' ? k.city.enterprises.map((e) => e.uscc) : [...listed.get(day)!];
  // a filter names a district (its subtree is itself in this tree)
  return new Set(
    pool.filter(
      (u) =>
        (all || k.inArea(who, u, day)) &&
        (row.filter === undefined || k.officeOf(u, day) === row.filter),
    ),
  );
}

describe('roles × jurisdictions', () => {
  for (const row of TABLE) {
    for (const who of PERSONAS) {
      const cell = row.cells[who];
      const what =
        cell === 'all'
          ? 'allowed, everything'
          : cell === 'F'
            ? 'filtered to its area'
            : cell === 403
              ? 'denied'
              : cell === 404
                ? 'does not exist (404)'
                : String(cell);
      it(`${row.method} ${row.path} as ${who}: ${what}`, async () => {
        const res = await call(row, who);
        const text = await bodyText(res.clone(), k.db);
        if (typeof cell === 'number') {
          expect(res.status, text.slice(0, 300)).toBe(cell);
        } else if (cell === 'ok') {
          expect([401, 403], text.slice(0, 300)).not.toContain(res.status);
          expect(res.status, text.slice(0, 300)).toBeLessThan(500);
        } else {
          expect(res.status, text.slice(0, 300)).toBe(200);
          const found = new Set(
            k.city.enterprises.map((e) => e.uscc).filter((u) => text.includes(u)),
          );
          expect([...found].sort()).toEqual([...expected(row, who, cell === 'all')].sort());
        }
        // (an enterprise the request itself names may be echoed, e.g. in a 404's detail)
        const asked = fill(row.path + JSON.stringify(row.body ?? ''), who);
        for (const e of k.neverInArea(who))
          if (!asked.includes(e.uscc)) expect(text, `${e.uscc} ${e.name}`).not.toContain(e.uscc);
      });
    }
  }

  it('covers every route the app declares', () => {
    const declared = k.app.dafei.routes
      .filter((r) => r.roles !== 'public')
      .map((r) => `${r.method.toUpperCase()} ${r.path}`);
    const norm = (p: string) =>
      p
        .split('?')[0]!
        .replace(/\{(A|B|M1)\}/, ':id')
        .replace(/\{u[AB]\}/, ':uscc')
        .replace('/2/', '/:version/')
        .replace('/999/', '/:id/')
        .replace('/nobody-here/', '/:username/')
        .replace('/tokens/999999/', '/tokens/:id/')
        .replace('/held/999999/', '/held/:batch/')
        .replace('/templates/ad-monitor-csv', '/templates/:template')
        .replace(/\/uploads\/999999/, '/uploads/:upload')
        .replace(/alerts\.(csv|xlsx|ndjson)$/, 'alerts.$1')
        .replace(/\{(watchlist|archivable|sharedA|personalA)\}/, ':watchlist')
        .replace('{entry}', ':entry')
        .replace(/\{(subscription|subA|endpoint|delivery)\}/, ':id');
    const inTable = new Set(TABLE.filter((r) => !r.page).map((r) => `${r.method} ${norm(r.path)}`));
    for (const d of declared) expect(inTable, d).toContain(d);
  });

  it('ranks an office list among its own enterprises: its top is its own', async () => {
    const page = (await (await k.getAs('/v1/alerts?limit=200', 'regA')).json()) as {
      items: { rank: number; overall_rank: number; office: string }[];
    };
    expect(page.items.length).toBeGreaterThan(1);
    expect(page.items.map((i) => i.rank)).toEqual(page.items.map((_, i) => i + 1));
    expect(page.items.every((i) => i.office === '440402')).toBe(true);
    const overall = page.items.map((i) => i.overall_rank);
    expect([...overall].sort((a, b) => a - b)).toEqual(overall);
    expect(overall.some((r, i) => r !== i + 1)).toBe(true);
    // paging (one row a page) keeps the office ranks
    const ranks: number[] = [];
    for (let cursor: string | null = null, n = 0; n < 100; n++) {
      const res = await k.getAs(`/v1/alerts?limit=1${cursor ? `&cursor=${cursor}` : ''}`, 'regA');
      const pg = (await res.json()) as { items: { rank: number }[]; next_cursor: string | null };
      ranks.push(...pg.items.map((i) => i.rank));
      cursor = pg.next_cursor;
      if (!cursor) break;
    }
    expect(ranks).toEqual(page.items.map((_, i) => i + 1));
    // the summary counts the office's own
    const s = (await (await k.getAs('/v1/summary', 'regA')).json()) as { listed: number };
    expect(s.listed).toBe(page.items.length);
  });

  it('answers 404 for the timeline of an enterprise outside the area, whatever the cursor', async () => {
    // uB (district B) is outside regA's area: the same 404 as an unknown enterprise, even with a
    // cursor that is not one; in the area, that cursor is a 400
    for (const cursor of ['', '&cursor=not-a-cursor']) {
      const out = await k.getAs(`/v1/entities/${uB}/history?limit=5${cursor}`, 'regA');
      expect(out.status).toBe(404);
      expect(await out.text()).not.toContain('cursor');
    }
    expect((await k.getAs(`/v1/entities/${uA}/history?cursor=not-a-cursor`, 'regA')).status).toBe(
      400,
    );
    const own = (await (await k.getAs(`/v1/entities/${uA}/history?limit=2`, 'regA')).json()) as {
      uscc: string;
      items: unknown[];
    };
    expect(own.uscc).toBe(uA);
    expect(own.items.length).toBeGreaterThan(0);
  });

  it('places the mover point in time: district A before the move, B from it', async () => {
    const first = (await (
      await k.getAs(`/v1/alerts?date=${k.city.firstDay}&limit=200`, 'regA')
    ).json()) as { items: { uscc: string }[] };
    const last = (await (await k.getAs('/v1/alerts?limit=200', 'regA')).json()) as {
      items: { uscc: string }[];
    };
    expect(first.items.map((i) => i.uscc)).toContain(k.mover.uscc);
    expect(last.items.map((i) => i.uscc)).not.toContain(k.mover.uscc);
    const lastB = (await (await k.getAs('/v1/alerts?limit=200', 'invB')).json()) as {
      items: { uscc: string }[];
    };
    expect(lastB.items.map((i) => i.uscc)).toContain(k.mover.uscc);
  });

  it('shows a network neighbour of another jurisdiction without a name or a USCC', async () => {
    const center = k.city.schemes[0]!;
    const centerOffice = k.officeOf(center.uscc, k.today);
    const who: Persona =
      centerOffice === '440402' ? 'regA' : centerOffice === '440403' ? 'invB' : 'cityAdmin';
    const net = (await (await k.getAs(`/v1/entities/${center.uscc}/network`, who)).json()) as {
      neighbours: {
        uscc: string | null;
        name: string | null;
        other_jurisdiction: boolean;
        kinds: string[];
        shared: object;
      }[];
    };
    for (const n of net.neighbours) {
      if (n.other_jurisdiction) {
        expect(n.uscc).toBeNull();
        expect(n.name).toBeNull();
        expect(n.shared).toEqual({});
        expect(n.kinds.length).toBeGreaterThan(0);
      } else {
        expect(k.inArea(who, n.uscc!, k.today)).toBe(true);
      }
    }
    if (who !== 'cityAdmin')
      expect(net.neighbours.some((n) => n.other_jurisdiction)).toBe(
        k.city.linked.some((e) => !k.inArea(who, e.uscc, k.today)),
      );
  });
});
