/**
 * Bearer-token authentication. Tokens are looked up by sha256 (pipeline/auth); a lookup is
 * remembered for CACHE_MS so that a busy dashboard does not hash-and-query on every request, and
 * looked up again in the background from ¾ of that age on, so that a busy token never waits.
 * Whatever ends a token in this process — logout, revoke, disable, password change or reset,
 * through the API, the dashboard or the admin socket — calls `invalidate()`, so it stops at once;
 * expiry is checked on every request against the remembered expiry.
 *
 * Sessions (tokens a login issued) also end after `idleSeconds` without a request. The last use
 * is kept in memory and written to api_tokens.last_used_at at most once a minute per token.
 */
import type { Context } from 'hono';
import {
  hashToken,
  lookupToken,
  revokeToken,
  touchTokens,
  type Principal,
  type VerifiedToken,
} from '../pipeline/auth/index.ts';
import type { Db } from '../pipeline/db/index.ts';
import { ApiError } from './errors.ts';
import type { AppEnv } from './context.ts';

const CACHE_MS = 5_000;
const CACHE_MAX = 1_000;
/** last_used_at is written at most this often per token. */
const TOUCH_MS = 60_000;

export interface TokenVerifier {
  /** The principal of a presented token, or undefined (unknown, revoked, expired, idle, disabled). */
  verify(token: string): Promise<Principal | undefined>;
  /** Forget every remembered lookup (after a revocation, a disable, a password change). */
  invalidate(): void;
  /** Waits for the lookups running in the background (tests). */
  settled(): Promise<void>;
}

export interface TokenVerifierOptions {
  now: () => Date;
  idleSeconds: number;
  log: (message: string, err?: unknown) => void;
  /** Called when a session ends for being idle (audit). */
  onIdle?: (p: Principal) => Promise<void>;
}

export function createTokenVerifier(db: Db, o: TokenVerifierOptions): TokenVerifier {
  const cache = new Map<
    string,
    { p: Promise<VerifiedToken | undefined>; until: number; refreshing?: true }
  >();
  // invalidate() counts up: a lookup started before it must not be remembered after it
  let generation = 0;
  const background = new Set<Promise<unknown>>();
  const lastUse = new Map<number, number>();
  const persisted = new Map<number, number>();
  // awaited by the request that does it (once a minute per token): no statement is left running
  // in the background when the database is closed
  const touch = async (id: number, at: number) => {
    persisted.set(id, at);
    try {
      await touchTokens(db, [[id, new Date(at)]]);
    } catch (err) {
      o.log('recording the last use of a token failed', err);
    }
  };
  return {
    invalidate() {
      cache.clear();
      generation++;
    },
    async settled() {
      await Promise.allSettled([...background]);
    },
    async verify(token) {
      const now = o.now().getTime();
      const key = hashToken(token);
      let hit = cache.get(key);
      if (!hit || hit.until <= now) {
        // remembered as a promise: requests arriving while the token is verified share the lookup
        const entry = { p: lookupToken(db, token, new Date(now)), until: now + CACHE_MS };
        entry.p.catch(() => {
          if (cache.get(key) === entry) cache.delete(key);
        });
        if (cache.size >= CACHE_MAX) cache.clear();
        cache.set(key, entry);
        hit = entry;
      } else if (hit.until - now <= CACHE_MS / 4 && !hit.refreshing) {
        // from ¾ of its age on, looked up again in the background: a busy token never waits for
        // its lookup, and what it answers is still at most CACHE_MS old
        const old = hit;
        old.refreshing = true;
        const g = generation;
        const next = { p: lookupToken(db, token, new Date(now)), until: now + CACHE_MS };
        const done = next.p.then(
          () => {
            if (g === generation && cache.get(key) === old) cache.set(key, next);
          },
          (err: unknown) => {
            delete old.refreshing;
            o.log('looking up a token again failed', err);
          },
        );
        background.add(done);
        void done.then(() => background.delete(done));
      }
      const v = await hit.p;
      if (!v) return undefined;
      if (v.expiresAt !== null && v.expiresAt.getTime() <= now) return undefined;
      const id = v.principal.tokenId;
      if (v.principal.kind === 'session') {
        const last = Math.max(
          lastUse.get(id) ?? 0,
          v.lastUsedAt?.getTime() ?? 0,
          v.createdAt.getTime(),
        );
        if (now - last > o.idleSeconds * 1000) {
          cache.delete(key);
          lastUse.delete(id);
          await revokeToken(db, id, new Date(now), 'idle timeout');
          await o.onIdle?.(v.principal);
          return undefined;
        }
      }
      lastUse.set(id, now);
      if (lastUse.size > 100_000) lastUse.clear();
      const written = persisted.get(id) ?? v.lastUsedAt?.getTime() ?? 0;
      if (now - written >= TOUCH_MS) await touch(id, now);
      return v.principal;
    },
  };
}

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
  const p = await c.get('deps').tokens.verify(m[1]!);
  if (!p) throw new ApiError('unauthorized', 'the bearer token is unknown, revoked or expired');
  c.set('principal', p);
  return p;
}

/** Forgets remembered tokens (tests, after a revocation behind the app's back). */
export function clearTokenCache(deps: { tokens: TokenVerifier }): void {
  deps.tokens.invalidate();
}
