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
import { refreshAhead, type RefreshAhead } from '../pipeline/refresh-ahead.ts';
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
  // one refresh-ahead value per token hash: dropping the map (invalidate) drops every lookup in
  // flight with it, so nothing started before a revocation is remembered after it
  const cache = new Map<string, RefreshAhead<VerifiedToken | undefined>>();
  // lookups of dropped entries still running (settled() waits for them too)
  const draining = new Set<Promise<void>>();
  const dropAll = () => {
    for (const e of cache.values()) {
      const p = e.settled();
      draining.add(p);
      void p.then(() => draining.delete(p));
    }
    cache.clear();
  };
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
    invalidate: dropAll,
    async settled() {
      await Promise.all([...draining, ...[...cache.values()].map((e) => e.settled())]);
    },
    async verify(token) {
      const now = o.now().getTime();
      const key = hashToken(token);
      let entry = cache.get(key);
      if (!entry) {
        if (cache.size >= CACHE_MAX) dropAll();
        // requests arriving while the token is looked up share the lookup; from ¾ of CACHE_MS on
        // it is looked up again in the background, so a busy token never waits for its lookup
        entry = refreshAhead(() => lookupToken(db, token, o.now()), {
          ttlMs: CACHE_MS,
          now: () => o.now().getTime(),
          onError: (err) => o.log('looking up a token again failed', err),
        });
        cache.set(key, entry);
      }
      const v = await entry.get();
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
