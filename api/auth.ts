/**
 * Bearer-token authentication. Tokens are looked up by sha256 (pipeline/auth); a verified token is
 * remembered for CACHE_MS so that a busy dashboard does not hash-and-query on every request — a
 * revoked token therefore stops working within CACHE_MS (5 s).
 */
import type { Context } from 'hono';
import { hashToken, verifyToken, type Principal } from '../pipeline/auth/index.ts';
import { ApiError } from './errors.ts';
import type { AppEnv } from './context.ts';

const CACHE_MS = 5_000;
const CACHE_MAX = 1_000;
const cache = new WeakMap<
  object,
  Map<string, { p: Promise<Principal | undefined>; until: number }>
>();

export async function authenticate(c: Context<AppEnv>): Promise<Principal> {
  const known = c.get('principal');
  if (known) return known;
  const header = c.req.header('authorization') ?? '';
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) {
    throw new ApiError(
      'unauthorized',
      'this route needs a bearer token: Authorization: Bearer <token>',
    );
  }
  const deps = c.get('deps');
  const token = m[1]!;
  const now = deps.now();
  let perDb = cache.get(deps.db);
  if (!perDb) {
    perDb = new Map();
    cache.set(deps.db, perDb);
  }
  const key = hashToken(token);
  let hit = perDb.get(key);
  if (!hit || hit.until <= now.getTime()) {
    // remembered as a promise: requests arriving while the token is verified share the lookup
    const entry = { p: verifyToken(deps.db, token, now), until: now.getTime() + CACHE_MS };
    entry.p.catch(() => {
      if (perDb.get(key) === entry) perDb.delete(key);
    });
    if (perDb.size >= CACHE_MAX) perDb.clear();
    perDb.set(key, entry);
    hit = entry;
  }
  const p = await hit.p;
  if (!p) throw new ApiError('unauthorized', 'the bearer token is unknown, revoked or expired');
  c.set('principal', p);
  return p;
}

/** Forgets remembered tokens (tests, after a revocation in the same process). */
export function clearTokenCache(db: object): void {
  cache.delete(db);
}
