/**
 * Accounts, login protection, sessions and MFA (docs/security.md), against a real in-memory
 * DuckDB with a fake clock: the sixth wrong password within a minute gets 429 with Retry-After,
 * lockout and admin unlock, idle and absolute session expiry, a disabled user's session and
 * tokens stop at once, token expiry, TOTP enrolment and login, one-time passwords, rehash.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMigratedDb, type Db } from '../pipeline/db/index.ts';
import { loadConfig, type Config } from '../pipeline/config.ts';
import {
  createToken,
  createUser,
  hashPassword,
  passwordProblem,
  totpCode,
} from '../pipeline/auth/index.ts';
import { checkResponses } from './_contract.ts';
import { createApp } from './app.ts';
import { seedCity } from './_fixtures.ts';
import { problem } from './_test-kit.ts';

/** A cheap scrypt cost for tests (the default, 2^17, is checked in its own test). */
const COST = { N: 1024, r: 8, p: 1 };
const T0 = new Date('2026-04-01T02:00:00Z');
const PW = 'a long enough passphrase';

let db: Db;
let clock: Date;
let app: ReturnType<typeof createApp>;
let adminToken: string;

function makeConfig(security: Partial<Config['security']> = {}): Config {
  const c = loadConfig({});
  return { ...c, security: { ...c.security, scrypt: COST, ...security } };
}

beforeAll(async () => {
  db = await openMigratedDb(':memory:');
  await seedCity(db, { enterprises: 30, days: 2 });
  clock = T0;
  app = createApp({ db, config: makeConfig(), now: () => clock, log: () => undefined });
  checkResponses(app);
  adminToken = (await createToken(db, { name: 'root', role: 'admin', now: T0 })).token;
});
afterAll(() => app.dafei.deps.db.close());

const advance = (seconds: number) => (clock = new Date(clock.getTime() + seconds * 1000));

function login(body: Record<string, string>, ip = '10.0.0.1'): Promise<Response> {
  return Promise.resolve(
    app.request('/v1/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': `test ${ip}` },
      body: JSON.stringify(body),
    }),
  );
}

function call(path: string, token: string, body?: unknown): Promise<Response> {
  return Promise.resolve(
    app.request(path, {
      method: body === undefined ? 'GET' : 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }),
  );
}

async function newUser(username: string, role = 'regulator'): Promise<void> {
  await createUser(db, { username, password: PW, role, cost: COST, now: clock });
}

async function sessionOf(res: Response): Promise<{ token: string; scope: string }> {
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as { token: string; scope: string };
}

describe('password policy', () => {
  it('refuses short, common, demo and name-containing passwords', () => {
    expect(passwordProblem('short')).toMatch(/at least 12/);
    expect(passwordProblem('qwerty123456')).toMatch(/common/);
    expect(passwordProblem('password2026!')).toMatch(/common/);
    expect(passwordProblem('dafei-demo-2026')).toMatch(/demo/);
    expect(passwordProblem('aaaaaaaaaaaaaaaa')).toMatch(/repeats/);
    expect(passwordProblem('zhangwei-is-my-name', { username: 'zhangwei' })).toMatch(/user name/);
    expect(passwordProblem(PW)).toBeUndefined();
    expect(passwordProblem('山高月小水落石出十二个字')).toBeUndefined();
  });

  it('the API refuses a weak password for a new user', async () => {
    const res = await call('/v1/users', adminToken, {
      username: 'weak',
      role: 'regulator',
      password: 'password1',
    });
    expect(res.status).toBe(400);
    expect((await problem(res)).detail).toMatch(/at least 12/);
  });
});

describe('login throttling and lockout', () => {
  it('the sixth wrong password within a minute gets 429 with Retry-After, audited', async () => {
    await newUser('li.na');
    for (let i = 1; i <= 5; i++) {
      const res = await login({ username: 'li.na', password: `wrong password ${i}` });
      expect(res.status, `attempt ${i}`).toBe(401);
      advance(5);
    }
    // 25 s after the first failure: refused without checking, even with the right password
    for (const password of ['wrong password 6', PW]) {
      const res = await login({ username: 'li.na', password });
      expect(res.status).toBe(429);
      const retry = Number(res.headers.get('retry-after'));
      expect(retry).toBeGreaterThan(0);
      expect(retry).toBeLessThanOrEqual(60);
      expect((await problem(res)).code).toBe('too_many_requests');
    }
    const audited = await db.all<{ action: string; client_ip: string | null; user_agent: string }>(
      `SELECT action, client_ip, user_agent FROM audit_log WHERE target = 'li.na' ORDER BY audit_id`,
    );
    expect(audited.map((a) => a.action)).toEqual([
      ...Array<string>(5).fill('auth.login_failed'),
      'auth.login_throttled',
      'auth.login_throttled',
    ]);
    expect(audited[0]!.user_agent).toBe('test 10.0.0.1');
    // after the back-off the right password works and resets the count
    advance(61);
    await sessionOf(await login({ username: 'li.na', password: PW }));
    expect((await login({ username: 'li.na', password: 'wrong again!' })).status).toBe(401);
  });

  it('locks an account after 10 consecutive failures until an admin unlocks it', async () => {
    await newUser('wang.fang');
    for (let i = 1; i <= 10; i++) {
      const res = await login({ username: 'wang.fang', password: 'not the password' });
      expect(res.status, `attempt ${i}`).toBe(401);
      advance(16 * 60); // past every back-off
    }
    const locked = await login({ username: 'wang.fang', password: PW });
    expect(locked.status).toBe(423);
    expect((await problem(locked)).code).toBe('account_locked');
    const users = (await (await call('/v1/users', adminToken)).json()) as {
      items: { username: string; locked_at: string | null; failed_logins: number }[];
    };
    const u = users.items.find((x) => x.username === 'wang.fang')!;
    expect(u.locked_at).not.toBeNull();
    expect(u.failed_logins).toBe(10);
    const unlock = await call('/v1/users/wang.fang/unlock', adminToken, {});
    expect(unlock.status).toBe(200);
    await sessionOf(await login({ username: 'wang.fang', password: PW }));
    const actions = await db.all<{ action: string }>(
      `SELECT action FROM audit_log WHERE target = 'wang.fang' AND action IN ('auth.login_locked', 'user.unlock')`,
    );
    expect(actions.map((a) => a.action).sort()).toEqual(['auth.login_locked', 'user.unlock']);
  });

  it('an unknown user name is answered like a known one, locks included', async () => {
    for (let i = 0; i < 5; i++)
      expect((await login({ username: 'no.such.user', password: 'whatever it is' })).status).toBe(
        401,
      );
    expect((await login({ username: 'no.such.user', password: 'whatever it is' })).status).toBe(
      429,
    );
  });

  it('throttles an address that sprays many accounts', async () => {
    const local = createApp({
      db,
      config: makeConfig({
        login: { ...makeConfig().security.login, address_failures: 3 },
        trusted_proxies: ['127.0.0.1'],
      }),
      now: () => clock,
      log: () => undefined,
      dashboard: false,
    });
    // behind a trusted proxy: X-Forwarded-For names the client
    const env = { incoming: { socket: { remoteAddress: '127.0.0.1' } } };
    const attempt = (user: string, ip: string) =>
      local.request(
        '/v1/auth/login',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
          body: JSON.stringify({ username: user, password: 'spraying around' }),
        },
        env,
      );
    for (const u of ['s1', 's2', 's3']) expect((await attempt(u, '203.0.113.9')).status).toBe(401);
    const r = await attempt('s4', '203.0.113.9');
    expect(r.status).toBe(429);
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    // another address is not affected
    expect((await attempt('s4', '198.51.100.7')).status).toBe(401);
    const row = await db.one<{ client_ip: string }>(
      `SELECT client_ip FROM audit_log WHERE action = 'auth.login_throttled' AND target = 's4'`,
    );
    expect(row!.client_ip).toBe('203.0.113.9');
  });
});

describe('sessions', () => {
  it('end after the idle timeout (fake clock), and after the absolute lifetime', async () => {
    await newUser('zhou.jie');
    const s = await sessionOf(await login({ username: 'zhou.jie', password: PW }));
    advance(29 * 60);
    expect((await call('/v1/alerts?limit=1', s.token)).status).toBe(200);
    advance(29 * 60); // 29 min idle again: still fine
    expect((await call('/v1/alerts?limit=1', s.token)).status).toBe(200);
    advance(31 * 60); // 31 min idle: gone
    expect((await call('/v1/alerts?limit=1', s.token)).status).toBe(401);
    expect(
      (await db.one<{ r: string }>(
        `SELECT revoked_reason AS r FROM api_tokens WHERE username = 'zhou.jie'`,
      ))!.r,
    ).toBe('idle timeout');
    // absolute: used every 20 minutes, the session still ends 12 h after the login
    const s2 = await sessionOf(await login({ username: 'zhou.jie', password: PW }));
    for (let m = 20; m < 12 * 60; m += 20) {
      advance(20 * 60);
      expect((await call('/v1/me', s2.token)).status, `${m} min`).toBe(200);
    }
    advance(20 * 60);
    expect((await call('/v1/me', s2.token)).status).toBe(401);
  });

  it('logout revokes the session', async () => {
    const s = await sessionOf(await login({ username: 'zhou.jie', password: PW }));
    expect((await call('/v1/me', s.token)).status).toBe(200);
    expect((await call('/v1/auth/logout', s.token, {})).status).toBe(200);
    expect((await call('/v1/me', s.token)).status).toBe(401);
  });

  it("a disabled user's session and tokens stop at once (no 5 s grace)", async () => {
    await newUser('chen.hao', 'investigator');
    const s = await sessionOf(await login({ username: 'chen.hao', password: PW }));
    const created = (await (
      await call('/v1/tokens', adminToken, {
        name: 'chen-script',
        role: 'investigator',
        username: 'chen.hao',
      })
    ).json()) as { token: string };
    // both verified and remembered
    expect((await call('/v1/alerts?limit=1', s.token)).status).toBe(200);
    expect((await call('/v1/alerts?limit=1', created.token)).status).toBe(200);
    const res = await call('/v1/users/chen.hao/disable', adminToken, {});
    expect(res.status).toBe(200);
    expect(((await res.json()) as { revoked: number }).revoked).toBe(2);
    // same instant: no cache grace
    expect((await call('/v1/alerts?limit=1', s.token)).status).toBe(401);
    expect((await call('/v1/alerts?limit=1', created.token)).status).toBe(401);
    expect((await login({ username: 'chen.hao', password: PW })).status).toBe(401);
    await call('/v1/users/chen.hao/enable', adminToken, {});
    await sessionOf(await login({ username: 'chen.hao', password: PW }));
  });

  it('changing the password ends every session of the user at once', async () => {
    await newUser('he.min');
    const a = await sessionOf(await login({ username: 'he.min', password: PW }));
    const b = await sessionOf(await login({ username: 'he.min', password: PW }));
    expect((await call('/v1/me', b.token)).status).toBe(200);
    const weak = await call('/v1/me/password', a.token, { current: PW, new: '123456789012' });
    expect(weak.status).toBe(400);
    const ok = await call('/v1/me/password', a.token, {
      current: PW,
      new: 'another long passphrase',
    });
    expect(ok.status).toBe(200);
    expect((await call('/v1/me', a.token)).status).toBe(401);
    expect((await call('/v1/me', b.token)).status).toBe(401);
    await sessionOf(await login({ username: 'he.min', password: 'another long passphrase' }));
  });
});

describe('tokens', () => {
  it('expire (default 90 days, or as created), and list their last use', async () => {
    const t = (await (
      await call('/v1/tokens', adminToken, { name: 'short-lived', role: 'regulator', days: 1 })
    ).json()) as { token: string; tokenId: number; expiresAt: string };
    expect(new Date(t.expiresAt).getTime() - clock.getTime()).toBe(86400_000);
    expect((await call('/v1/alerts?limit=1', t.token)).status).toBe(200);
    const listed = (await (await call('/v1/tokens?active=true', adminToken)).json()) as {
      items: { token_id: number; last_used_at: string | null }[];
    };
    expect(listed.items.find((x) => x.token_id === t.tokenId)!.last_used_at).not.toBeNull();
    advance(86400 + 1);
    expect((await call('/v1/alerts?limit=1', t.token)).status).toBe(401);
    const dflt = await createToken(db, { name: 'default', role: 'regulator', now: clock });
    expect(new Date(dflt.expiresAt).getTime() - clock.getTime()).toBe(90 * 86400_000);
  });

  it('an admin revokes a token; the next request is refused at once', async () => {
    const t = await createToken(db, { name: 'to-revoke', role: 'regulator', now: clock });
    expect((await call('/v1/alerts?limit=1', t.token)).status).toBe(200);
    expect((await call(`/v1/tokens/${t.tokenId}/revoke`, adminToken, {})).status).toBe(200);
    expect((await call('/v1/alerts?limit=1', t.token)).status).toBe(401);
    expect((await call(`/v1/tokens/${t.tokenId}/revoke`, adminToken, {})).status).toBe(404);
  });
});

describe('TOTP for admins', () => {
  it('an admin enrols TOTP at the first login, then logs in with a code; codes are single-use', async () => {
    await newUser('admin.xu', 'admin');
    const first = await sessionOf(await login({ username: 'admin.xu', password: PW }));
    expect(first.scope).toBe('enrol_totp');
    const blocked = await call('/v1/alerts?limit=1', first.token);
    expect(blocked.status).toBe(403);
    expect((await problem(blocked)).detail).toMatch(/TOTP/);
    const setup = (await (await call('/v1/me/totp/setup', first.token, {})).json()) as {
      secret: string;
      uri: string;
    };
    expect(setup.uri).toMatch(/^otpauth:\/\/totp\/.*secret=/);
    expect((await call('/v1/me/totp/confirm', first.token, { code: '000000' })).status).toBe(400);
    const confirmed = (await (
      await call('/v1/me/totp/confirm', first.token, { code: totpCode(setup.secret, clock) })
    ).json()) as { recovery_codes: string[]; session_ended: boolean };
    expect(confirmed.recovery_codes).toHaveLength(10);
    expect(confirmed.session_ended).toBe(true);
    expect((await call('/v1/me', first.token)).status).toBe(401);

    advance(60);
    const noCode = await login({ username: 'admin.xu', password: PW });
    expect(noCode.status).toBe(401);
    expect((await problem(noCode)).code).toBe('totp_required');
    const code = totpCode(setup.secret, clock);
    const full = await sessionOf(await login({ username: 'admin.xu', password: PW, totp: code }));
    expect(full.scope).toBe('full');
    expect((await call('/v1/users', full.token)).status).toBe(200);
    // the same code again (same 30-s step): refused
    const replay = await login({ username: 'admin.xu', password: PW, totp: code });
    expect(replay.status).toBe(401);
    expect((await problem(replay)).detail).toMatch(/TOTP/);
    // a recovery code works once
    const rc = confirmed.recovery_codes[0]!;
    await sessionOf(await login({ username: 'admin.xu', password: PW, recovery_code: rc }));
    expect((await login({ username: 'admin.xu', password: PW, recovery_code: rc })).status).toBe(
      401,
    );
    const stored = await db.one<{ s: string; c: string }>(
      `SELECT totp_secret AS s, recovery_codes AS c FROM api_users WHERE username = 'admin.xu'`,
    );
    expect(stored!.c).not.toContain(rc);
  });
});

describe('one-time passwords and rehash', () => {
  it('a reset gives a one-time password that only lets the user change it', async () => {
    await newUser('sun.li');
    const reset = (await (
      await call('/v1/users/sun.li/reset-password', adminToken, {})
    ).json()) as {
      one_time_password: string;
    };
    expect(reset.one_time_password).toMatch(/^[a-z2-9]{4}(-[a-z2-9]{4}){3}$/);
    expect((await login({ username: 'sun.li', password: PW })).status).toBe(401);
    advance(5);
    const s = await sessionOf(
      await login({ username: 'sun.li', password: reset.one_time_password }),
    );
    expect(s.scope).toBe('change_password');
    expect((await call('/v1/alerts?limit=1', s.token)).status).toBe(403);
    expect(
      (
        await call('/v1/me/password', s.token, {
          current: reset.one_time_password,
          new: 'my own new passphrase',
        })
      ).status,
    ).toBe(200);
    const again = await sessionOf(
      await login({ username: 'sun.li', password: 'my own new passphrase' }),
    );
    expect(again.scope).toBe('full');
  });

  it('rehashes a password made with another scrypt cost at the next login', async () => {
    await db.run(
      `INSERT INTO api_users (username, password_hash, role, created_at) VALUES ('old.hash', $h, 'regulator', now())`,
      { h: await hashPassword(PW, { N: 2048, r: 8, p: 1 }) },
    );
    await sessionOf(await login({ username: 'old.hash', password: PW }));
    const h = (await db.one<{ h: string }>(
      `SELECT password_hash AS h FROM api_users WHERE username = 'old.hash'`,
    ))!.h;
    expect(h.startsWith(`scrypt$${COST.N}$8$1$`)).toBe(true);
    await sessionOf(await login({ username: 'old.hash', password: PW }));
  });

  it('the default cost is the OWASP minimum, N = 2^17', () => {
    expect(loadConfig({}).security.scrypt).toEqual({ N: 2 ** 17, r: 8, p: 1 });
  });
});

describe('transport', () => {
  it('HSTS and a request id when the public URL is https', async () => {
    const https = createApp({
      db,
      config: makeConfig({ public_url: 'https://dafei.example.gov.cn' }),
      now: () => clock,
      log: () => undefined,
      dashboard: false,
    });
    const res = await https.request('/healthz');
    expect(res.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const plain = await app.request('/healthz');
    expect(plain.headers.get('strict-transport-security')).toBeNull();
  });

  it("HSTS and a Secure cookie when a trusted proxy says https; a client's own header is ignored", async () => {
    const proxied = createApp({
      db,
      config: makeConfig({ trusted_proxies: ['127.0.0.1'] }),
      now: () => clock,
      log: () => undefined,
    });
    await createUser(db, { username: 'proxied', password: PW, role: 'regulator', cost: COST });
    const form = new URLSearchParams({ mode: 'password', username: 'proxied', password: PW });
    const post = (remoteAddress: string) =>
      proxied.request(
        '/ui/login',
        {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            'x-forwarded-proto': 'https',
          },
          body: form.toString(),
        },
        { incoming: { socket: { remoteAddress } } },
      );
    const viaProxy = await post('127.0.0.1');
    expect(viaProxy.status).toBe(303);
    expect(viaProxy.headers.get('set-cookie')).toMatch(/; Secure/);
    expect(viaProxy.headers.get('strict-transport-security')).not.toBeNull();
    const direct = await post('192.0.2.1');
    expect(direct.headers.get('set-cookie')).not.toMatch(/; Secure/);
    expect(direct.headers.get('strict-transport-security')).toBeNull();
  });
});
