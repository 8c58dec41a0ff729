/**
 * The account lifecycle: list, disable / enable, unlock, one-time password reset, change of one's
 * own password. Whatever ends a user's right to their sessions (disable, reset, change) revokes
 * their tokens in the same call; callers that cache verified tokens (api/auth.ts) forget them.
 */
import { z } from 'zod';
import type { Db } from '../db/index.ts';
import { AppError } from '../errors.ts';
import { revokeUserTokens } from './index.ts';
import { ROLES } from './roles.ts';
import {
  assertPasswordPolicy,
  checkPassword,
  DEFAULT_SCRYPT,
  hashPassword,
  oneTimePassword,
  type ScryptCost,
} from './passwords.ts';

export const UserInfo = z
  .object({
    username: z.string(),
    role: z.enum(ROLES),
    created_at: z.string(),
    disabled_at: z.string().nullable(),
    locked_at: z.string().nullable(),
    failed_logins: z.number().int(),
    last_login_at: z.string().nullable(),
    password_changed_at: z.string().nullable(),
    must_change_password: z.boolean(),
    totp: z.boolean(),
    active_tokens: z.number().int(),
  })
  .meta({ id: 'User' });
export type UserInfo = z.output<typeof UserInfo>;

export async function listUsers(db: Db, now = new Date()): Promise<UserInfo[]> {
  return db.all<UserInfo & Record<string, unknown>>(
    `SELECT u.username, u.role, u.created_at::VARCHAR AS created_at, u.disabled_at::VARCHAR AS disabled_at,
            u.locked_at::VARCHAR AS locked_at, coalesce(u.failed_logins, 0)::INTEGER AS failed_logins,
            u.last_login_at::VARCHAR AS last_login_at, u.password_changed_at::VARCHAR AS password_changed_at,
            coalesce(u.must_change_password, false) AS must_change_password, u.totp_enabled_at IS NOT NULL AS totp,
            (SELECT count(*) FROM api_tokens t WHERE t.username = u.username AND t.revoked_at IS NULL
               AND (t.expires_at IS NULL OR t.expires_at > $now::TIMESTAMPTZ))::INTEGER AS active_tokens
     FROM api_users u ORDER BY u.username`,
    { now: now.toISOString() },
  );
}

async function requireUser(db: Db, username: string): Promise<{ disabled: boolean }> {
  const u = await db.one<{ disabled: boolean }>(
    `SELECT disabled_at IS NOT NULL AS disabled FROM api_users WHERE username = $u`,
    { u: username },
  );
  if (!u) throw new AppError('not_found', `no user ${username}`);
  return u;
}

/** Disables a user and revokes their sessions and tokens; returns the number revoked. */
export async function disableUser(db: Db, username: string, now: Date): Promise<number> {
  await requireUser(db, username);
  await db.run(
    `UPDATE api_users SET disabled_at = coalesce(disabled_at, $now::TIMESTAMPTZ) WHERE username = $u`,
    { u: username, now: now.toISOString() },
  );
  return revokeUserTokens(db, username, now, 'user disabled');
}

export async function enableUser(db: Db, username: string): Promise<void> {
  await requireUser(db, username);
  await db.run(`UPDATE api_users SET disabled_at = NULL WHERE username = $u`, { u: username });
}

/** Lifts a lockout (and the back-off) after repeated failed logins. */
export async function unlockUser(db: Db, username: string): Promise<void> {
  await requireUser(db, username);
  await db.run(
    `UPDATE api_users SET locked_at = NULL, failed_logins = 0, last_failed_at = NULL WHERE username = $u`,
    { u: username },
  );
}

/**
 * Sets a one-time password (returned once): the user must change it at the next login. Their
 * sessions and tokens are revoked, a lockout lifted.
 */
export async function resetPassword(
  db: Db,
  username: string,
  now: Date,
  cost: ScryptCost = DEFAULT_SCRYPT,
): Promise<{ password: string; revoked: number }> {
  await requireUser(db, username);
  const password = oneTimePassword();
  await db.run(
    `UPDATE api_users SET password_hash = $h, must_change_password = true, password_changed_at = $now::TIMESTAMPTZ,
            locked_at = NULL, failed_logins = 0, last_failed_at = NULL
     WHERE username = $u`,
    { h: await hashPassword(password, cost), now: now.toISOString(), u: username },
  );
  return { password, revoked: await revokeUserTokens(db, username, now, 'password reset') };
}

/**
 * Changes one's own password (the current one must be given). Every session and token of the
 * user is revoked, the caller's included: log in again with the new password.
 */
export async function changePassword(
  db: Db,
  username: string,
  current: string,
  next: string,
  now: Date,
  cost: ScryptCost = DEFAULT_SCRYPT,
): Promise<{ revoked: number }> {
  const u = await db.one<{ h: string }>(
    `SELECT password_hash AS h FROM api_users WHERE username = $u AND disabled_at IS NULL`,
    { u: username },
  );
  if (!u || !(await checkPassword(current, u.h)))
    throw new AppError('usage', 'the current password is wrong');
  if (current === next) throw new AppError('usage', 'the new password is the current one');
  assertPasswordPolicy(next, { username });
  await db.run(
    `UPDATE api_users SET password_hash = $h, must_change_password = false, password_changed_at = $now::TIMESTAMPTZ
     WHERE username = $u`,
    { h: await hashPassword(next, cost), now: now.toISOString(), u: username },
  );
  return { revoked: await revokeUserTokens(db, username, now, 'password changed') };
}
