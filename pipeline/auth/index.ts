/**
 * API credentials: bearer tokens (stored as sha256, shown once) and dashboard users (scrypt
 * password hashes). The roles and what each may do are documented in api/README.md; accounts,
 * sessions, login protection and MFA in docs/security.md.
 *
 * Tokens are of two kinds: `api` tokens (made by an admin, expiring after 90 days by default) and
 * `session` tokens (issued by a login, idle timeout and absolute lifetime from the config). A
 * token with a `username` belongs to that user: disabling the user or changing their password
 * revokes it, and it stops working at once even before (verifyToken joins the user).
 */
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Db } from '../db/index.ts';
import { AppError } from '../errors.ts';
import {
  assertPasswordPolicy,
  DEFAULT_SCRYPT,
  hashPassword,
  type ScryptCost,
} from './passwords.ts';

import { ROLES, isRole, type Role } from './roles.ts';
export { ROLES, isRole, type Role };

export const TOKEN_KINDS = ['api', 'session'] as const;
export type TokenKind = (typeof TOKEN_KINDS)[number];
/** What a token may do: everything, or only the one step its user must take first. */
export const TOKEN_SCOPES = ['full', 'change_password', 'enrol_totp'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

/** Who is calling: the token's name (or `user:NAME`), role, office, and whose token it is. */
export interface Principal {
  readonly name: string;
  readonly role: Role;
  readonly tokenId: number;
  readonly kind: TokenKind;
  /** The user the token belongs to (sessions always), or null. */
  readonly username: string | null;
  readonly scope: TokenScope;
  /**
   * The office (jurisdictions.code) whose subtree the caller sees; null = the whole tree. A
   * user's token carries the user's office as it is now; an API token its own.
   */
  readonly jurisdiction: string | null;
}

/** Checks that `code` is an office of the loaded tree (accounts and tokens may only name one). */
export async function checkJurisdiction(
  db: Db,
  code: string | null | undefined,
): Promise<string | null> {
  if (code === undefined || code === null) return null;
  const row = await db.one(`SELECT 1 AS x FROM jurisdictions WHERE code = $c`, { c: code });
  if (!row) {
    const n = await db.one<{ n: number }>(`SELECT count(*)::INTEGER AS n FROM jurisdictions`);
    throw new AppError(
      'usage',
      n?.n
        ? `jurisdiction ${code} is not an office of the loaded tree (dafei jurisdictions list)`
        : `jurisdiction ${code}: no jurisdiction file is loaded (dafei jurisdictions load FILE)`,
    );
  }
  return code;
}

const TOKEN_PREFIX = 'dfk_';

/** Default lifetime of an API token (config: security.token_days). */
export const DEFAULT_TOKEN_DAYS = 90;

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export interface CreateTokenOptions {
  name: string;
  role: string;
  /** Lifetime in seconds; default DEFAULT_TOKEN_DAYS days. */
  ttlSeconds?: number;
  now?: Date;
  kind?: TokenKind;
  /** The user the token belongs to (a session's user, or a user's API token). */
  username?: string | null;
  scope?: TokenScope;
  /** Office code of a token of no user; none = the whole tree (a user's token has the user's). */
  jurisdiction?: string | null;
}

/** A token's office: its user's, or its own for a token of no user; null = the whole tree. */
const Jurisdiction = z
  .string()
  .nullable()
  .meta({ description: 'office code; null: the whole tree' });

export const CreatedToken = z
  .object({
    tokenId: z.number().int(),
    token: z
      .string()
      .meta({ description: 'the secret: it is not stored and cannot be shown again' }),
    name: z.string(),
    role: z.enum(ROLES),
    expiresAt: z.string(),
    kind: z.enum(TOKEN_KINDS),
    username: z.string().nullable(),
    scope: z.enum(TOKEN_SCOPES),
    jurisdiction: Jurisdiction,
  })
  .meta({ id: 'CreatedToken' });
export type CreatedToken = z.output<typeof CreatedToken>;

/** Creates a bearer token (what `dafei token create --name N --role R` calls). */
export async function createToken(db: Db, o: CreateTokenOptions): Promise<CreatedToken> {
  const name = o.name.trim();
  if (name === '' || name.length > 100)
    throw new AppError('usage', 'token name must be 1–100 characters');
  if (!isRole(o.role))
    throw new AppError('usage', `role '${o.role}' is not one of ${ROLES.join(', ')}`);
  if (o.username && o.jurisdiction)
    throw new AppError(
      'usage',
      "a user's token has the user's office: give --user or --jurisdiction",
    );
  // a user's token is verified with the user's office as it is then; it is kept here for the record
  const jurisdiction = o.username
    ? ((
        await db.one<{ j: string | null }>(
          `SELECT jurisdiction AS j FROM api_users WHERE username = $u`,
          { u: o.username },
        )
      )?.j ?? null)
    : await checkJurisdiction(db, o.jurisdiction);
  const ttl = o.ttlSeconds ?? DEFAULT_TOKEN_DAYS * 86400;
  if (!(ttl > 0) || ttl > 3650 * 86400)
    throw new AppError('usage', 'a token lives between 1 second and 3,650 days');
  const token = TOKEN_PREFIX + randomBytes(24).toString('base64url');
  const now = o.now ?? new Date();
  const expiresAt = new Date(now.getTime() + ttl * 1000).toISOString();
  const kind = o.kind ?? 'api';
  const scope = o.scope ?? 'full';
  const username = o.username ?? null;
  const row = await db.one<{ token_id: number }>(
    `INSERT INTO api_tokens (token_hash, name, role, created_at, expires_at, kind, username, scope, jurisdiction)
     VALUES ($h, $name, $role, $now::TIMESTAMPTZ, $exp::TIMESTAMPTZ, $kind, $user, $scope, $j)
     RETURNING token_id::INTEGER AS token_id`,
    {
      h: hashToken(token),
      name,
      role: o.role,
      now: now.toISOString(),
      exp: expiresAt,
      kind,
      user: username,
      scope,
      j: jurisdiction,
    },
  );
  return {
    tokenId: row!.token_id,
    token,
    name,
    role: o.role,
    expiresAt,
    kind,
    username,
    scope,
    jurisdiction,
  };
}

/** Revokes a token by id; returns false when there was no such active token. */
export async function revokeToken(
  db: Db,
  tokenId: number,
  now = new Date(),
  reason = 'revoked',
): Promise<boolean> {
  const rows = await db.all<{ token_id: number }>(
    `UPDATE api_tokens SET revoked_at = $now::TIMESTAMPTZ, revoked_reason = $why
     WHERE token_id = $id AND revoked_at IS NULL RETURNING token_id::INTEGER AS token_id`,
    { id: tokenId, now: now.toISOString(), why: reason },
  );
  return rows.length > 0;
}

/** Revokes every active token of a user (disable, password change or reset); returns how many. */
export async function revokeUserTokens(
  db: Db,
  username: string,
  now: Date,
  reason: string,
): Promise<number> {
  const rows = await db.all<{ token_id: number }>(
    `UPDATE api_tokens SET revoked_at = $now::TIMESTAMPTZ, revoked_reason = $why
     WHERE username = $u AND revoked_at IS NULL RETURNING token_id::INTEGER AS token_id`,
    { u: username, now: now.toISOString(), why: reason },
  );
  return rows.length;
}

export const TokenInfo = z
  .object({
    token_id: z.number().int(),
    name: z.string(),
    role: z.enum(ROLES),
    kind: z.enum(TOKEN_KINDS),
    username: z.string().nullable(),
    scope: z.enum(TOKEN_SCOPES),
    created_at: z.string(),
    expires_at: z.string().nullable(),
    last_used_at: z.string().nullable(),
    revoked_at: z.string().nullable(),
    revoked_reason: z.string().nullable(),
    jurisdiction: Jurisdiction,
  })
  .meta({ id: 'TokenInfo' });
export type TokenInfo = z.output<typeof TokenInfo>;

export async function listTokens(
  db: Db,
  o: { active?: boolean; username?: string; now?: Date } = {},
): Promise<TokenInfo[]> {
  return db.all<TokenInfo & Record<string, unknown>>(
    `SELECT token_id::INTEGER AS token_id, name, role, kind, username, scope,
            created_at::VARCHAR AS created_at, expires_at::VARCHAR AS expires_at,
            last_used_at::VARCHAR AS last_used_at, revoked_at::VARCHAR AS revoked_at, revoked_reason,
            jurisdiction
     FROM api_tokens
     WHERE ($u::VARCHAR IS NULL OR username = $u::VARCHAR)
       AND (NOT $active::BOOLEAN OR (revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $now::TIMESTAMPTZ)))
     ORDER BY token_id`,
    {
      u: o.username ?? null,
      active: o.active ?? false,
      now: (o.now ?? new Date()).toISOString(),
    },
  );
}

/** A verified token: its principal, and when it was created and last used (idle timeout). */
export interface VerifiedToken {
  principal: Principal;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
}

const VERIFY_SQL = `
SELECT t.token_id::INTEGER AS token_id, t.name, coalesce(u.role, t.role) AS role, t.kind, t.username,
       t.scope, CASE WHEN t.username IS NULL THEN t.jurisdiction ELSE u.jurisdiction END AS jurisdiction,
       epoch_ms(t.created_at)::DOUBLE AS created_ms, epoch_ms(t.last_used_at)::DOUBLE AS used_ms,
       epoch_ms(t.expires_at)::DOUBLE AS expires_ms
FROM api_tokens t LEFT JOIN api_users u ON u.username = t.username
WHERE t.token_hash = $h::VARCHAR AND t.revoked_at IS NULL
  AND (t.expires_at IS NULL OR t.expires_at > $now::TIMESTAMPTZ)
  AND (t.username IS NULL OR (u.username IS NOT NULL AND u.disabled_at IS NULL))`;

/**
 * The token behind a presented secret, or undefined when it is unknown, revoked, expired, or its
 * user is disabled. (The idle timeout of sessions is checked by the caller, api/auth.ts.)
 */
export async function lookupToken(
  db: Db,
  token: string,
  now = new Date(),
): Promise<VerifiedToken | undefined> {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return undefined;
  const row = await db.one<{
    token_id: number;
    name: string;
    role: string;
    kind: string;
    username: string | null;
    scope: string;
    jurisdiction: string | null;
    created_ms: number;
    used_ms: number | null;
    expires_ms: number | null;
  }>(VERIFY_SQL, { h: hashToken(token), now: now.toISOString() });
  if (!row || !isRole(row.role)) return undefined;
  return {
    principal: {
      name: row.name,
      role: row.role,
      tokenId: row.token_id,
      kind: row.kind === 'session' ? 'session' : 'api',
      username: row.username,
      scope: row.scope === 'change_password' || row.scope === 'enrol_totp' ? row.scope : 'full',
      jurisdiction: row.jurisdiction,
    },
    createdAt: new Date(row.created_ms),
    expiresAt: row.expires_ms === null ? null : new Date(row.expires_ms),
    lastUsedAt: row.used_ms === null ? null : new Date(row.used_ms),
  };
}

/** The principal of a presented token, or undefined (no idle check: see lookupToken). */
export async function verifyToken(
  db: Db,
  token: string,
  now = new Date(),
): Promise<Principal | undefined> {
  return (await lookupToken(db, token, now))?.principal;
}

/** Records the last use of tokens (batched by the caller). */
export async function touchTokens(db: Db, uses: readonly [number, Date][]): Promise<void> {
  if (uses.length === 0) return;
  await db.run(
    `UPDATE api_tokens SET last_used_at = s.at::TIMESTAMPTZ
     FROM (SELECT x.id AS id, x.at AS at FROM (
       SELECT unnest(from_json($uses::VARCHAR, '[{"id":"BIGINT","at":"VARCHAR"}]')) AS x)) s
     WHERE api_tokens.token_id = s.id AND (api_tokens.last_used_at IS NULL OR api_tokens.last_used_at < s.at::TIMESTAMPTZ)`,
    { uses: JSON.stringify(uses.map(([id, at]) => ({ id, at: at.toISOString() }))) },
  );
}

// ---- users -------------------------------------------------------------------------------------

export interface CreateUserOptions {
  username: string;
  password: string;
  role: string;
  /** The user must change the password at the first login (an admin's one-time password). */
  mustChangePassword?: boolean;
  cost?: ScryptCost;
  now?: Date;
  /** Skip the password policy (only `dafei demo`, for its published demo password). */
  demo?: boolean;
  /** Office code; none = the whole tree. */
  jurisdiction?: string | null;
}

export const USERNAME_RE = /^[\p{L}\p{N}_.-]{1,64}$/u;

/** Creates a dashboard user (what `dafei user create` calls). */
export async function createUser(db: Db, o: CreateUserOptions): Promise<void> {
  if (!USERNAME_RE.test(o.username)) {
    throw new AppError('usage', 'username must be 1–64 letters, digits, _ . -');
  }
  if (!isRole(o.role))
    throw new AppError('usage', `role '${o.role}' is not one of ${ROLES.join(', ')}`);
  if (!o.demo) assertPasswordPolicy(o.password, { username: o.username });
  const jurisdiction = await checkJurisdiction(db, o.jurisdiction);
  const exists = await db.one(`SELECT 1 AS x FROM api_users WHERE username = $u`, {
    u: o.username,
  });
  if (exists) throw new AppError('usage', `user ${o.username} already exists`);
  const now = (o.now ?? new Date()).toISOString();
  await db.run(
    `INSERT INTO api_users (username, password_hash, role, created_at, password_changed_at, must_change_password, jurisdiction)
     VALUES ($u, $h, $role, $now::TIMESTAMPTZ, $now::TIMESTAMPTZ, $must, $j)`,
    {
      u: o.username,
      h: await hashPassword(o.password, o.cost ?? DEFAULT_SCRYPT),
      role: o.role,
      now,
      must: o.mustChangePassword ?? false,
      j: jurisdiction,
    },
  );
}

export {
  DEFAULT_SCRYPT,
  DEMO_PASSWORD,
  MIN_PASSWORD_LENGTH,
  checkPassword,
  hashPassword,
  needsRehash,
  oneTimePassword,
  passwordProblem,
  type ScryptCost,
} from './passwords.ts';
export * from './login.ts';
export * from './accounts.ts';
export * from './totp.ts';
export * from './demo-guard.ts';
export { accountVerbs, type AdminContext } from './admin-verbs.ts';
