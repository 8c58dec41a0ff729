/** 登录: a user name and password, or an API token. */
import type { Child } from 'hono/jsx';
import { BASE } from '../layout.tsx';
import { revokeToken, verifyToken } from '../../../pipeline/auth/index.ts';
import { ApiClient } from '../api-call.ts';
import { problemText, safeNext, type DashboardKit } from '../kit.tsx';
import { startSession, endSession, readSession } from '../session.ts';

export function LoginPage(p: {
  mode: 'password' | 'token';
  error?: string | undefined;
  next?: string | undefined;
  username?: string | undefined;
  /** Ask for the TOTP code (the account has two-step login). */
  totp?: boolean | undefined;
  notice?: string | undefined;
}): Child {
  const next = p.next ?? '';
  return (
    <div class="login">
      <div class="card">
        <h1>登录</h1>
        <p class="muted small">
          打非云仅供授权的监管与调查人员使用，所有查阅与处置均记入审计日志。
        </p>
        <div class="tabs">
          <a
            href={`${BASE}/login${next ? `?next=${encodeURIComponent(next)}` : ''}`}
            class={p.mode === 'password' ? 'on' : ''}
          >
            用户名密码
          </a>
          <a
            href={`${BASE}/login?mode=token${next ? `&next=${encodeURIComponent(next)}` : ''}`}
            class={p.mode === 'token' ? 'on' : ''}
          >
            API 令牌
          </a>
        </div>
        {p.notice ? <div class="flash ok">{p.notice}</div> : null}
        {p.error ? <div class="flash err">{p.error}</div> : null}
        <form class="stack" method="post" action={`${BASE}/login`}>
          <input type="hidden" name="mode" value={p.mode} />
          <input type="hidden" name="next" value={next} />
          {p.mode === 'password' ? (
            <>
              <label>
                用户名
                <input
                  type="text"
                  name="username"
                  autocomplete="username"
                  required
                  maxlength={64}
                  value={p.username ?? ''}
                  autofocus
                />
              </label>
              <label>
                密码
                <input
                  type="password"
                  name="password"
                  autocomplete="current-password"
                  required
                  maxlength={200}
                />
              </label>
              <label>
                动态验证码{p.totp ? '' : '（已启用两步验证的账户填写）'}
                <input
                  type="text"
                  name="totp"
                  inputmode="numeric"
                  autocomplete="one-time-code"
                  maxlength={20}
                  required={p.totp === true}
                />
              </label>
            </>
          ) : (
            <label>
              API 令牌（dfk_ 开头，由 dafei token create 生成）
              <input
                type="password"
                name="token"
                autocomplete="off"
                required
                maxlength={200}
                autofocus
              />
            </label>
          )}
          <button type="submit">登录</button>
        </form>
      </div>
    </div>
  );
}

/** GET/POST /ui/login (password or token) and POST /ui/logout. */
export function mountLogin(kit: DashboardKit): void {
  const { app, db, now, render, page, audit } = kit;

  app.get(`${BASE}/login`, async (c) => {
    const mode = c.req.query('mode') === 'token' ? 'token' : 'password';
    const session = await readSession(c, db, now(), kit.session);
    if (session) return c.redirect(safeNext(c.req.query('next')), 303);
    return render(
      c,
      '登录',
      'login',
      <LoginPage
        mode={mode}
        next={c.req.query('next')}
        notice={c.req.query('changed') === '1' ? '密码已修改，请用新密码登录。' : undefined}
      />,
    );
  });

  app.post(`${BASE}/login`, async (c) => {
    const form = await c.req.parseBody();
    const mode = form['mode'] === 'token' ? 'token' : 'password';
    const next = safeNext(form['next']);
    const nextField = typeof form['next'] === 'string' ? form['next'] : undefined;
    if (mode === 'token') {
      const token = typeof form['token'] === 'string' ? form['token'].trim() : '';
      const p = !token
        ? undefined
        : kit.session.verify
          ? await kit.session.verify(token)
          : await verifyToken(db, token, now());
      if (!p) {
        await audit(c, {
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
      await audit(c, {
        actor: p.name,
        role: p.role,
        action: 'auth.login',
        target: 'dashboard:token',
        status: 200,
        at: now(),
      });
      startSession(c, token, kit.session);
      return c.redirect(next, 303);
    }
    const username = typeof form['username'] === 'string' ? form['username'].trim() : '';
    const password = typeof form['password'] === 'string' ? form['password'] : '';
    const code = typeof form['totp'] === 'string' ? form['totp'].trim() : '';
    // the API call carries this request's client, so throttling by address and the audit see it
    const r = await new ApiClient(app, '', c).post<{ token: string; scope: string }>(
      '/v1/auth/login',
      {
        username,
        password,
        // a recovery code looks like abcde-fghjk; a TOTP code is 6 digits
        ...(code === '' ? {} : /^\d[\d ]*$/.test(code) ? { totp: code } : { recovery_code: code }),
      },
    );
    if (!r.ok) {
      const wait = /(\d+) s/.exec(r.problem.detail)?.[1];
      const msg =
        r.problem.code === 'totp_required'
          ? '此账户已启用两步验证，请输入身份验证器中的动态验证码（或一个恢复码）。'
          : r.status === 429
            ? `登录失败次数过多，请 ${wait ?? '稍后'} 秒后再试。`
            : r.status === 423
              ? '账户因多次登录失败已被锁定，请联系管理员解锁。'
              : r.status === 401
                ? /TOTP/.test(r.problem.detail)
                  ? '动态验证码不正确或已使用过。'
                  : '用户名或密码错误。'
                : r.status === 400
                  ? '请填写用户名和密码。'
                  : `登录失败：${problemText(r)}`;
      return render(
        c,
        '登录',
        'login',
        <LoginPage
          mode="password"
          next={nextField}
          username={username}
          error={msg}
          totp={r.problem.code === 'totp_required' || code !== ''}
        />,
        undefined,
        r.status === 400 ? 400 : r.status === 429 ? 429 : r.status === 423 ? 423 : 401,
      );
    }
    startSession(c, r.data.token, kit.session);
    if (r.data.scope === 'change_password') return c.redirect(`${BASE}/account/password`, 303);
    if (r.data.scope === 'enrol_totp') return c.redirect(`${BASE}/account/totp`, 303);
    return c.redirect(next, 303);
  });

  app.post(
    `${BASE}/logout`,
    page(async (x) => {
      // a session token issued for a user login ends with the session; pasted API tokens stay valid
      if (x.principal.kind === 'session') {
        await revokeToken(db, x.principal.tokenId, now(), 'logout');
        kit.invalidateTokens();
      }
      await audit(x.c, {
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
}
