/**
 * Login with protection against guessing (ASVS 2.2): per-account back-off and lockout (kept in
 * api_users, so a restart does not reset them), per-address throttling (in memory), the same
 * answers and the same work for unknown users, TOTP for the roles that must use it, and a rehash
 * of the password when the configured scrypt cost has changed.
 *
 * Back-off: after `free_failures` consecutive failures an account accepts the next attempt only
 * 60 s after the last failure, then 120 s, 240 s … up to `max_backoff_minutes`; an attempt before
 * that is refused (HTTP 429 with Retry-After) without checking the password. At `lockout_after`
 * consecutive failures the account is locked until an admin unlocks it.
 */
import type { Db } from '../db/index.ts';
import type { SecurityConfig } from '../config.ts';
import { createToken, isRole, type CreatedToken, type TokenScope } from './index.ts';
import { checkPassword, dummyHash, hashPassword, needsRehash } from './passwords.ts';
import { useRecoveryCode, verifyTotp } from './totp.ts';

export type LoginPolicy = Pick<SecurityConfig, 'login' | 'scrypt' | 'mfa_roles' | 'session_hours'>;

/** Minutes a restricted session (change the password, enrol TOTP) lasts. */
export const RESTRICTED_SESSION_MINUTES = 15;

interface FailureState {
  failures: number;
  lastFailedAt: number | null;
  lockedAt: number | null;
}

/** In-memory state of one process: failures by address, and of user names that do not exist. */
export interface LoginGuard {
  readonly addresses: Map<string, number[]>;
  readonly unknownUsers: Map<string, FailureState>;
}

export function createLoginGuard(): LoginGuard {
  return { addresses: new Map(), unknownUsers: new Map() };
}

export interface LoginInput {
  username: string;
  password: string;
  totp?: string | undefined;
  recoveryCode?: string | undefined;
  /** The client's address (null when unknown: then only the account is throttled). */
  address: string | null;
  now: Date;
}

export type LoginRefusal =
  | { ok: false; reason: 'invalid' }
  | { ok: false; reason: 'throttled'; retryAfter: number; by: 'account' | 'address' }
  | { ok: false; reason: 'locked' }
  | { ok: false; reason: 'totp_required' }
  | { ok: false; reason: 'totp_invalid' };

export type LoginResult =
  { ok: true; token: CreatedToken; rehashed: boolean; usedRecoveryCode: boolean } | LoginRefusal;

/** Seconds an account must wait after `failures` consecutive failures (0 = none). */
export function backoffSeconds(failures: number, policy: LoginPolicy): number {
  const over = failures - policy.login.free_failures;
  if (over < 0) return 0;
  return Math.min(60 * 2 ** over, policy.login.max_backoff_minutes * 60);
}

function accountWait(s: FailureState, now: number, policy: LoginPolicy): number {
  if (s.lastFailedAt === null) return 0;
  const until = s.lastFailedAt + backoffSeconds(s.failures, policy) * 1000;
  return until > now ? Math.ceil((until - now) / 1000) : 0;
}

function addressWait(guard: LoginGuard, address: string, now: number, policy: LoginPolicy): number {
  const windowMs = policy.login.address_window_minutes * 60_000;
  const list = (guard.addresses.get(address) ?? []).filter((t) => t > now - windowMs);
  if (list.length === 0) guard.addresses.delete(address);
  else guard.addresses.set(address, list);
  if (list.length < policy.login.address_failures) return 0;
  const oldest = list[list.length - policy.login.address_failures]!;
  return Math.max(1, Math.ceil((oldest + windowMs - now) / 1000));
}

interface UserRow {
  username: string;
  password_hash: string;
  role: string;
  disabled: boolean;
  failed_logins: number;
  last_failed_ms: number | null;
  locked_ms: number | null;
  must_change_password: boolean;
  totp_secret: string | null;
  totp_on: boolean;
  totp_last_step: number | null;
}

export async function attemptLogin(
  db: Db,
  guard: LoginGuard,
  input: LoginInput,
  policy: LoginPolicy,
): Promise<LoginResult> {
  const now = input.now.getTime();
  if (input.address !== null) {
    const wait = addressWait(guard, input.address, now, policy);
    if (wait > 0) return { ok: false, reason: 'throttled', retryAfter: wait, by: 'address' };
  }
  const u = await db.one<UserRow>(
    `SELECT username, password_hash, role, disabled_at IS NOT NULL AS disabled,
            coalesce(failed_logins, 0)::INTEGER AS failed_logins,
            epoch_ms(last_failed_at)::DOUBLE AS last_failed_ms, epoch_ms(locked_at)::DOUBLE AS locked_ms,
            coalesce(must_change_password, false) AS must_change_password, totp_secret,
            totp_enabled_at IS NOT NULL AS totp_on, totp_last_step::DOUBLE AS totp_last_step
     FROM api_users WHERE username = $u::VARCHAR`,
    { u: input.username },
  );
  const key = input.username.toLowerCase();
  const state: FailureState = u
    ? { failures: u.failed_logins, lastFailedAt: u.last_failed_ms, lockedAt: u.locked_ms }
    : (guard.unknownUsers.get(key) ?? { failures: 0, lastFailedAt: null, lockedAt: null });
  if (state.lockedAt !== null) return { ok: false, reason: 'locked' };
  const wait = accountWait(state, now, policy);
  if (wait > 0) return { ok: false, reason: 'throttled', retryAfter: wait, by: 'account' };

  const fail = async (reason: 'invalid' | 'totp_invalid'): Promise<LoginRefusal> => {
    const failures = state.failures + 1;
    const locked = failures >= policy.login.lockout_after;
    if (input.address !== null) {
      const list = guard.addresses.get(input.address) ?? [];
      list.push(now);
      guard.addresses.set(input.address, list);
    }
    if (u) {
      await db.run(
        `UPDATE api_users SET failed_logins = $f, last_failed_at = $at::TIMESTAMPTZ,
                locked_at = CASE WHEN $locked THEN $at::TIMESTAMPTZ ELSE locked_at END
         WHERE username = $u::VARCHAR`,
        { f: failures, at: input.now.toISOString(), locked, u: u.username },
      );
    } else {
      if (guard.unknownUsers.size > 10_000) guard.unknownUsers.clear();
      guard.unknownUsers.set(key, {
        failures,
        lastFailedAt: now,
        lockedAt: locked ? now : null,
      });
    }
    return { ok: false, reason };
  };

  // the same scrypt work whether or not the user exists (at the configured cost)
  const passwordOk = await checkPassword(
    input.password,
    u?.password_hash ?? dummyHash(policy.scrypt),
  );
  if (!u || !passwordOk || u.disabled || !isRole(u.role)) return fail('invalid');

  let usedRecoveryCode = false;
  let step: number | undefined;
  if (u.totp_on && u.totp_secret) {
    if (input.recoveryCode) {
      if (!(await useRecoveryCode(db, u.username, input.recoveryCode))) return fail('totp_invalid');
      usedRecoveryCode = true;
    } else if (input.totp) {
      step = verifyTotp(u.totp_secret, input.totp, input.now, u.totp_last_step);
      if (step === undefined) return fail('totp_invalid');
    } else {
      return { ok: false, reason: 'totp_required' };
    }
  }

  const rehash = needsRehash(u.password_hash, policy.scrypt);
  const newHash = rehash ? await hashPassword(input.password, policy.scrypt) : null;
  await db.run(
    `UPDATE api_users SET failed_logins = 0, last_failed_at = NULL, last_login_at = $at::TIMESTAMPTZ,
            password_hash = coalesce($h::VARCHAR, password_hash),
            totp_last_step = coalesce($step::BIGINT, totp_last_step)
     WHERE username = $u::VARCHAR`,
    { at: input.now.toISOString(), h: newHash, step: step ?? null, u: u.username },
  );
  const scope: TokenScope = u.must_change_password
    ? 'change_password'
    : (policy.mfa_roles as readonly string[]).includes(u.role) && !u.totp_on
      ? 'enrol_totp'
      : 'full';
  const token = await createToken(db, {
    name: `user:${u.username}`,
    role: u.role,
    kind: 'session',
    username: u.username,
    scope,
    ttlSeconds:
      scope === 'full' ? Math.round(policy.session_hours * 3600) : RESTRICTED_SESSION_MINUTES * 60,
    now: input.now,
  });
  return { ok: true, token, rehashed: rehash, usedRecoveryCode };
}
