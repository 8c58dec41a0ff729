/**
 * The dashboard through `app.request` over a small hand-made database: login and sessions, the
 * list, the detail page with marked evidence (and escaped text), dispositions with CSRF, the API's
 * role rules, exports; plus the pure helpers (marks, chart axes, permissions).
 */
import {
  DEFAULT_JURISDICTION_FILE,
  loadJurisdictionFile,
} from '../../pipeline/jurisdictions/index.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import { createToken, createUser } from '../../pipeline/auth/index.ts';
import { loadConfig } from '../../pipeline/config.ts';
import { openMigratedDb, type Db } from '../../pipeline/db/index.ts';
import { withUsccCheckChar } from '../../pipeline/feeds/index.ts';
import { mountDashboard } from './index.ts';
import { isMounted } from './mount-check.ts';
import { cutPieces, Highlighted, type MarkSpan } from './highlight.tsx';
import { countMax, countTicks, niceMax } from '../charts/index.ts';
import { ScoreChart } from './charts.tsx';
import { FALLBACK, permissionsFor, type Operation } from './permissions.ts';
import { csrfFor } from './session.ts';
import { bucketLabel } from './pages/models.tsx';

/** A rendered JSX node (or the promise of one) as HTML. */
async function toHtml(node: unknown): Promise<string> {
  return ((await node) as { toString(): string }).toString();
}

const DAY = '2026-03-02';
const A = withUsccCheckChar('91440400MA4W8XKQ7');
const B = withUsccCheckChar('91440400MA4W8XKQ8');
const PASSWORD = 'unit-test-password';

async function seed(db: Db): Promise<void> {
  const reg = (uscc: string, name: string, legalRep: string, district: string) =>
    db.run(
      `INSERT INTO registrations_history (uscc, name, as_of, established_on, legal_rep, registered_capital_wan, paid_in_capital_wan,
         status, address, district, phone, shareholders, _key, _hash, _batch, _line)
       VALUES ($u, $n, DATE '2026-01-01', DATE '2025-06-01', $lr, 5000, 0, '存续', '珠海市香洲区某路1号', $d, '0756-1234567', '[]', $u, 'h', 1, 1)`,
      { u: uscc, n: name, lr: legalRep, d: district },
    );
  await reg(A, '珠海汇富财富管理有限公司', '李四', '香洲区');
  await reg(B, '珠海平安种植有限公司', '王五', '斗门区');
  await db.run(
    `INSERT INTO ads_history (ad_id, seen_at, seen_day, channel, advertiser_name, advertiser_uscc, title, text, _key, _hash, _batch, _line)
     VALUES ('AD1', TIMESTAMPTZ '2026-03-01 10:00:00+08', DATE '2026-03-01', 'wechat', '汇富财富', $u, '汇富理财',
             '汇富理财：保本保息，年化收益18%，推荐好友返利。<script>alert(1)</script>', 'AD1', 'h', 2, 1)`,
    { u: A },
  );
  await db.run(
    `INSERT INTO complaints_history (complaint_id, received_at, received_day, channel, target_name, target_uscc, text, amount_cny,
       complainant_ref, district, _key, _hash, _batch, _line)
     VALUES ('TS1', TIMESTAMPTZ '2026-03-01 15:00:00+08', DATE '2026-03-01', 'portal', '汇富财富', $u,
             '在汇富投资了5万元，现在无法提现，客服失联。', 50000, 'C-SECRET-1', '香洲区', 'TS1', 'h', 3, 1)`,
    { u: A },
  );
  await db.run(
    `INSERT INTO list_revisions VALUES ($d::DATE, 1, TIMESTAMPTZ '2026-03-02 06:00:00+08', 'rules', NULL, 'fp', 2, 2, 1, 0, 1)`,
    { d: DAY },
  );
  const reasons = JSON.stringify([
    {
      feature: 'ad_flag_guaranteed_90d',
      label: '保本保息',
      value: 1,
      contribution: 0.3,
      text: '近90天广告含「保本保息」话术 1 处',
    },
  ]);
  await db.run(
    `INSERT INTO list_entries VALUES ($d::DATE, 1, $a, 1, 0.82, 'red', 0.82, $r::JSON, '{}'::JSON, '{}'::JSON),
                                     ($d::DATE, 1, $b, 2, 0.21, 'yellow', 0.21, '[]'::JSON, '{}'::JSON, '{}'::JSON)`,
    { d: DAY, a: A, b: B, r: reasons },
  );
  await db.run(`INSERT INTO list_changes VALUES ($d::DATE, 1, $a, 'new', NULL, 'red')`, {
    d: DAY,
    a: A,
  });
}

describe('dashboard pages', () => {
  let db: Db;
  let app: ReturnType<typeof createApp>;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    db = await openMigratedDb(':memory:');
    await loadJurisdictionFile(db, DEFAULT_JURISDICTION_FILE);
    await seed(db);
    for (const role of ['regulator', 'investigator', 'data_scientist', 'admin'] as const) {
      tokens[role] = (await createToken(db, { name: `t-${role}`, role })).token;
    }
    await createUser(db, { username: 'inv', password: PASSWORD, role: 'investigator' });
    app = createApp({ db, config: loadConfig({}), log: () => {} });
    if (!isMounted(app)) mountDashboard(app, app.dafei.deps);
  });
  afterAll(() => db.close());

  const cookie = (role: string) => ({ cookie: `dafei_session=${tokens[role]}` });
  const get = (path: string, role?: string) =>
    app.request(path, { headers: role ? cookie(role) : {} });
  const post = (path: string, form: Record<string, string>, role?: string) =>
    app.request(path, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(role ? cookie(role) : {}),
      },
      body: new URLSearchParams(form).toString(),
    });

  it('sends visitors without a session to the login page, keeping where they wanted to go', async () => {
    const res = await get('/ui/alerts/x');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/ui/login?next=%2Fui%2Falerts%2Fx');
    expect((await get('/')).headers.get('location')).toBe('/ui/');
    const login = await get('/ui/login');
    expect(login.status).toBe(200);
    expect(await login.text()).toContain('用户名密码');
  });

  it('logs in with a user name and password: HttpOnly SameSite=Strict cookie, safe redirect only', async () => {
    const bad = await post('/ui/login', {
      mode: 'password',
      username: 'inv',
      password: 'nope-nope-nope',
    });
    expect(bad.status).toBe(401);
    expect(await bad.text()).toContain('用户名或密码错误');
    const ok = await post('/ui/login', {
      mode: 'password',
      username: 'inv',
      password: PASSWORD,
      next: '//evil.example/x',
    });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/ui/');
    const setCookie = ok.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^dafei_session=dfk_/);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    const token = /dafei_session=([^;]+)/.exec(setCookie)![1]!;
    const list = await app.request('/ui/', { headers: { cookie: `dafei_session=${token}` } });
    expect(list.status).toBe(200);
    // logging out ends a user session's token
    const out = await app.request('/ui/logout', {
      method: 'POST',
      headers: {
        cookie: `dafei_session=${token}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: `_csrf=${csrfFor(token)}`,
    });
    expect(out.status).toBe(303);
    expect(
      (await app.request('/ui/', { headers: { cookie: `dafei_session=${token}` } })).status,
    ).toBe(303);
  });

  it('logs in with an API token and refuses an unknown one', async () => {
    expect((await post('/ui/login', { mode: 'token', token: 'dfk_unknown' })).status).toBe(401);
    const ok = await post('/ui/login', {
      mode: 'token',
      token: tokens['regulator']!,
      next: '/ui/models',
    });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/ui/models');
    const audited = await db.all<{ action: string; actor: string }>(
      `SELECT action, actor FROM audit_log WHERE target = 'dashboard:token' ORDER BY audit_id`,
    );
    expect(audited).toEqual([
      { action: 'auth.login_failed', actor: 'anonymous' },
      { action: 'auth.login', actor: 't-regulator' },
    ]);
  });

  it("renders the day's list with level, change, status, filters and export links", async () => {
    const res = await get('/ui/', 'regulator');
    const html = await res.text();
    expect(res.status).toBe(200);
    const policy = res.headers.get('content-security-policy') ?? '';
    expect(policy).toContain("default-src 'self'");
    const nonce = /script-src 'nonce-([^']+)'/.exec(policy)?.[1];
    expect(nonce).toBeDefined();
    expect(html).toContain(`<script nonce="${nonce}">`);
    expect(html).toContain('珠海汇富财富管理有限公司');
    expect(html).toContain('class="badge lv-red"');
    expect(html).toContain('新增');
    expect(html).toContain('待核查');
    expect(html).toContain(`/ui/exports/alerts.xlsx?date=${DAY}`);
    expect(html).toContain(`/ui/exports/alerts.csv?date=${DAY}`);
    const filtered = await (await get('/ui/?level=yellow', 'regulator')).text();
    expect(filtered).toContain('珠海平安种植有限公司');
    expect(filtered).not.toContain('珠海汇富财富管理有限公司');
    const byDistrict = await (
      await get(`/ui/?district=${encodeURIComponent('斗门区')}`, 'regulator')
    ).text();
    expect(byDistrict).not.toContain('珠海汇富财富管理有限公司');
  });

  it('marks red-flag phrases and yields in the evidence and escapes the text', async () => {
    const html = await (await get(`/ui/alerts/${DAY}:${A}`, 'investigator')).text();
    expect(html).toMatch(/<mark class="rf"[^>]*>保本保息<\/mark>/);
    expect(html).toMatch(/<mark class="[^"]*yield[^"]*"/);
    expect(html).toContain('LPR');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('近90天广告含「保本保息」话术 1 处');
    expect(html).toContain('<svg class="chart"');
    expect(html).toContain('C-SECRET-1');
  });

  it('hides complainant references from regulators, as the API does', async () => {
    const html = await (await get(`/ui/alerts/${DAY}:${A}`, 'regulator')).text();
    expect(html).toContain('保本保息');
    expect(html).not.toContain('C-SECRET-1');
  });

  it('records a disposition only with the form token, and refuses transitions the workflow forbids', async () => {
    const path = `/ui/alerts/${DAY}:${A}/disposition`;
    const noCsrf = await post(path, { status: '核查中', note: 'x' }, 'investigator');
    expect(noCsrf.status).toBe(400);
    const count = async () =>
      (await db.one<{ n: number }>(`SELECT count(*)::INTEGER AS n FROM dispositions`))!.n;
    expect(await count()).toBe(0);
    const csrf = csrfFor(tokens['investigator']!);
    const ok = await post(
      path,
      { _csrf: csrf, status: '核查中', note: '已约谈', assignee: '赵六' },
      'investigator',
    );
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toContain(`/ui/alerts/${DAY}:${A}?saved=`);
    expect(await count()).toBe(1);
    const refused = await post(path, { _csrf: csrf, status: '待核查' }, 'investigator');
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('不允许的状态变更');
    expect(await count()).toBe(1);
    const detail = await (await get(`/ui/alerts/${DAY}:${A}`, 'investigator')).text();
    expect(detail).toContain('已约谈');
    expect(detail).toContain('赵六');
    // data scientists may read the alert but not act on it (API: createDisposition)
    const ds = await post(
      path,
      { _csrf: csrfFor(tokens['data_scientist']!), status: '排除' },
      'data_scientist',
    );
    expect(ds.status).toBe(403);
    expect(await count()).toBe(1);
  });

  it('takes a long Chinese note as multipart (a url-encoded one would pass the 16 KB body limit)', async () => {
    const note = '约谈法定代表人，核实资金去向。'.repeat(130).slice(0, 2000);
    const form = new FormData();
    form.set('_csrf', csrfFor(tokens['admin']!));
    form.set('status', '移交');
    form.set('refer_to', 'amr');
    form.set('note', note);
    const res = await app.request(`/ui/alerts/${DAY}:${A}/disposition`, {
      method: 'POST',
      headers: cookie('admin'),
      body: form,
    });
    expect(res.status).toBe(303);
    const last = await db.one<{ status: string; note: string }>(
      `SELECT status, note FROM dispositions ORDER BY disposition_id DESC LIMIT 1`,
    );
    expect(last).toEqual({ status: '移交', note });
  });

  it('says so when a day has no list', async () => {
    const res = await get('/ui/?date=2026-02-01', 'regulator');
    expect(res.status).toBe(404);
    const html = await res.text();
    expect(html).toContain('2026-02-01 未发布预警名单');
    expect(html).toContain('name="date"');
  });

  it('shows data scientists neither the enterprise search nor the export buttons', async () => {
    const html = await (await get('/ui/', 'data_scientist')).text();
    expect(html).not.toContain('企业查询');
    expect(html).not.toContain('/ui/exports/');
    expect((await get('/ui/entities', 'data_scientist')).status).toBe(403);
    expect((await get(`/ui/exports/alerts.csv?date=${DAY}`, 'data_scientist')).status).toBe(403);
  });

  it('streams the CSV export with a BOM through the API', async () => {
    const res = await get(`/ui/exports/alerts.csv?date=${DAY}`, 'regulator');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toContain(`alerts-${DAY}.csv`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = new TextDecoder().decode(bytes.subarray(3)).trim().split('\n');
    expect(lines).toHaveLength(3);
  });

  it('serves the search, profile, models and runs pages', async () => {
    const search = await (
      await get(`/ui/entities?q=${encodeURIComponent('汇富')}`, 'investigator')
    ).text();
    expect(search).toContain(`/ui/entities/${A}`);
    const profile = await get(`/ui/entities/${A}`, 'investigator');
    expect(profile.status).toBe(200);
    const ph = await profile.text();
    expect(ph).toContain('时间线');
    expect(ph).toContain('李四');
    const models = await get('/ui/models', 'admin');
    expect(models.status).toBe(200);
    expect(await models.text()).toContain('规则指数');
    const runs = await (await get('/ui/runs', 'admin')).text();
    expect(runs).toContain('隔离区');
    expect(runs).toContain('id="trigger-run"');
    const regRuns = await (await get('/ui/runs', 'regulator')).text();
    expect(regRuns).toContain('隔离区仅对数据分析人员和管理员开放');
    expect(regRuns).not.toContain('id="trigger-run"');
    // this app has no scheduler: the API answers 503 and the page says so
    const trig = await post('/ui/runs', { _csrf: csrfFor(tokens['admin']!), date: DAY }, 'admin');
    expect(trig.status).toBe(303);
    expect(decodeURIComponent(trig.headers.get('location') ?? '')).toContain('未启动调度器');
  });
});

describe('marks', () => {
  const span = (start: number, end: number, kind: string): MarkSpan => ({
    start,
    end,
    kind,
    label: kind,
    term: 'x',
  });

  it('cuts text at every span boundary and keeps the text whole', () => {
    const text = '保本保息年化18%';
    const pieces = cutPieces(text, [
      span(0, 4, 'red_flag'),
      span(4, 9, 'yield'),
      span(4, 6, 'red_flag'),
    ]);
    expect(pieces.map((p) => p.text).join('')).toBe(text);
    expect(
      pieces.map((p) => [
        p.text,
        p.spans
          .map((s) => s.kind)
          .sort()
          .join('+'),
      ]),
    ).toEqual([
      ['保本保息', 'red_flag'],
      ['年化', 'red_flag+yield'],
      ['18%', 'yield'],
    ]);
  });

  it('ignores spans outside the text', () => {
    expect(
      cutPieces('abc', [span(2, 9, 'red_flag'), span(-1, 1, 'red_flag'), span(1, 1, 'yield')]),
    ).toEqual([{ text: 'abc', spans: [] }]);
  });

  it('renders <mark> and escapes', async () => {
    const html = await toHtml(
      Highlighted({ text: '<b>保本</b>', spans: [span(3, 5, 'red_flag')] }),
    );
    expect(html).toBe(
      '&lt;b&gt;<mark class="rf" title="red_flag：x" data-kind="red_flag">保本</mark>&lt;/b&gt;',
    );
  });
});

describe('charts', () => {
  it('picks tidy axis maxima and whole-number ticks', () => {
    expect([0, 0.3, 1, 3, 7, 11, 240].map(niceMax)).toEqual([1, 0.5, 1, 5, 10, 20, 500]);
    expect(countTicks(2)).toEqual([0, 0.5, 1]);
    expect(countTicks(20)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect([0, 1, 5, 13, 21].map(countMax)).toEqual([4, 4, 8, 16, 50]);
  });

  it('draws a score line with gaps where the enterprise was not scored', async () => {
    const svg = await toHtml(
      ScoreChart({
        points: [
          { day: '2026-03-01', score: 0.2, ads: 1, complaints: 0 },
          { day: '2026-03-02', score: null, ads: 0, complaints: 2 },
          { day: '2026-03-03', score: 0.5, ads: 0, complaints: 0 },
          { day: '2026-03-04', score: 0.6, ads: 0, complaints: 0 },
        ],
      }),
    );
    expect(svg.match(/<polyline/g)).toHaveLength(1);
    expect(svg.match(/<circle/g)).toHaveLength(1);
    expect(svg.match(/<rect/g)).toHaveLength(2);
  });

  it('names lead-time buckets in words', () => {
    expect(bucketLabel({ label: '< 0', from: null, to: 0 })).toBe('滞后');
    expect(bucketLabel({ label: '[7, 30)', from: 7, to: 30 })).toBe('7–30天');
    expect(bucketLabel({ label: '≥ 180', from: 180, to: null })).toBe('≥180天');
  });
});

describe('permissions', () => {
  it('mirror the roles the API declares for each route', async () => {
    const db = await openMigratedDb(':memory:');
    try {
      const app = createApp({ db, config: loadConfig({}), log: () => {} });
      for (const op of Object.keys(FALLBACK) as Operation[]) {
        const route = app.dafei.routes.find((r) => r.operationId === op);
        expect(route, op).toBeDefined();
        expect([...(route!.roles as string[])].sort(), op).toEqual([...FALLBACK[op]].sort());
      }
      const can = permissionsFor('regulator', app.dafei.routes);
      expect(can('createDisposition')).toBe(true);
      expect(can('activateModel')).toBe(false);
    } finally {
      db.close();
    }
  });
});
