/**
 * Login, logout, one's own account (password, TOTP enrolment) and the admin's account lifecycle:
 * users, tokens, the audit log's chain and export. The admin routes run the same verbs as the
 * admin socket (pipeline/auth/admin-verbs.ts). docs/security.md maps these to ASVS.
 */
import { z } from 'zod';
import {
  attemptLogin,
  changePassword,
  confirmTotp,
  CreatedToken,
  revokeToken,
  ROLES,
  setupTotp,
  TOKEN_KINDS,
  TOKEN_SCOPES,
  TokenInfo,
  TotpSetup,
  UserInfo,
  type Principal,
} from '../../pipeline/auth/index.ts';
import { AuditVerification, exportAudit } from '../../pipeline/queries/index.ts';
import type { Router } from '../route.ts';
import type { Context } from 'hono';
import type { AppEnv } from '../context.ts';
import { audit } from '../audit.ts';
import { ApiError } from '../errors.ts';
import { adminContext, adminRegistry } from '../admin.ts';
import { Problem } from '../schemas.ts';

const ALL = ['regulator', 'investigator', 'data_scientist', 'admin'] as const;
const ADMIN = ['admin'] as const;
const ANY_SCOPE = ['full', 'change_password', 'enrol_totp'] as const;

const Session = z
  .object({
    token: z.string(),
    role: z.enum(ROLES),
    expires_at: z.string(),
    scope: z.enum(TOKEN_SCOPES),
    jurisdiction: z
      .string()
      .nullable()
      .meta({ description: "the user's office; null: the whole tree" }),
    idle_minutes: z.number().int().meta({ description: 'the session ends after this idle time' }),
  })
  .meta({ id: 'Session' });
const Me = z
  .object({
    name: z.string(),
    role: z.enum(ROLES),
    kind: z.enum(TOKEN_KINDS),
    username: z.string().nullable().meta({ description: 'null: an API token of no user' }),
    scope: z.enum(TOKEN_SCOPES),
    totp: z.boolean(),
  })
  .meta({ id: 'Me' });
/** Sessions and tokens ended by the action. */
const Revoked = z.number().int().meta({ description: 'sessions and tokens ended' });
const UserDone = z.object({ username: z.string() }).meta({ id: 'UserDone' });
/** What each admin action on a user answers (pipeline/auth/admin-verbs.ts). */
const USER_ACTION_RESULTS = {
  disable: z.object({ username: z.string(), revoked: Revoked }).meta({ id: 'UserDisabled' }),
  enable: UserDone,
  unlock: UserDone,
  'reset-password': z
    .object({
      username: z.string(),
      one_time_password: z.string().meta({ description: 'shown once' }),
      revoked: Revoked,
    })
    .meta({ id: 'UserPasswordReset' }),
  'reset-totp': UserDone,
} as const;

const Username = z.string().regex(/^[\p{L}\p{N}_.-]{1,64}$/u, '1–64 letters, digits, _ . -');
const UserParams = z.strictObject({ username: Username });

function requireUser(p: Principal): string {
  if (!p.username)
    throw new ApiError(
      'bad_request',
      'this is an API token, not a user session: it has no password',
    );
  return p.username;
}

export function accountRoutes(r: Router): void {
  const verbs = adminRegistry();
  const runVerb = async (c: Context<AppEnv>, verb: string, args: Record<string, unknown>) => {
    const p = c.get('principal')!;
    return verbs.run(verb, args, adminContext(c.get('deps'), p.name, p.role, c.get('client')));
  };

  r.add(
    {
      method: 'post',
      path: '/v1/auth/login',
      operationId: 'login',
      summary: 'Log in (dashboard)',
      description:
        'Exchanges a user name and password (and, for accounts with TOTP, a `totp` code or a `recovery_code`) for a session token. Sessions end after the idle timeout or the absolute lifetime of the config. An account that must change its one-time password or enrol TOTP gets a session limited to that (`scope`). Failed attempts are audited; repeated ones get 429 with Retry-After (per account and per address), and an account is locked (423) after many until an admin unlocks it.',
      tag: 'auth',
      roles: 'public',
      body: z
        .strictObject({
          username: z.string().min(1).max(64),
          password: z.string().min(1).max(200),
          totp: z.string().max(12).optional(),
          recovery_code: z.string().max(40).optional(),
        })
        .meta({ id: 'LoginInput' }),
      responses: {
        200: {
          description: 'a session token',
          schema: Session,
        },
        401: { description: 'wrong user, password or code; or `totp_required`', schema: Problem },
        423: { description: 'the account is locked', schema: Problem },
        429: { description: 'too many failed attempts (Retry-After)', schema: Problem },
      },
    },
    async (c, { body }) => {
      const { db, now, config, loginGuard } = c.get('deps');
      const r = await attemptLogin(
        db,
        loginGuard,
        {
          username: body.username,
          password: body.password,
          totp: body.totp,
          recoveryCode: body.recovery_code,
          address: c.get('client').ip,
          now: now(),
        },
        config.security,
      );
      if (!r.ok) {
        switch (r.reason) {
          case 'throttled':
            await audit(c, 'auth.login_throttled', body.username, {
              status: 429,
              by: r.by,
              retry_after: r.retryAfter,
            });
            throw new ApiError(
              'too_many_requests',
              `too many failed logins; try again in ${r.retryAfter} s`,
              {
                headers: { 'retry-after': String(r.retryAfter) },
                extra: { retry_after: r.retryAfter },
              },
            );
          case 'locked':
            await audit(c, 'auth.login_locked', body.username, { status: 423 });
            throw new ApiError(
              'account_locked',
              'the account is locked after repeated failed logins; an administrator must unlock it',
            );
          case 'totp_required':
            throw new ApiError(
              'totp_required',
              'this account needs a TOTP code (totp) or a recovery code (recovery_code)',
            );
          default:
            await audit(c, 'auth.login_failed', body.username, { status: 401, reason: r.reason });
            throw new ApiError(
              'unauthorized',
              r.reason === 'totp_invalid'
                ? 'wrong or used TOTP code'
                : 'wrong user name or password',
            );
        }
      }
      const t = r.token;
      c.set('principal', {
        name: t.name,
        role: t.role,
        tokenId: t.tokenId,
        kind: t.kind,
        username: t.username,
        scope: t.scope,
        jurisdiction: t.jurisdiction,
      });
      await audit(c, 'auth.login', body.username, {
        status: 200,
        scope: t.scope,
        ...(r.rehashed ? { rehashed: true } : {}),
        ...(r.usedRecoveryCode ? { recovery_code: true } : {}),
      });
      const session: z.output<typeof Session> = {
        token: t.token,
        role: t.role,
        expires_at: t.expiresAt,
        scope: t.scope,
        jurisdiction: t.jurisdiction,
        idle_minutes: config.security.session_idle_minutes,
      };
      return c.json(session);
    },
  );

  r.add(
    {
      method: 'post',
      path: '/v1/auth/logout',
      operationId: 'logout',
      summary: 'Log out',
      description: 'Revokes the session token presented (an API token is left alone).',
      tag: 'auth',
      roles: ALL,
      scopes: ANY_SCOPE,
      body: z.strictObject({}).meta({ id: 'LogoutInput' }),
      responses: {
        200: {
          description: 'revoked',
          schema: z.object({ revoked: z.boolean() }).meta({ id: 'Logout' }),
        },
      },
    },
    async (c) => {
      const { db, now, tokens } = c.get('deps');
      const p = c.get('principal')!;
      const revoked = p.kind === 'session' && (await revokeToken(db, p.tokenId, now(), 'logout'));
      tokens.invalidate();
      await audit(c, 'auth.logout', p.username, { status: 200 });
      return c.json({ revoked });
    },
  );

  r.add(
    {
      method: 'get',
      path: '/v1/me',
      operationId: 'me',
      summary: 'Who am I',
      tag: 'auth',
      roles: ALL,
      scopes: ANY_SCOPE,
      responses: { 200: { description: 'the caller', schema: Me } },
    },
    async (c) => {
      const p = c.get('principal')!;
      const u = p.username
        ? await c
            .get('deps')
            .db.one<{ totp: boolean }>(
              `SELECT totp_enabled_at IS NOT NULL AS totp FROM api_users WHERE username = $u`,
              { u: p.username },
            )
        : undefined;
      const me: z.output<typeof Me> = {
        name: p.name,
        role: p.role,
        kind: p.kind,
        username: p.username ?? null,
        scope: p.scope,
        totp: u?.totp ?? false,
      };
      return c.json(me);
    },
  );

  r.add(
    {
      method: 'post',
      path: '/v1/me/password',
      operationId: 'changePassword',
      summary: 'Change my password',
      description:
        'At least 12 characters and not a common password. Every session and token of the user ends, this one included: log in again.',
      tag: 'auth',
      roles: ALL,
      scopes: ['full', 'change_password'],
      body: z
        .strictObject({ current: z.string().min(1).max(200), new: z.string().min(1).max(200) })
        .meta({ id: 'PasswordChange' }),
      responses: {
        200: {
          description: 'changed',
          schema: z.object({ revoked: Revoked }).meta({ id: 'PasswordChanged' }),
        },
        400: { description: 'wrong current password, or the new one is refused', schema: Problem },
      },
    },
    async (c, { body }) => {
      const { db, now, config, tokens } = c.get('deps');
      const username = requireUser(c.get('principal')!);
      let res;
      try {
        res = await changePassword(
          db,
          username,
          body.current,
          body.new,
          now(),
          config.security.scrypt,
        );
      } catch (err) {
        await audit(c, 'user.password_change_failed', username, { status: 400 });
        throw err;
      }
      tokens.invalidate();
      await audit(c, 'user.password_change', username, { status: 200, revoked: res.revoked });
      return c.json({ revoked: res.revoked });
    },
  );

  r.add(
    {
      method: 'post',
      path: '/v1/me/totp/setup',
      operationId: 'setupTotp',
      summary: 'Start TOTP enrolment',
      description:
        'A new secret (base32) and its otpauth:// URI for an authenticator app; confirm with a code.',
      tag: 'auth',
      roles: ALL,
      scopes: ['full', 'enrol_totp'],
      body: z.strictObject({}).meta({ id: 'TotpSetupInput' }),
      responses: { 200: { description: 'secret', schema: TotpSetup } },
    },
    async (c) => {
      const username = requireUser(c.get('principal')!);
      const s = await setupTotp(c.get('deps').db, username);
      await audit(c, 'user.totp_setup', username, { status: 200 });
      return c.json(s);
    },
  );

  r.add(
    {
      method: 'post',
      path: '/v1/me/totp/confirm',
      operationId: 'confirmTotp',
      summary: 'Confirm TOTP enrolment',
      description:
        'Turns TOTP on with a code from the new secret and returns 10 recovery codes (shown once). An enrolment-only session ends: log in again with a code.',
      tag: 'auth',
      roles: ALL,
      scopes: ['full', 'enrol_totp'],
      body: z.strictObject({ code: z.string().min(6).max(12) }).meta({ id: 'TotpConfirmInput' }),
      responses: {
        200: {
          description: 'on',
          schema: z
            .object({
              recovery_codes: z.array(z.string()).meta({ description: 'shown once' }),
              session_ended: z.boolean(),
            })
            .meta({ id: 'TotpOn' }),
        },
        400: { description: 'wrong code', schema: Problem },
      },
    },
    async (c, { body }) => {
      const { db, now, tokens } = c.get('deps');
      const p = c.get('principal')!;
      const username = requireUser(p);
      const { recoveryCodes } = await confirmTotp(db, username, body.code, now());
      if (p.scope === 'enrol_totp') {
        await revokeToken(db, p.tokenId, now(), 'totp enrolled');
        tokens.invalidate();
      }
      await audit(c, 'user.totp_enabled', username, { status: 200 });
      return c.json({ recovery_codes: recoveryCodes, session_ended: p.scope === 'enrol_totp' });
    },
  );

  // ---- admin: users ---------------------------------------------------------------------------

  r.add(
    {
      method: 'get',
      path: '/v1/users',
      operationId: 'listUsers',
      summary: 'List users',
      tag: 'admin',
      roles: ADMIN,
      wholeTree: true,
      responses: {
        200: {
          description: 'users',
          schema: z.object({ items: z.array(UserInfo) }).meta({ id: 'UserList' }),
        },
      },
    },
    async (c) => c.json({ items: await runVerb(c, 'user.list', {}) }),
  );

  r.add(
    {
      method: 'post',
      path: '/v1/users',
      operationId: 'createUser',
      summary: 'Create a user',
      description:
        'Without `password`, a one-time password is returned (once); the user must change it at the first login.',
      tag: 'admin',
      roles: ADMIN,
      wholeTree: true,
      body: z
        .strictObject({
          username: Username,
          role: z.enum(ROLES),
          password: z.string().min(1).max(200).optional(),
        })
        .meta({ id: 'UserInput' }),
      responses: {
        201: {
          description: 'created',
          schema: z
            .object({
              username: z.string(),
              role: z.enum(ROLES),
              one_time_password: z
                .string()
                .optional()
                .meta({ description: 'when no password was given: shown once' }),
            })
            .meta({ id: 'UserCreated' }),
        },
        400: { description: 'exists, or the password is refused', schema: Problem },
      },
    },
    async (c, { body }) => c.json(await runVerb(c, 'user.create', body), 201),
  );

  for (const [action, verb, summary] of [
    ['disable', 'user.disable', 'Disable a user (ends their sessions and tokens)'],
    ['enable', 'user.enable', 'Enable a user'],
    ['unlock', 'user.unlock', 'Unlock a user locked out by failed logins'],
    ['reset-password', 'user.reset-password', "Reset a user's password to a one-time password"],
    ['reset-totp', 'user.reset-totp', "Turn a user's TOTP off (lost device)"],
  ] as const) {
    r.add(
      {
        method: 'post',
        path: `/v1/users/:username/${action}`,
        operationId: `${action.replace(/-(\w)/g, (_m, ch: string) => ch.toUpperCase())}User`,
        summary,
        tag: 'admin',
        roles: ADMIN,
        wholeTree: true,
        params: UserParams,
        body: z.strictObject({}),
        responses: {
          200: {
            description: 'done',
            schema: USER_ACTION_RESULTS[action],
          },
          404: { description: 'no such user', schema: Problem },
        },
      },
      async (c, { params }) => c.json(await runVerb(c, verb, { username: params.username })),
    );
  }

  // ---- admin: tokens --------------------------------------------------------------------------

  r.add(
    {
      method: 'get',
      path: '/v1/tokens',
      operationId: 'listTokens',
      summary: 'List tokens and sessions',
      description:
        'With expiry, last use (to the minute) and revocation. `active=true` hides ended ones.',
      tag: 'admin',
      roles: ADMIN,
      wholeTree: true,
      query: z.strictObject({ active: z.enum(['true', 'false']).optional() }),
      responses: {
        200: {
          description: 'tokens',
          schema: z.object({ items: z.array(TokenInfo) }).meta({ id: 'TokenList' }),
        },
      },
    },
    async (c, { query }) =>
      c.json({ items: await runVerb(c, 'token.list', { active: query.active === 'true' }) }),
  );

  r.add(
    {
      method: 'post',
      path: '/v1/tokens',
      operationId: 'createToken',
      summary: 'Create an API token',
      description:
        'The secret is in the answer once. Expires after `days` (default from the config, 90).',
      tag: 'admin',
      roles: ADMIN,
      wholeTree: true,
      body: z
        .strictObject({
          name: z.string().min(1).max(100),
          role: z.enum(ROLES),
          days: z.number().int().min(1).max(3650).optional(),
          username: Username.optional(),
        })
        .meta({ id: 'TokenInput' }),
      responses: {
        201: {
          description: 'created',
          schema: CreatedToken,
        },
      },
    },
    async (c, { body }) => c.json(await runVerb(c, 'token.create', body), 201),
  );

  r.add(
    {
      method: 'post',
      path: '/v1/tokens/:id/revoke',
      operationId: 'revokeToken',
      summary: 'Revoke a token or session',
      tag: 'admin',
      roles: ADMIN,
      wholeTree: true,
      params: z.strictObject({ id: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER) }),
      body: z.strictObject({}),
      responses: {
        200: {
          description: 'revoked',
          schema: z
            .object({ token_id: z.number().int(), revoked: z.literal(true) })
            .meta({ id: 'TokenRevoked' }),
        },
        404: { description: 'no active token with that id', schema: Problem },
      },
    },
    async (c, { params }) => c.json(await runVerb(c, 'token.revoke', { id: params.id })),
  );

  // ---- admin: the audit log's chain and export ------------------------------------------------

  r.add(
    {
      method: 'get',
      path: '/v1/audit/verify',
      operationId: 'verifyAudit',
      summary: 'Verify the audit log hash chain',
      description: '`ok`, entries checked, and the first entry where the chain breaks.',
      tag: 'admin',
      roles: ADMIN,
      wholeTree: true,
      responses: {
        200: {
          description: 'result',
          schema: AuditVerification,
        },
      },
    },
    async (c) => c.json(await runVerb(c, 'audit.verify', {})),
  );

  r.add(
    {
      method: 'get',
      path: '/v1/audit/export.ndjson',
      operationId: 'exportAudit',
      summary: 'Export the audit log',
      description:
        'Every entry (optionally `from` / `to`, ISO timestamps) as NDJSON with its hashes, in id order, streamed. Audited.',
      tag: 'admin',
      roles: ADMIN,
      wholeTree: true,
      query: z.strictObject({
        from: z.iso.datetime({ offset: true }).optional(),
        to: z.iso.datetime({ offset: true }).optional(),
      }),
      responses: { 200: { description: 'NDJSON', contentTypes: ['application/x-ndjson'] } },
    },
    async (c, { query }) => {
      const { db, log } = c.get('deps');
      await audit(c, 'audit.export', null, { status: 200, ...query });
      await c.get('deps').audit.flush();
      const enc = new TextEncoder();
      const body = new ReadableStream<Uint8Array>({
        async start(ctl) {
          try {
            await exportAudit(db, (line) => ctl.enqueue(enc.encode(`${line}\n`)), query);
            ctl.close();
          } catch (err) {
            log('audit export failed', err);
            ctl.error(err);
          }
        },
      });
      return new Response(body, {
        headers: {
          'content-type': 'application/x-ndjson; charset=utf-8',
          'content-disposition': 'attachment; filename="audit-log.ndjson"',
        },
      });
    },
  );
}
