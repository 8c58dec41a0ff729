/**
 * Account, token and audit-log administration as verbs: one implementation used by the API's
 * admin routes (api/routes/accounts.ts), the admin socket of a running server (api/admin.ts), and
 * the CLI on a database no server holds (pipeline/cli.ts). Every verb is audited with its actor.
 */
import { createWriteStream } from 'node:fs';
import { isAbsolute } from 'node:path';
import { once } from 'node:events';
import type { Db } from '../db/index.ts';
import type { SecurityConfig } from '../config.ts';
import { AppError } from '../errors.ts';
import { exportAudit, verifyAuditChain, type AuditEntry } from '../queries/audit.ts';
import { AdminRegistry } from '../admin-socket/index.ts';
import {
  createToken,
  createUser,
  isRole,
  listTokens,
  revokeToken,
  ROLES,
  USERNAME_RE,
} from './index.ts';
import { disableUser, enableUser, listUsers, resetPassword, unlockUser } from './accounts.ts';
import { oneTimePassword } from './passwords.ts';
import { resetTotp } from './totp.ts';

export interface AdminContext {
  db: Db;
  now(): Date;
  /** Who acts: `cli:<OS user>` over the socket, the principal's name over HTTP. */
  actor: string;
  role: string | null;
  security: Pick<SecurityConfig, 'scrypt' | 'token_days'>;
  /** Writes one audit entry (the caller adds client address, request id…). */
  audit(e: Omit<AuditEntry, 'actor' | 'role' | 'at'>): Promise<void>;
  /** Forget verified tokens remembered by a running server (no-op elsewhere). */
  invalidateTokens(): void;
  /**
   * Moves the audit entries a running server holds in its journal into audit_log, before the log
   * is read or copied (absent elsewhere: the CLI writes audit_log directly).
   */
  flushAudit?(): Promise<void>;
}

function str(args: Record<string, unknown>, key: string): string {
  const v = args[key];
  if (typeof v !== 'string' || v.trim() === '') throw new AppError('usage', `${key} is required`);
  return v.trim();
}

function optStr(args: Record<string, unknown>, key: string): string | undefined {
  const v = args[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new AppError('usage', `${key} must be a string`);
  return v;
}

function username(args: Record<string, unknown>): string {
  const u = str(args, 'username');
  if (!USERNAME_RE.test(u))
    throw new AppError('usage', 'username must be 1–64 letters, digits, _ . -');
  return u;
}

export function accountVerbs(): AdminRegistry<AdminContext> {
  const r = new AdminRegistry<AdminContext>();
  r.add('user.list', 'list dashboard users', async (_a, ctx) => {
    const users = await listUsers(ctx.db, ctx.now());
    await ctx.audit({
      action: 'user.list',
      target: null,
      status: 200,
      detail: { rows: users.length },
    });
    return users;
  });
  r.add(
    'user.create',
    'create a user (password given, or a one-time password returned)',
    async (args, ctx) => {
      const name = username(args);
      const role = str(args, 'role');
      const given = optStr(args, 'password');
      const password = given ?? oneTimePassword();
      const jurisdiction = optStr(args, 'jurisdiction') ?? null;
      await createUser(ctx.db, {
        username: name,
        role,
        password,
        mustChangePassword: given === undefined,
        cost: ctx.security.scrypt,
        now: ctx.now(),
        jurisdiction,
      });
      await ctx.audit({
        action: 'user.create',
        target: name,
        status: 201,
        detail: { role, jurisdiction },
      });
      return {
        username: name,
        role,
        ...(given === undefined ? { one_time_password: password } : {}),
      };
    },
  );
  r.add('user.disable', 'disable a user and end their sessions and tokens', async (args, ctx) => {
    const name = username(args);
    const revoked = await disableUser(ctx.db, name, ctx.now());
    ctx.invalidateTokens();
    await ctx.audit({ action: 'user.disable', target: name, status: 200, detail: { revoked } });
    return { username: name, revoked };
  });
  r.add('user.enable', 'enable a disabled user', async (args, ctx) => {
    const name = username(args);
    await enableUser(ctx.db, name);
    await ctx.audit({ action: 'user.enable', target: name, status: 200 });
    return { username: name };
  });
  r.add('user.unlock', 'lift a lockout after failed logins', async (args, ctx) => {
    const name = username(args);
    await unlockUser(ctx.db, name);
    await ctx.audit({ action: 'user.unlock', target: name, status: 200 });
    return { username: name };
  });
  r.add(
    'user.reset-password',
    'set a one-time password (the user changes it at the next login)',
    async (args, ctx) => {
      const name = username(args);
      const { password, revoked } = await resetPassword(
        ctx.db,
        name,
        ctx.now(),
        ctx.security.scrypt,
      );
      ctx.invalidateTokens();
      await ctx.audit({
        action: 'user.reset_password',
        target: name,
        status: 200,
        detail: { revoked },
      });
      return { username: name, one_time_password: password, revoked };
    },
  );
  r.add('user.reset-totp', 'turn TOTP off for a user who lost the device', async (args, ctx) => {
    const name = username(args);
    if (!(await resetTotp(ctx.db, name))) throw new AppError('not_found', `no user ${name}`);
    await ctx.audit({ action: 'user.reset_totp', target: name, status: 200 });
    return { username: name };
  });
  r.add('token.list', 'list API tokens and sessions', async (args, ctx) => {
    const tokens = await listTokens(ctx.db, { active: args['active'] === true, now: ctx.now() });
    await ctx.audit({
      action: 'token.list',
      target: null,
      status: 200,
      detail: { rows: tokens.length },
    });
    return tokens;
  });
  r.add('token.create', 'create an API token (shown once)', async (args, ctx) => {
    const name = str(args, 'name');
    const role = str(args, 'role');
    if (!isRole(role))
      throw new AppError('usage', `role '${role}' is not one of ${ROLES.join(', ')}`);
    const days = args['days'] === undefined ? ctx.security.token_days : Number(args['days']);
    if (!Number.isInteger(days) || days < 1 || days > 3650)
      throw new AppError('usage', 'days must be a whole number from 1 to 3650');
    const owner = optStr(args, 'username');
    const jurisdiction = optStr(args, 'jurisdiction');
    const t = await createToken(ctx.db, {
      name,
      role,
      ttlSeconds: days * 86400,
      now: ctx.now(),
      ...(owner ? { username: owner } : {}),
      ...(jurisdiction ? { jurisdiction } : {}),
    });
    await ctx.audit({
      action: 'token.create',
      target: String(t.tokenId),
      status: 201,
      detail: { name, role, expires_at: t.expiresAt, jurisdiction: t.jurisdiction },
    });
    return t;
  });
  r.add('token.revoke', 'revoke a token or session by id', async (args, ctx) => {
    const id = Number(args['id']);
    if (!Number.isInteger(id) || id < 1) throw new AppError('usage', 'id must be a token id');
    const revoked = await revokeToken(ctx.db, id, ctx.now());
    if (!revoked) throw new AppError('not_found', `no active token ${id}`);
    ctx.invalidateTokens();
    await ctx.audit({ action: 'token.revoke', target: String(id), status: 200 });
    return { token_id: id, revoked };
  });
  r.add('audit.verify', 'check the audit log hash chain', async (_a, ctx) => {
    await ctx.flushAudit?.();
    const v = await verifyAuditChain(ctx.db);
    await ctx.audit({
      action: 'audit.verify',
      target: null,
      status: 200,
      detail: { ok: v.ok, checked: v.checked, ...(v.broken ? { broken: v.broken.audit_id } : {}) },
    });
    return v;
  });
  r.add('audit.export', 'write the audit log as NDJSON to a file', async (args, ctx) => {
    const path = str(args, 'path');
    if (!isAbsolute(path)) throw new AppError('usage', 'the export path must be absolute');
    const from = optStr(args, 'from');
    const to = optStr(args, 'to');
    const out = createWriteStream(path, { flags: 'wx', mode: 0o600 });
    await once(out, 'open').catch((err: unknown) => {
      throw new AppError('usage', `cannot write ${path}: ${(err as Error).message}`);
    });
    let rows: number;
    try {
      await ctx.flushAudit?.();
      rows = await exportAudit(
        ctx.db,
        async (line) => {
          if (!out.write(`${line}\n`)) await once(out, 'drain');
        },
        { ...(from ? { from } : {}), ...(to ? { to } : {}) },
      );
    } finally {
      out.end();
      await once(out, 'finish').catch(() => undefined);
    }
    await ctx.audit({ action: 'audit.export', target: path, status: 200, detail: { rows } });
    return { path, rows };
  });
  return r;
}
