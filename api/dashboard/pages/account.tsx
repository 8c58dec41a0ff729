/**
 * 账户 pages: my account, change my password, TOTP enrolment (two-step login), and for admins
 * 用户与令牌 (users and tokens). Every action goes through the API (routes/accounts.ts) with the
 * session's token, so its rules, refusals and audit apply. Secrets shown once (one-time
 * passwords, tokens, recovery codes) are rendered in the POST's answer, never put in a URL.
 * `mountAccount(kit)` adds the routes; routes.ts calls it.
 */
import type { Child } from 'hono/jsx';
import type { DashboardKit, PageCtx } from '../kit.tsx';
import { BASE, Flash } from '../layout.tsx';
import { endSession } from '../session.ts';
import type { TokenInfo, UserInfo } from '../../../pipeline/auth/index.ts';

type UserRow = UserInfo;
type TokenRow = TokenInfo;

const ROLE_ZH: Record<string, string> = {
  regulator: '监管人员',
  investigator: '调查人员',
  data_scientist: '数据分析',
  admin: '管理员',
};

const s = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
const short = (t: string | null) => (t ? t.slice(0, 16) : '—');

function Csrf(p: { x: PageCtx }): Child {
  return <input type="hidden" name="_csrf" value={p.x.session.csrf} />;
}

function PasswordForm(p: { x: PageCtx; oneTime: boolean; err?: string | undefined }): Child {
  return (
    <div class="card" style="max-width:460px">
      <h1>{p.oneTime ? '请先设置新密码' : '修改密码'}</h1>
      {p.oneTime ? (
        <p class="muted small">您正在使用管理员发放的一次性密码，设置新密码后才能使用系统。</p>
      ) : null}
      <Flash err={p.err} />
      <form class="stack" method="post" action={`${BASE}/account/password`}>
        <Csrf x={p.x} />
        <label>
          当前密码
          <input
            type="password"
            name="current"
            autocomplete="current-password"
            required
            maxlength={200}
          />
        </label>
        <label>
          新密码（至少 12 个字符，不能是常见密码）
          <input
            type="password"
            name="new"
            autocomplete="new-password"
            required
            minlength={12}
            maxlength={128}
          />
        </label>
        <label>
          再次输入新密码
          <input
            type="password"
            name="again"
            autocomplete="new-password"
            required
            minlength={12}
            maxlength={128}
          />
        </label>
        <button type="submit">修改密码</button>
      </form>
      <p class="muted small">修改后，您在所有设备上的登录都会失效，请用新密码重新登录。</p>
    </div>
  );
}

export function mountAccount(kit: DashboardKit): void {
  const { app, page, render, formOf } = kit;

  app.get(
    `${BASE}/account`,
    page(async (x) => {
      const me = await x.api.get<{
        username: string | null;
        role: string;
        totp: boolean;
        kind: string;
      }>('/v1/me');
      const m = me.ok ? me.data : undefined;
      return render(
        x.c,
        '我的账户',
        'account',
        <div class="card" style="max-width:560px">
          <h1>我的账户</h1>
          <table class="small">
            <tr>
              <th>用户</th>
              <td>{m?.username ?? x.principal.name}</td>
            </tr>
            <tr>
              <th>角色</th>
              <td>{ROLE_ZH[x.principal.role] ?? x.principal.role}</td>
            </tr>
            <tr>
              <th>两步验证</th>
              <td>{m?.totp ? '已启用' : '未启用'}</td>
            </tr>
          </table>
          {m?.username ? (
            <p class="row">
              <a class="btn ghost" href={`${BASE}/account/password`}>
                修改密码
              </a>
              {m.totp ? null : (
                <a class="btn ghost" href={`${BASE}/account/totp`}>
                  启用两步验证
                </a>
              )}
            </p>
          ) : (
            <p class="muted small">您以 API 令牌登录，没有密码；令牌由管理员管理。</p>
          )}
        </div>,
        x,
      );
    }),
  );

  app.get(
    `${BASE}/account/password`,
    page(async (x) =>
      render(
        x.c,
        '修改密码',
        'account',
        <PasswordForm x={x} oneTime={x.principal.scope === 'change_password'} />,
        x,
      ),
    ),
  );

  app.post(
    `${BASE}/account/password`,
    page(async (x) => {
      const f = formOf(x.c);
      const oneTime = x.principal.scope === 'change_password';
      const again = (err: string) =>
        render(
          x.c,
          '修改密码',
          'account',
          <PasswordForm x={x} oneTime={oneTime} err={err} />,
          x,
          400,
        );
      if (typeof f['new'] !== 'string' || f['new'] !== f['again'])
        return again('两次输入的新密码不一致。');
      const r = await x.api.post('/v1/me/password', { current: f['current'] ?? '', new: f['new'] });
      if (!r.ok)
        return again(
          /current password is wrong/.test(r.problem.detail)
            ? '当前密码不正确。'
            : /at least 12/.test(r.problem.detail)
              ? '新密码至少需要 12 个字符。'
              : /common/.test(r.problem.detail)
                ? '新密码过于常见，请换一个。'
                : `未能修改：${r.problem.detail}`,
        );
      endSession(x.c);
      return x.c.redirect(`${BASE}/login?changed=1`, 303);
    }),
  );

  app.get(
    `${BASE}/account/totp`,
    page(async (x) => {
      const me = await x.api.get<{ totp: boolean }>('/v1/me');
      const on = me.ok && me.data.totp;
      return render(
        x.c,
        '两步验证',
        'account',
        <div class="card" style="max-width:560px">
          <h1>两步验证（TOTP）</h1>
          {on ? (
            <p>已启用。登录时需输入身份验证器应用中的 6 位动态验证码。</p>
          ) : (
            <>
              {x.principal.scope === 'enrol_totp' ? (
                <div class="flash err">管理员账户必须启用两步验证后才能使用系统。</div>
              ) : null}
              <p>
                使用手机上的身份验证器应用（如 Microsoft Authenticator、Google
                Authenticator、FreeOTP）绑定本账户，之后登录需输入动态验证码。
              </p>
              <form method="post" action={`${BASE}/account/totp/setup`}>
                <Csrf x={x} />
                <button type="submit">开始绑定</button>
              </form>
            </>
          )}
        </div>,
        x,
      );
    }),
  );

  const confirmForm = (x: PageCtx, setup: { secret: string; uri: string }, err?: string) => (
    <div class="card" style="max-width:560px">
      <h1>绑定身份验证器</h1>
      <Flash err={err} />
      <p>在身份验证器应用中添加账户，手动输入以下密钥（或导入下方链接）：</p>
      <p class="mono" id="totp-secret">
        {setup.secret.replace(/(.{4})/g, '$1 ').trim()}
      </p>
      <p class="mono small" style="word-break:break-all">
        {setup.uri}
      </p>
      <form class="stack" method="post" action={`${BASE}/account/totp/confirm`}>
        <Csrf x={x} />
        <input type="hidden" name="secret" value={setup.secret} />
        <input type="hidden" name="uri" value={setup.uri} />
        <label>
          应用显示的 6 位验证码
          <input
            name="code"
            inputmode="numeric"
            autocomplete="one-time-code"
            required
            maxlength={8}
          />
        </label>
        <button type="submit">确认绑定</button>
      </form>
    </div>
  );

  app.post(
    `${BASE}/account/totp/setup`,
    page(async (x) => {
      const r = await x.api.post<{ secret: string; uri: string }>('/v1/me/totp/setup', {});
      if (!r.ok)
        return render(
          x.c,
          '两步验证',
          'account',
          <div class="flash err">{r.problem.detail}</div>,
          x,
          r.status,
        );
      return render(x.c, '绑定身份验证器', 'account', confirmForm(x, r.data), x);
    }),
  );

  app.post(
    `${BASE}/account/totp/confirm`,
    page(async (x) => {
      const f = formOf(x.c);
      const r = await x.api.post<{ recovery_codes: string[]; session_ended: boolean }>(
        '/v1/me/totp/confirm',
        { code: s(f['code']) },
      );
      if (!r.ok)
        return render(
          x.c,
          '绑定身份验证器',
          'account',
          confirmForm(
            x,
            { secret: s(f['secret']), uri: s(f['uri']) },
            '验证码不正确，请核对手机时间后重试。',
          ),
          x,
          400,
        );
      if (r.data.session_ended) endSession(x.c);
      return render(
        x.c,
        '两步验证已启用',
        'account',
        <div class="card" style="max-width:560px">
          <h1>两步验证已启用</h1>
          <p>
            请将以下恢复码抄写或打印后妥善保管。手机丢失时，每个恢复码可代替验证码登录一次。它们只显示这一次。
          </p>
          <ul class="mono" id="recovery-codes">
            {r.data.recovery_codes.map((c) => (
              <li>{c}</li>
            ))}
          </ul>
          {r.data.session_ended ? (
            <p>
              <a class="btn" href={`${BASE}/login`}>
                用动态验证码重新登录
              </a>
            </p>
          ) : null}
        </div>,
        r.data.session_ended ? undefined : x,
      );
    }),
  );

  // ---- admin: users and tokens -----------------------------------------------------------------

  const adminPage = async (
    x: PageCtx,
    flash: {
      ok?: string | undefined;
      err?: string | undefined;
      secret?: { label: string; value: string } | undefined;
    } = {},
    status = 200,
  ) => {
    const users = await x.api.get<{ items: UserRow[] }>('/v1/users');
    if (!users.ok)
      return render(
        x.c,
        '用户与令牌',
        'admin',
        <div class="flash err">
          {users.status === 403 ? '仅管理员可管理用户与令牌。' : users.problem.detail}
        </div>,
        x,
        users.status,
      );
    const tokens = await x.api.get<{ items: TokenRow[] }>('/v1/tokens', { active: 'true' });
    const act = (u: string, action: string, label: string, danger = false) => (
      <form
        method="post"
        action={`${BASE}/admin/users/${encodeURIComponent(u)}/${action}`}
        style="display:inline"
      >
        <Csrf x={x} />
        <button type="submit" class={danger ? 'danger' : 'ghost'}>
          {label}
        </button>
      </form>
    );
    return render(
      x.c,
      '用户与令牌',
      'admin',
      <>
        <Flash ok={flash.ok} err={flash.err} />
        {flash.secret ? (
          <div class="flash ok">
            {flash.secret.label}（只显示这一次）：
            <span class="mono" id="secret">
              {flash.secret.value}
            </span>
          </div>
        ) : null}
        <div class="card">
          <h1>用户</h1>
          <table class="small" id="users">
            <tr>
              <th>用户名</th>
              <th>角色</th>
              <th>状态</th>
              <th>两步验证</th>
              <th>最近登录</th>
              <th>有效令牌</th>
              <th>操作</th>
            </tr>
            {users.data.items.map((u) => (
              <tr>
                <td>{u.username}</td>
                <td>{ROLE_ZH[u.role] ?? u.role}</td>
                <td>
                  {u.disabled_at
                    ? '已停用'
                    : u.locked_at
                      ? `已锁定（失败 ${u.failed_logins} 次）`
                      : u.must_change_password
                        ? '待改密码'
                        : '正常'}
                </td>
                <td>{u.totp ? '已启用' : '—'}</td>
                <td>{short(u.last_login_at)}</td>
                <td>{u.active_tokens}</td>
                <td class="row">
                  {u.disabled_at
                    ? act(u.username, 'enable', '启用')
                    : act(u.username, 'disable', '停用', true)}
                  {u.locked_at ? act(u.username, 'unlock', '解锁') : null}
                  {act(u.username, 'reset-password', '重置密码')}
                  {u.totp ? act(u.username, 'reset-totp', '重置两步验证') : null}
                </td>
              </tr>
            ))}
          </table>
          <h2>新建用户</h2>
          <form class="row" method="post" action={`${BASE}/admin/users`}>
            <Csrf x={x} />
            <input name="username" placeholder="用户名" required maxlength={64} />
            <select name="role">
              {Object.entries(ROLE_ZH).map(([k, v]) => (
                <option value={k}>{v}</option>
              ))}
            </select>
            <button type="submit">新建（发放一次性密码）</button>
          </form>
        </div>
        <div class="card">
          <h1>有效令牌与会话</h1>
          <table class="small" id="tokens">
            <tr>
              <th>编号</th>
              <th>名称</th>
              <th>类型</th>
              <th>角色</th>
              <th>到期</th>
              <th>最近使用</th>
              <th />
            </tr>
            {(tokens.ok ? tokens.data.items : []).map((t) => (
              <tr>
                <td>{t.token_id}</td>
                <td>{t.name}</td>
                <td>{t.kind === 'session' ? '登录会话' : 'API 令牌'}</td>
                <td>{ROLE_ZH[t.role] ?? t.role}</td>
                <td>{short(t.expires_at)}</td>
                <td>{short(t.last_used_at)}</td>
                <td>
                  <form method="post" action={`${BASE}/admin/tokens/${t.token_id}/revoke`}>
                    <Csrf x={x} />
                    <button type="submit" class="danger">
                      撤销
                    </button>
                  </form>
                </td>
              </tr>
            ))}
          </table>
          <h2>新建 API 令牌</h2>
          <form class="row" method="post" action={`${BASE}/admin/tokens`}>
            <Csrf x={x} />
            <input name="name" placeholder="名称（用途）" required maxlength={100} />
            <select name="role">
              {Object.entries(ROLE_ZH).map(([k, v]) => (
                <option value={k}>{v}</option>
              ))}
            </select>
            <input name="days" type="number" min={1} max={3650} value="90" style="width:6em" />
            <span class="small muted">天后到期</span>
            <button type="submit">新建</button>
          </form>
        </div>
      </>,
      x,
      status,
    );
  };

  app.get(
    `${BASE}/admin/users`,
    page(async (x) =>
      adminPage(x, {
        ok: s(x.c.req.query('ok')) || undefined,
        err: s(x.c.req.query('err')) || undefined,
      }),
    ),
  );

  app.post(
    `${BASE}/admin/users`,
    page(async (x) => {
      const f = formOf(x.c);
      const r = await x.api.post<{ username: string; one_time_password?: string }>('/v1/users', {
        username: s(f['username']),
        role: s(f['role']),
      });
      if (!r.ok) return adminPage(x, { err: `未能新建：${r.problem.detail}` }, r.status);
      return adminPage(x, {
        ok: `已新建用户 ${r.data.username}。`,
        ...(r.data.one_time_password
          ? {
              secret: { label: `${r.data.username} 的一次性密码`, value: r.data.one_time_password },
            }
          : {}),
      });
    }),
  );

  app.post(
    `${BASE}/admin/users/:username/:action{disable|enable|unlock|reset-password|reset-totp}`,
    page(async (x) => {
      const u = x.c.req.param('username') ?? '';
      const action = x.c.req.param('action') ?? '';
      const r = await x.api.post<{ one_time_password?: string }>(
        `/v1/users/${encodeURIComponent(u)}/${action}`,
        {},
      );
      if (!r.ok) return adminPage(x, { err: `未能完成：${r.problem.detail}` }, r.status);
      if (r.data.one_time_password)
        return adminPage(x, {
          ok: `已重置 ${u} 的密码，其登录与令牌均已失效。`,
          secret: { label: `${u} 的一次性密码`, value: r.data.one_time_password },
        });
      return x.c.redirect(`${BASE}/admin/users?ok=${encodeURIComponent(`${u}：已完成。`)}`, 303);
    }),
  );

  app.post(
    `${BASE}/admin/tokens`,
    page(async (x) => {
      const f = formOf(x.c);
      const r = await x.api.post<{ token: string; tokenId: number }>('/v1/tokens', {
        name: s(f['name']),
        role: s(f['role']),
        days: Number(s(f['days']) || '90'),
      });
      if (!r.ok) return adminPage(x, { err: `未能新建令牌：${r.problem.detail}` }, r.status);
      return adminPage(x, { secret: { label: `令牌 ${r.data.tokenId}`, value: r.data.token } });
    }),
  );

  app.post(
    `${BASE}/admin/tokens/:id{[0-9]+}/revoke`,
    page(async (x) => {
      const id = x.c.req.param('id') ?? '';
      const r = await x.api.post(`/v1/tokens/${id}/revoke`, {});
      return r.ok
        ? x.c.redirect(`${BASE}/admin/users?ok=${encodeURIComponent(`令牌 ${id} 已撤销。`)}`, 303)
        : x.c.redirect(`${BASE}/admin/users?err=${encodeURIComponent(r.problem.detail)}`, 303);
    }),
  );
}
