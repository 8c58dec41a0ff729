/** The page shell: header with navigation, the signed-in user, inline CSS and script. */
import type { Child } from 'hono/jsx';
import { raw } from 'hono/html';
import { CSS, JS } from './assets.ts';
import { ROLE_ZH, zh } from './labels.ts';
import type { Can } from './permissions.ts';
import type { Session } from './session.ts';

export const BASE = '/ui';

export type NavKey =
  | 'alerts'
  | 'entities'
  | 'watchlists'
  | 'inbox'
  | 'approvals'
  | 'referrals'
  | 'models'
  | 'runs'
  | 'intake'
  | 'account'
  | 'admin'
  | 'login';

export interface ShellProps {
  title: string;
  nav: NavKey;
  session?: Session | undefined;
  can?: Can | undefined;
  /** The Content-Security-Policy nonce of the page's script. */
  nonce?: string | undefined;
  /** The signed-in account's unread notifications (the 通知 badge). */
  unread?: number | undefined;
  children?: Child;
}

export function Shell(p: ShellProps): Child {
  const items: { key: NavKey; href: string; label: string; show: boolean }[] = [
    { key: 'alerts', href: `${BASE}/`, label: '今日预警', show: true },
    {
      key: 'entities',
      href: `${BASE}/entities`,
      label: '企业查询',
      show: p.can?.('searchEntities') ?? false,
    },
    {
      key: 'watchlists',
      href: `${BASE}/watchlists`,
      label: '关注名单',
      show: p.can?.('listWatchlists') ?? false,
    },
    {
      key: 'approvals',
      href: `${BASE}/approvals`,
      label: '审批',
      show: p.can?.('listApprovals') ?? false,
    },
    {
      key: 'referrals',
      href: `${BASE}/referrals`,
      label: '移交',
      show: p.can?.('listReferrals') ?? false,
    },
    { key: 'models', href: `${BASE}/models`, label: '模型', show: true },
    { key: 'runs', href: `${BASE}/runs`, label: '运行', show: true },
    {
      key: 'intake',
      href: `${BASE}/intake`,
      label: '数据导入',
      show: p.can?.('uploadIntakeFile') ?? false,
    },
    {
      key: 'admin',
      href: `${BASE}/admin/users`,
      label: '用户与令牌',
      show: p.session?.principal.role === 'admin',
    },
    { key: 'account', href: `${BASE}/account`, label: '我的账户', show: true },
  ];
  return (
    <>
      {raw('<!doctype html>')}
      <html lang="zh-CN">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title>{`${p.title} · 打非云`}</title>
          <style>{raw(CSS)}</style>
        </head>
        <body>
          <header class="top">
            <a class="brand" href={`${BASE}/`}>
              打非云 · 非法集资监测预警
            </a>
            {p.session ? (
              <nav>
                {items
                  .filter((i) => i.show)
                  .map((i) => (
                    <a href={i.href} class={i.key === p.nav ? 'on' : ''}>
                      {i.label}
                    </a>
                  ))}
                <a
                  href={`${BASE}/inbox`}
                  class={p.nav === 'inbox' ? 'on' : ''}
                  id="nav-inbox"
                  title={p.unread ? `${p.unread} 条未读通知` : '通知'}
                >
                  通知
                  {p.unread ? <span class="unread">{p.unread > 99 ? '99+' : p.unread}</span> : null}
                </a>
              </nav>
            ) : (
              <nav />
            )}
            {p.session ? (
              <div class="who">
                <span>
                  {p.session.principal.name.replace(/^user:/, '')}（
                  {zh(ROLE_ZH, p.session.principal.role)}）
                </span>
                <form method="post" action={`${BASE}/logout`}>
                  <input type="hidden" name="_csrf" value={p.session.csrf} />
                  <button type="submit">退出</button>
                </form>
              </div>
            ) : null}
          </header>
          <main>{p.children}</main>
          <script nonce={p.nonce}>{raw(JS)}</script>
        </body>
      </html>
    </>
  );
}

export function Flash(p: { ok?: string | undefined; err?: string | undefined }): Child {
  return (
    <>
      {p.ok ? <div class="flash ok">{p.ok}</div> : null}
      {p.err ? <div class="flash err">{p.err}</div> : null}
    </>
  );
}

export function LevelBadge(p: { level: string | null | undefined }): Child {
  if (!p.level) return <span class="muted">—</span>;
  const t =
    ({ red: '红', orange: '橙', yellow: '黄' } as Record<string, string>)[p.level] ?? p.level;
  return (
    <span class={`badge lv-${p.level}`} title={`${t}色预警`}>
      {t}
    </span>
  );
}

export function StatusBadge(p: { status: string | null | undefined }): Child {
  const s = p.status ?? '待核查';
  return <span class={`badge st st-${s}`}>{s}</span>;
}

export function alertHref(day: string, uscc: string): string {
  return `${BASE}/alerts/${day}:${uscc}`;
}

export function entityHref(uscc: string): string {
  return `${BASE}/entities/${uscc}`;
}

/** An error page body for an API refusal. */
export function Problem(p: { status: number; detail: string }): Child {
  const what =
    p.status === 403
      ? '您的角色无权查看此页面。'
      : p.status === 404
        ? '未找到。'
        : p.status === 400
          ? '请求参数有误。'
          : '服务暂时不可用。';
  return (
    <div class="card">
      <h1>{what}</h1>
      <p class="muted small">{p.detail}</p>
      <p>
        <a href={`${BASE}/`}>返回今日预警</a>
      </p>
    </div>
  );
}
