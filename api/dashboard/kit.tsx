/**
 * What every dashboard page module needs to add its routes: the shell renderer with the page's
 * security headers, the signed-in wrapper (`page`), the CSRF-checked form, error pages and the
 * audit writer. `routes.ts` builds one kit and hands it to each page's `mount…(kit)`; a new page is
 * a module under `pages/` exporting such a function, registered there in one line (README.md).
 */
import { randomBytes } from 'node:crypto';
import type { Context, Hono } from 'hono';
import type { Child } from 'hono/jsx';
import type { Principal } from '../../pipeline/auth/index.ts';
import type { Db } from '../../pipeline/db/index.ts';
import { writeAudit, type AuditEntry } from '../../pipeline/queries/index.ts';
import type { AppEnv, ClientInfo } from '../context.ts';
import { ApiClient } from './api-call.ts';
import { BASE, Problem, Shell, type NavKey } from './layout.tsx';
import { permissionsFor, type Can, type RouteRoles } from './permissions.ts';
import { checkCsrf, readSession, type Session, type SessionOptions } from './session.ts';

/** What the dashboard needs: pass createApp's own deps (its db is the serialised one). */
export interface DashboardDeps {
  db: Db;
  now?: () => Date;
  /** The API's token verifier (idle timeout; revocations take effect at once). */
  tokens?: { verify(token: string): Promise<Principal | undefined>; invalidate(): void };
  config?: { security: { public_url: string | null; session_hours: number } };
}

/** A signed-in request: its context, session, the API client with its token, and its permissions. */
export interface PageCtx {
  c: Context<AppEnv>;
  session: Session;
  api: ApiClient;
  can: Can;
  principal: Principal;
}

/** An API failure as the dashboard shows it. */
export interface ApiProblem {
  status: number;
  problem: { code: string; detail: string };
}

export interface DashboardKit {
  app: Hono<AppEnv>;
  db: Db;
  now: () => Date;
  /** The page inside the shell, with the nonce-based CSP and the API calls' Server-Timing. */
  render: (
    c: Context<AppEnv>,
    title: string,
    nav: NavKey,
    body: Child,
    ctx?: PageCtx,
    status?: number,
  ) => Response | Promise<Response>;
  /** Runs `fn` for a signed-in caller (POSTs: CSRF checked first); otherwise to the login page. */
  page: (fn: (x: PageCtx) => Promise<Response>) => (c: Context<AppEnv>) => Promise<Response>;
  /** The fields of a POST that `page` has checked. */
  formOf: (c: Context<AppEnv>) => Record<string, unknown>;
  /** An API failure as an error page with the API's status. */
  fail: (x: PageCtx, title: string, nav: NavKey, r: ApiProblem) => Response | Promise<Response>;
  /** The API's (group-committed) audit writer when the app has one, else a direct insert. */
  audit: (c: Context<AppEnv>, e: AuditEntry) => Promise<void>;
  /** How sessions are verified (idle timeout, revocation) and their cookie set (Secure, lifetime). */
  session: SessionOptions;
  /** Forget verified tokens after ending one (logout). */
  invalidateTokens: () => void;
}

/** Scripts run only with the page's nonce; inline styles (bar widths) are allowed. */
const csp = (nonce: string) =>
  `default-src 'self'; style-src 'unsafe-inline'; script-src 'nonce-${nonce}'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`;

export const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

/** A dashboard path to return to after login; anything else goes to the list. */
export function safeNext(next: unknown): string {
  return typeof next === 'string' &&
    next.startsWith(`${BASE}/`) &&
    !next.startsWith('//') &&
    !/[\r\n\\]/.test(next)
    ? next
    : `${BASE}/`;
}

export function problemText(r: ApiProblem): string {
  return `${r.problem.detail}（${r.status} ${r.problem.code}）`;
}

/** A non-blank query or form value, trimmed. */
export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

/** The root office of the API's jurisdiction tree (undefined when none is loaded). */
async function rootOffice(c: Context<AppEnv>): Promise<string | undefined> {
  const keeper = (c.get('deps') as Partial<AppEnv['Variables']['deps']> | undefined)?.jurisdictions;
  return keeper ? (await keeper.tree()).root?.code : undefined;
}

export function createKit(app: Hono<AppEnv>, deps: DashboardDeps): DashboardKit {
  const now = deps.now ?? (() => new Date());
  const db = deps.db;
  const session: SessionOptions = {
    ...(deps.tokens ? { verify: (t: string) => deps.tokens!.verify(t) } : {}),
    secure: deps.config?.security.public_url?.startsWith('https:') ?? false,
    maxAgeSeconds: Math.round((deps.config?.security.session_hours ?? 12) * 3600),
  };
  const routes = (): readonly RouteRoles[] | undefined =>
    (app as unknown as { dafei?: { routes?: RouteRoles[] } }).dafei?.routes;

  const render: DashboardKit['render'] = async (c, title, nav, body, ctx, status = 200) => {
    const nonce = randomBytes(16).toString('base64');
    // the header's 通知 badge, through the API like everything else
    const unread = ctx
      ? await ctx.api.get<{ unread: number }>('/v1/notifications/unread-count')
      : undefined;
    c.header('content-security-policy', csp(nonce));
    c.header('x-frame-options', 'DENY');
    c.header('referrer-policy', 'same-origin');
    if (ctx && ctx.api.timings.length > 0) c.header('server-timing', ctx.api.serverTiming());
    return c.html(
      <Shell
        title={title}
        nav={nav}
        session={ctx?.session}
        can={ctx?.can}
        nonce={nonce}
        unread={unread?.ok ? unread.data.unread : undefined}
      >
        {body}
      </Shell>,
      status as 200,
    );
  };

  const page: DashboardKit['page'] = (fn) => async (c) => {
    const signedIn = await readSession(c, db, now(), session);
    if (!signedIn) {
      if (c.req.method === 'GET') {
        const u = new URL(c.req.url);
        return c.redirect(`${BASE}/login?next=${encodeURIComponent(u.pathname + u.search)}`, 303);
      }
      return c.redirect(`${BASE}/login`, 303);
    }
    // a session that must first change its one-time password or enrol TOTP sees only that page
    const scope = signedIn.principal.scope;
    if (scope !== 'full' && !new URL(c.req.url).pathname.startsWith(`${BASE}/account`))
      return c.redirect(
        `${BASE}/account/${scope === 'change_password' ? 'password' : 'totp'}`,
        303,
      );
    const ctx: PageCtx = {
      c,
      session: signedIn,
      principal: signedIn.principal,
      // the API call carries this request's client (address, user agent, request id) for the audit
      api: new ApiClient(app, signedIn.token, c),
      can: permissionsFor(
        signedIn.principal.role,
        routes(),
        signedIn.principal.jurisdiction !== null &&
          signedIn.principal.jurisdiction !== (await rootOffice(c)),
      ),
    };
    if (c.req.method === 'POST') {
      const form = await c.req.parseBody();
      if (!checkCsrf(signedIn, form['_csrf'])) {
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

  const formOf: DashboardKit['formOf'] = (c) => c.get('dashboardForm' as never) ?? {};

  const fail: DashboardKit['fail'] = (x, title, nav, r) =>
    render(
      x.c,
      title,
      nav,
      <Problem status={r.status} detail={problemText(r)} />,
      x,
      r.status === 401 ? 401 : r.status,
    );

  const audit: DashboardKit['audit'] = (c, e) => {
    const writer = (
      c.get('deps') as { audit?: { write(e: AuditEntry): Promise<void> } } | undefined
    )?.audit;
    const client = c.get('client') as ClientInfo | undefined;
    const entry: AuditEntry = {
      clientIp: client?.ip ?? null,
      userAgent: client?.userAgent ?? null,
      requestId: client?.requestId ?? null,
      ...e,
    };
    return writer ? writer.write(entry) : writeAudit(db, entry);
  };

  const invalidateTokens = () => deps.tokens?.invalidate();

  return { app, db, now, render, page, formOf, fail, audit, session, invalidateTokens };
}
