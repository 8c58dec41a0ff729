/** 登录: a user name and password, or an API token. */
import type { Child } from 'hono/jsx';
import { BASE } from '../layout.tsx';

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
