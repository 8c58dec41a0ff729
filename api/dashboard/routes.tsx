/** The dashboard's routes. See index.ts. */
import { randomBytes } from 'node:crypto';
import type { Context, Hono } from 'hono';
import type { Child } from 'hono/jsx';
import { revokeToken, verifyToken, type Principal } from '../../pipeline/auth/index.ts';
import type { Db } from '../../pipeline/db/index.ts';
import { FEED_NAMES } from '../../pipeline/feeds/index.ts';
import { writeAudit, type AuditEntry } from '../../pipeline/queries/index.ts';
import type { AppEnv } from '../context.ts';
import { ApiClient, withQuery, type ApiResult } from './api-call.ts';
import { BASE, Shell, Problem, type NavKey } from './layout.tsx';
import { permissionsFor, type Can, type RouteRoles } from './permissions.ts';
import { checkCsrf, endSession, readSession, startSession, type Session } from './session.ts';
import { daySummary, entitySeries, listDays, listDistricts } from './queries.ts';
import { AlertsPage, type AlertFilters, type AlertItem } from './pages/alerts.tsx';
import { DetailPage, type AlertDetail } from './pages/detail.tsx';
import {
  EntityPage,
  SearchPage,
  type EntityHit,
  type HistoryItem,
  type NetworkData,
  type Profile,
} from './pages/entities.tsx';
import { LoginPage } from './pages/login.tsx';
import { ModelsPage, type ModelVersion } from './pages/models.tsx';
import { RunsPage, type QuarantineItem, type RunItem } from './pages/runs.tsx';
import type { OperationsData } from './pages/operations.tsx';

/** What the dashboard needs: pass createApp's own deps (its db is the serialised one). */
export interface DashboardDeps {
  db: Db;
  now?: () => Date;
}

/** Scripts run only with the page's nonce; inline styles (bar widths) are allowed. */
const csp = (nonce: string) =>
  `default-src 'self'; style-src 'unsafe-inline'; script-src 'nonce-${nonce}'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`;

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

interface Ctx {
  c: Context<AppEnv>;
  session: Session;
  api: ApiClient;
  can: Can;
  principal: Principal;
}

function safeNext(next: unknown): string {
  return typeof next === 'string' &&
    next.startsWith(`${BASE}/`) &&
    !next.startsWith('//') &&
    !/[\r\n\\]/.test(next)
    ? next
    : `${BASE}/`;
}

function problemText(r: { status: number; problem: { code: string; detail: string } }): string {
  return `${r.problem.detail}（${r.status} ${r.problem.code}）`;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

export function mountDashboard(app: Hono<AppEnv>, deps: DashboardDeps): void {
  const now = deps.now ?? (() => new Date());
  const db = deps.db;
  const routes = (): readonly RouteRoles[] | undefined =>
    (app as unknown as { dafei?: { routes?: RouteRoles[] } }).dafei?.routes;

  const render = (
    c: Context<AppEnv>,
    title: string,
    nav: NavKey,
    body: Child,
    ctx?: Ctx,
    status = 200,
  ) => {
    const nonce = randomBytes(16).toString('base64');
    c.header('content-security-policy', csp(nonce));
    c.header('x-frame-options', 'DENY');
    c.header('referrer-policy', 'same-origin');
    if (ctx && ctx.api.timings.length > 0) c.header('server-timing', ctx.api.serverTiming());
    return c.html(
      <Shell title={title} nav={nav} session={ctx?.session} can={ctx?.can} nonce={nonce}>
        {body}
      </Shell>,
      status as 200,
    );
  };

  /** Runs `fn` for a signed-in caller; otherwise sends GETs to the login page. */
  const page =
    (fn: (x: Ctx) => Promise<Response>) =>
    async (c: Context<AppEnv>): Promise<Response> => {
      const session = await readSession(c, db, now());
      if (!session) {
        if (c.req.method === 'GET') {
          const u = new URL(c.req.url);
          return c.redirect(`${BASE}/login?next=${encodeURIComponent(u.pathname + u.search)}`, 303);
        }
        return c.redirect(`${BASE}/login`, 303);
      }
      const ctx: Ctx = {
        c,
        session,
        principal: session.principal,
        api: new ApiClient(app, session.token),
        can: permissionsFor(session.principal.role, routes()),
      };
      if (c.req.method === 'POST') {
        const form = await c.req.parseBody();
        if (!checkCsrf(session, form['_csrf'])) {
          return render(
            c,
            '请求无效',
            'alerts',
            <Problem
              status={400}
              detail="表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试。"
            />,
            ctx,
            400,
          );
        }
        c.set('dashboardForm' as never, form as never);
      }
      return fn(ctx);
    };
  const formOf = (c: Context<AppEnv>) =>
    (c.get('dashboardForm' as never) ?? {}) as Record<string, unknown>;

  const fail = (
    x: Ctx,
    title: string,
    nav: NavKey,
    r: { status: number; problem: { code: string; detail: string } },
  ) =>
    render(
      x.c,
      title,
      nav,
      <Problem status={r.status} detail={problemText(r)} />,
      x,
      r.status === 401 ? 401 : r.status,
    );

  /** The API's (group-committed) audit writer when the app has one, else a direct insert. */
  const auditOf = (c: Context<AppEnv>, e: AuditEntry): Promise<void> => {
    const writer = (
      c.get('deps') as { audit?: { write(e: AuditEntry): Promise<void> } } | undefined
    )?.audit;
    return writer ? writer.write(e) : writeAudit(db, e);
  };

  // ---- entry points ------------------------------------------------------------------------------

  app.get('/', (c) => c.redirect(`${BASE}/`, 302));
  app.get(BASE, (c) => c.redirect(`${BASE}/`, 302));

  // ---- login / logout ----------------------------------------------------------------------------

  app.get(`${BASE}/login`, async (c) => {
    const mode = c.req.query('mode') === 'token' ? 'token' : 'password';
    const session = await readSession(c, db, now());
    if (session) return c.redirect(safeNext(c.req.query('next')), 303);
    return render(c, '登录', 'login', <LoginPage mode={mode} next={c.req.query('next')} />);
  });

  app.post(`${BASE}/login`, async (c) => {
    const form = await c.req.parseBody();
    const mode = form['mode'] === 'token' ? 'token' : 'password';
    const next = safeNext(form['next']);
    const nextField = typeof form['next'] === 'string' ? form['next'] : undefined;
    if (mode === 'token') {
      const token = typeof form['token'] === 'string' ? form['token'].trim() : '';
      const p = token ? await verifyToken(db, token, now()) : undefined;
      if (!p) {
        await auditOf(c, {
          actor: 'anonymous',
          role: null,
          action: 'auth.login_failed',
          target: 'dashboard:token',
          status: 401,
          at: now(),
        });
        return render(
          c,
          '登录',
          'login',
          <LoginPage mode="token" next={nextField} error="令牌无效、已撤销或已过期。" />,
          undefined,
          401,
        );
      }
      await auditOf(c, {
        actor: p.name,
        role: p.role,
        action: 'auth.login',
        target: 'dashboard:token',
        status: 200,
        at: now(),
      });
      startSession(c, token);
      return c.redirect(next, 303);
    }
    const username = typeof form['username'] === 'string' ? form['username'].trim() : '';
    const password = typeof form['password'] === 'string' ? form['password'] : '';
    const r = await new ApiClient(app, '').post<{ token: string }>('/v1/auth/login', {
      username,
      password,
    });
    if (!r.ok) {
      const msg =
        r.status === 401
          ? '用户名或密码错误。'
          : r.status === 400
            ? '请填写用户名和密码。'
            : `登录失败：${problemText(r)}`;
      return render(
        c,
        '登录',
        'login',
        <LoginPage mode="password" next={nextField} username={username} error={msg} />,
        undefined,
        r.status === 400 ? 400 : 401,
      );
    }
    startSession(c, r.data.token);
    return c.redirect(next, 303);
  });

  app.post(
    `${BASE}/logout`,
    page(async (x) => {
      // a session token issued for a user login ends with the session; pasted API tokens stay valid
      if (x.principal.name.startsWith('user:')) await revokeToken(db, x.principal.tokenId, now());
      await auditOf(x.c, {
        actor: x.principal.name,
        role: x.principal.role,
        action: 'auth.logout',
        target: 'dashboard',
        status: 200,
        at: now(),
      });
      endSession(x.c);
      return x.c.redirect(`${BASE}/login`, 303);
    }),
  );

  // ---- 今日预警 ------------------------------------------------------------------------------------

  app.get(
    `${BASE}/`,
    page(async (x) => {
      const q = x.c.req.query();
      const filters: AlertFilters = {
        date: DAY_RE.test(q['date'] ?? '') ? q['date'] : undefined,
        level: str(q['level']),
        district: str(q['district']),
        status: str(q['status']),
        q: str(q['q']),
      };
      const cursor = str(q['cursor']);
      const r = await x.api.get<{
        date: string | null;
        items: AlertItem[];
        next_cursor: string | null;
      }>('/v1/alerts', {
        ...filters,
        limit: 50,
        cursor,
      });
      if (!r.ok && r.status === 404 && filters.date) {
        // a day without a list: keep the page (and its date picker) and say so
        return render(
          x.c,
          `预警名单 ${filters.date}`,
          'alerts',
          <AlertsPage
            day={filters.date}
            filters={filters}
            items={[]}
            nextCursor={null}
            paged={false}
            summary={undefined}
            days={await listDays(db)}
            districts={await listDistricts(db)}
            can={x.can}
            notice={`${filters.date} 未发布预警名单。`}
          />,
          x,
          404,
        );
      }
      if (!r.ok) return fail(x, '今日预警', 'alerts', r);
      const day = r.data.date;
      const [summary, days, districts] = [
        day ? await daySummary(db, day) : undefined,
        await listDays(db),
        await listDistricts(db),
      ];
      return render(
        x.c,
        day ? `预警名单 ${day}` : '今日预警',
        'alerts',
        <AlertsPage
          day={day}
          filters={filters}
          items={r.data.items}
          nextCursor={r.data.next_cursor}
          paged={cursor !== undefined}
          summary={summary}
          days={days}
          districts={districts}
          can={x.can}
        />,
        x,
      );
    }),
  );

  // ---- 预警详情 + 处置 -------------------------------------------------------------------------------

  const renderDetail = async (
    x: Ctx,
    id: string,
    flash: { ok?: string; err?: string },
    form?: Record<string, string>,
    status = 200,
  ) => {
    const r = await x.api.get<AlertDetail>(`/v1/alerts/${encodeURIComponent(id)}`);
    if (!r.ok) return fail(x, '预警详情', 'alerts', r);
    const a = r.data.alert;
    const series = await entitySeries(db, a.uscc, a.day, 90);
    return render(
      x.c,
      `${a.name ?? a.uscc} · 预警详情`,
      'alerts',
      <DetailPage
        d={r.data}
        series={series}
        can={x.can}
        csrf={x.session.csrf}
        flashOk={flash.ok}
        flashErr={flash.err}
        form={form}
      />,
      x,
      status,
    );
  };

  app.get(
    `${BASE}/alerts/:id`,
    page(async (x) => {
      const saved = x.c.req.query('saved');
      return renderDetail(
        x,
        x.c.req.param('id') ?? '',
        saved ? { ok: `处置已记录：${saved}` } : {},
      );
    }),
  );

  app.post(
    `${BASE}/alerts/:id/disposition`,
    page(async (x) => {
      const id = x.c.req.param('id') ?? '';
      const f = formOf(x.c);
      const status = str(f['status']) ?? '';
      const note = str(f['note']);
      const assignee = str(f['assignee']);
      const caseRef = str(f['case_ref']);
      const body = {
        status,
        ...(note ? { note } : {}),
        ...(assignee ? { assignee } : {}),
        ...(caseRef ? { case_ref: caseRef } : {}),
      };
      const r = await x.api.post<{ status: string }>(
        `/v1/alerts/${encodeURIComponent(id)}/dispositions`,
        body,
      );
      if (r.ok)
        return x.c.redirect(
          `${BASE}/alerts/${id}?saved=${encodeURIComponent(r.data.status)}#disposition`,
          303,
        );
      const msg =
        r.status === 409
          ? `不允许的状态变更：${r.problem.detail}`
          : r.status === 403
            ? '您的角色无权记录处置。'
            : r.status === 400
              ? `输入有误：${r.problem.detail}`
              : `处置未能记录：${problemText(r)}`;
      const keep: Record<string, string> = {
        status,
        note: note ?? '',
        assignee: assignee ?? '',
        case_ref: caseRef ?? '',
      };
      return renderDetail(
        x,
        id,
        { err: msg },
        keep,
        r.status === 403 ? 403 : r.status >= 500 ? 500 : 400,
      );
    }),
  );

  // ---- exports (through the API's export routes, streamed) ----------------------------------------

  app.get(
    `${BASE}/exports/:file{alerts\\.(?:csv|xlsx)}`,
    page(async (x) => {
      const date = x.c.req.query('date') ?? '';
      const res = await x.api.raw(
        'GET',
        withQuery(`/v1/exports/${x.c.req.param('file') ?? ''}`, { date }),
      );
      if (!res.ok) {
        const text = await res.text();
        let detail = text.slice(0, 300);
        try {
          detail = (JSON.parse(text) as { detail?: string }).detail ?? detail;
        } catch {
          /* not JSON */
        }
        return render(
          x.c,
          '导出',
          'alerts',
          <Problem status={res.status} detail={detail} />,
          x,
          res.status,
        );
      }
      return res;
    }),
  );

  // ---- 企业查询 / 企业档案 ----------------------------------------------------------------------------

  app.get(
    `${BASE}/entities`,
    page(async (x) => {
      const q = str(x.c.req.query('q'));
      if (!q) {
        if (!x.can('searchEntities'))
          return render(
            x.c,
            '企业查询',
            'entities',
            <Problem status={403} detail="searchEntities" />,
            x,
            403,
          );
        return render(x.c, '企业查询', 'entities', <SearchPage q="" items={null} />, x);
      }
      const r = await x.api.get<{ items: EntityHit[] }>('/v1/entities', { q, limit: 30 });
      if (!r.ok) return fail(x, '企业查询', 'entities', r);
      return render(x.c, `查询：${q}`, 'entities', <SearchPage q={q} items={r.data.items} />, x);
    }),
  );

  app.get(
    `${BASE}/entities/:uscc`,
    page(async (x) => {
      const uscc = x.c.req.param('uscc') ?? '';
      const kinds = str(x.c.req.query('kinds'));
      const cursor = str(x.c.req.query('cursor'));
      const prof = await x.api.get<Profile>(`/v1/entities/${encodeURIComponent(uscc)}`);
      if (!prof.ok) return fail(x, '企业档案', 'entities', prof);
      const hist: ApiResult<{
        items: HistoryItem[];
        has_more: boolean;
        next_cursor: string | null;
      }> = await x.api.get(`/v1/entities/${encodeURIComponent(uscc)}/history`, {
        kinds,
        cursor,
        limit: 60,
      });
      const net: ApiResult<NetworkData> = await x.api.get(
        `/v1/entities/${encodeURIComponent(uscc)}/network`,
        { limit: 30 },
      );
      return render(
        x.c,
        `${prof.data.name} · 企业档案`,
        'entities',
        <EntityPage
          profile={prof.data}
          history={hist.ok ? hist.data : null}
          historyError={hist.ok ? undefined : problemText(hist)}
          kinds={kinds}
          network={net.ok ? net.data : null}
        />,
        x,
      );
    }),
  );

  // ---- 模型 ----------------------------------------------------------------------------------------

  app.get(
    `${BASE}/models`,
    page(async (x) => {
      const r = await x.api.get<{ active_version: number | null; items: ModelVersion[] }>(
        '/v1/models',
      );
      if (!r.ok) return fail(x, '模型', 'models', r);
      const ok = x.c.req.query('ok');
      const err = x.c.req.query('err');
      return render(
        x.c,
        '模型',
        'models',
        <ModelsPage
          activeVersion={r.data.active_version}
          items={r.data.items}
          canActivate={x.can('activateModel')}
          csrf={x.session.csrf}
          flashOk={
            ok === undefined
              ? undefined
              : ok === 'rules'
                ? '已回滚：名单改由规则指数排序。'
                : `已启用模型 v${ok}。`
          }
          flashErr={err}
        />,
        x,
      );
    }),
  );

  const modelAction = (x: Ctx, r: ApiResult<{ active_version: number | null }>) =>
    r.ok
      ? x.c.redirect(`${BASE}/models?ok=${r.data.active_version ?? 'rules'}`, 303)
      : x.c.redirect(
          `${BASE}/models?err=${encodeURIComponent(r.status === 403 ? '您的角色无权启用或回滚模型。' : problemText(r))}`,
          303,
        );

  app.post(
    `${BASE}/models/:version{[0-9]+}/activate`,
    page(async (x) =>
      modelAction(
        x,
        await x.api.post(`/v1/models/${x.c.req.param('version') ?? ''}/activate`, {
          note: '通过看板启用',
        }),
      ),
    ),
  );
  app.post(
    `${BASE}/models/rollback`,
    page(async (x) =>
      modelAction(x, await x.api.post('/v1/models/rollback', { note: '通过看板回滚' })),
    ),
  );

  // ---- 运行 ----------------------------------------------------------------------------------------

  app.post(
    `${BASE}/runs`,
    page(async (x) => {
      const date = str(formOf(x.c)['date']) ?? '';
      const r = await x.api.post<{ date: string; job_id: number | null }>('/v1/runs', { date });
      if (r.ok) {
        const started = `${r.data.date}${r.data.job_id ? `（任务 ${r.data.job_id}）` : ''}`;
        return x.c.redirect(`${BASE}/runs?started=${encodeURIComponent(started)}`, 303);
      }
      const msg =
        r.status === 503
          ? '本服务未启动调度器，不能在此触发运行（请用 dafei run --date）。'
          : r.status === 403
            ? '您的角色无权触发运行。'
            : r.status === 409
              ? `该日的运行已在排队或进行中：${problemText(r)}`
              : `未能触发运行：${problemText(r)}`;
      return x.c.redirect(`${BASE}/runs?err=${encodeURIComponent(msg)}`, 303);
    }),
  );

  // held batches, notices: the admin's buttons on the 运行 page
  app.post(
    `${BASE}/runs/ops`,
    page(async (x) => {
      const form = formOf(x.c);
      const id = Number(str(form['id']));
      const action = str(form['action']);
      const path =
        action === 'release' || action === 'discard'
          ? `/v1/held/${id}/${action}`
          : action === 'resolve'
            ? `/v1/notices/${id}/resolve`
            : null;
      if (path === null || !Number.isInteger(id)) return x.c.redirect(`${BASE}/runs`, 303);
      const r = await x.api.post(path, {});
      const done = { release: '已放行批次', discard: '已丢弃批次', resolve: '已处理事项' }[action!];
      return x.c.redirect(
        r.ok
          ? `${BASE}/runs?ok=${encodeURIComponent(`${done} ${id}`)}`
          : `${BASE}/runs?err=${encodeURIComponent(problemText(r))}`,
        303,
      );
    }),
  );

  app.get(
    `${BASE}/runs`,
    page(async (x) => {
      const q = x.c.req.query();
      const status = ['ok', 'failed', 'running', 'queued', 'held', 'warning'].includes(
        q['status'] ?? '',
      )
        ? q['status']
        : undefined;
      const feed = (FEED_NAMES as readonly string[]).includes(q['feed'] ?? '')
        ? q['feed']
        : undefined;
      const runs: ApiResult<{ items: RunItem[]; next_cursor: string | null } & OperationsData> =
        await x.api.get('/v1/runs', {
          status,
          limit: 50,
          cursor: str(q['run_cursor']),
        });
      const quarantine: ApiResult<{ items: QuarantineItem[]; next_cursor: string | null }> | null =
        x.can('listQuarantine')
          ? await x.api.get('/v1/quarantine', { feed, limit: 30, cursor: str(q['q_cursor']) })
          : null;
      return render(
        x.c,
        '运行',
        'runs',
        <RunsPage
          trigger={
            x.can('triggerRun')
              ? { day: (await listDays(db, 1))[0] ?? '', csrf: x.session.csrf }
              : undefined
          }
          flashOk={
            x.c.req.query('started')
              ? `已排队运行 ${x.c.req.query('started')}，完成后见运行记录。`
              : x.c.req.query('ok')
          }
          operations={
            runs.ok
              ? {
                  data: runs.data,
                  csrf: x.session.principal.role === 'admin' ? x.session.csrf : undefined,
                }
              : undefined
          }
          flashErr={x.c.req.query('err')}
          runs={runs.ok ? runs.data : null}
          runsError={runs.ok ? undefined : problemText(runs)}
          status={status}
          quarantine={quarantine?.ok ? quarantine.data : null}
          quarantineError={
            quarantine === null
              ? '隔离区仅对数据分析人员和管理员开放。'
              : quarantine.ok
                ? undefined
                : problemText(quarantine)
          }
          feed={feed}
          feeds={FEED_NAMES}
        />,
        x,
      );
    }),
  );
}
