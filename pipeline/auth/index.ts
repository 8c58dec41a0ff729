/**
 * API credentials: bearer tokens (stored as sha256, shown once) and dashboard users (scrypt
 * password hashes). The roles and what each may do are documented in api/README.md.
 */
import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { Db } from '../db/index.ts';
import { AppError } from '../errors.ts';

export const ROLES = ['regulator', 'investigator', 'data_scientist', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(s: string): s is Role {
  return (ROLES as readonly string[]).includes(s);
}

/** Who is calling: the token's name (or the user name), role and office. */
export interface Principal {
  readonly name: string;
  readonly role: Role;
  readonly tokenId: number;
  /** The office (jurisdictions.code) whose subtree the caller sees; null = the whole tree. */
  readonly jurisdiction: string | null;
}

/** Checks that `code` is an office of the loaded tree (accounts and tokens may only name one). */
async function checkJurisdiction(db: Db, code: string | null | undefined): Promise<string | null> {
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

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export interface CreateTokenOptions {
  name: string;
  role: string;
  /** Lifetime in seconds; none = until revoked. */
  ttlSeconds?: number;
  /** Office code; none = the whole tree. */
  jurisdiction?: string | null;
  now?: Date;
}

export interface CreatedToken {
  tokenId: number;
  /** The secret. It is not stored and cannot be shown again. */
  token: string;
  name: string;
  role: Role;
  jurisdiction: string | null;
  expiresAt: string | null;
}

/** Creates a bearer token (what `dafei token create --name N --role R` calls). */
export async function createToken(db: Db, o: CreateTokenOptions): Promise<CreatedToken> {
  const name = o.name.trim();
  if (name === '' || name.length > 100)
    throw new AppError('usage', 'token name must be 1–100 characters');
  if (!isRole(o.role))
    throw new AppError('usage', `role '${o.role}' is not one of ${ROLES.join(', ')}`);
  const jurisdiction = await checkJurisdiction(db, o.jurisdiction);
  const token = TOKEN_PREFIX + randomBytes(24).toString('base64url');
  const now = o.now ?? new Date();
  const expiresAt =
    o.ttlSeconds === undefined ? null : new Date(now.getTime() + o.ttlSeconds * 1000).toISOString();
  const row = await db.one<{ token_id: number }>(
    `INSERT INTO api_tokens (token_hash, name, role, created_at, expires_at, jurisdiction)
     VALUES ($h, $name, $role, $now::TIMESTAMPTZ, $exp::TIMESTAMPTZ, $j) RETURNING token_id::INTEGER AS token_id`,
    {
      h: hashToken(token),
      name,
      role: o.role,
      now: now.toISOString(),
      exp: expiresAt,
      j: jurisdiction,
    },
  );
  return { tokenId: row!.token_id, token, name, role: o.role, jurisdiction, expiresAt };
}

/** Revokes a token by id; returns false when there was no such active token. */
export async function revokeToken(db: Db, tokenId: number, now = new Date()): Promise<boolean> {
  const row = await db.one<{ n: number }>(
    `SELECT count(*)::INTEGER AS n FROM api_tokens WHERE token_id = $id AND revoked_at IS NULL`,
    { id: tokenId },
  );
  if (!row || row.n === 0) return false;
  await db.run(`UPDATE api_tokens SET revoked_at = $now::TIMESTAMPTZ WHERE token_id = $id`, {
    id: tokenId,
    now: now.toISOString(),
  });
  return true;
}

export interface TokenInfo {
  token_id: number;
  name: string;
  role: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  jurisdiction: string | null;
}

export async function listTokens(db: Db): Promise<TokenInfo[]> {
  return db.all<TokenInfo & Record<string, unknown>>(
    `SELECT token_id::INTEGER AS token_id, name, role, created_at::VARCHAR AS created_at,
            expires_at::VARCHAR AS expires_at, revoked_at::VARCHAR AS revoked_at,
            jurisdiction
     FROM api_tokens ORDER BY token_id`,
  );
}

/** The principal of a presented token, or undefined when it is unknown, revoked or expired. */
export async function verifyToken(
  db: Db,
  token: string,
  now = new Date(),
): Promise<Principal | undefined> {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return undefined;
  const row = await db.one<{
    token_id: number;
    name: string;
    role: string;
    jurisdiction: string | null;
  }>(
    `SELECT token_id::INTEGER AS token_id, name, role, jurisdiction FROM api_tokens
     WHERE token_hash = $h AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $now::TIMESTAMPTZ)`,
    { h: hashToken(token), now: now.toISOString() },
  );
  if (!row || !isRole(row.role)) return undefined;
  return {
    name: row.name,
    role: row.role,
    tokenId: row.token_id,
    jurisdiction: row.jurisdiction,
  };
}

// ---- users -------------------------------------------------------------------------------------

const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32 } as const;

function scryptAsync(
  password: string,
  salt: Buffer,
  keylen: number,
  opts: ScryptOptions,
): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, SCRYPT.keylen, {
    N: SCRYPT.N,
    r: SCRYPT.r,
    p: SCRYPT.p,
  });
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function checkPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  const salt = Buffer.from(parts[4]!, 'base64');
  const expected = Buffer.from(parts[5]!, 'base64');
  const key = await scryptAsync(password, salt, expected.length, { N, r, p });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

export interface CreateUserOptions {
  username: string;
  password: string;
  role: string;
  /** Office code; none = the whole tree. */
  jurisdiction?: string | null;
}

/** Creates a dashboard user (what `dafei user create` would call). */
export async function createUser(db: Db, o: CreateUserOptions): Promise<void> {
  if (!/^[\p{L}\p{N}_.-]{1,64}$/u.test(o.username)) {
    throw new AppError('usage', 'username must be 1–64 letters, digits, _ . -');
  }
  if (o.password.length < 10)
    throw new AppError('usage', 'password must be at least 10 characters');
  if (!isRole(o.role))
    throw new AppError('usage', `role '${o.role}' is not one of ${ROLES.join(', ')}`);
  const jurisdiction = await checkJurisdiction(db, o.jurisdiction);
  const exists = await db.one(`SELECT 1 AS x FROM api_users WHERE username = $u`, {
    u: o.username,
  });
  if (exists) throw new AppError('usage', `user ${o.username} already exists`);
  await db.run(
    `INSERT INTO api_users (username, password_hash, role, created_at, disabled_at, jurisdiction)
     VALUES ($u, $h, $role, now(), NULL, $j)`,
    { u: o.username, h: await hashPassword(o.password), role: o.role, j: jurisdiction },
  );
}

/**
 * Checks a user's password and, when it matches, issues a session token valid for `ttlSeconds`
 * (default 12 h). Undefined when the user is unknown, disabled or the password is wrong.
 */
export async function login(
  db: Db,
  username: string,
  password: string,
  ttlSeconds = 12 * 3600,
  now = new Date(),
): Promise<CreatedToken | undefined> {
  const u = await db.one<{ password_hash: string; role: string; jurisdiction: string | null }>(
    `SELECT password_hash, role, jurisdiction FROM api_users WHERE username = $u AND disabled_at IS NULL`,
    { u: username },
  );
  // same work whether or not the user exists
  const ok = await checkPassword(password, u?.password_hash ?? DUMMY_HASH);
  if (!u || !ok) return undefined;
  return createToken(db, {
    name: `user:${username}`,
    role: u.role,
    ttlSeconds,
    now,
    jurisdiction: u.jurisdiction,
  });
}

const DUMMY_HASH = `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$AAAAAAAAAAAAAAAAAAAAAA==$${Buffer.alloc(32).toString('base64')}`;
