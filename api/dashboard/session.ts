/**
 * Dashboard sessions. The session cookie holds the caller's API bearer token (an API token pasted
 * at login, or the session token that POST /v1/auth/login issues for a user name and password):
 * HttpOnly, SameSite=Strict, Path=/, and Secure when the config's public URL is https or a
 * trusted proxy says the client came over https. Sessions are verified by the API's token
 * verifier, so the idle timeout, logout, revocation and a disabled user end them at once. Every
 * page asks the API with that token, so the API's role rules, redaction and audit apply
 * unchanged. Forms carry a CSRF token derived from the session.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { verifyToken, type Principal } from '../../pipeline/auth/index.ts';
import type { Db } from '../../pipeline/db/index.ts';

export const SESSION_COOKIE = 'dafei_session';
/** Cookie lifetime by default (the token may expire earlier: then the user logs in again). */
export const SESSION_MAX_AGE = 12 * 3600;

/** How sessions are checked and how the cookie is set (from the app's deps and config). */
export interface SessionOptions {
  /** The API's token verifier (idle timeout, revocation at once); else a plain lookup. */
  verify?: (token: string) => Promise<Principal | undefined>;
  /** Secure cookie: the public URL is https. */
  secure?: boolean;
  maxAgeSeconds?: number;
}

export interface Session {
  token: string;
  principal: Principal;
  csrf: string;
}

export function csrfFor(token: string): string {
  return createHash('sha256')
    .update(`dafei-csrf\u0000${token}`, 'utf8')
    .digest('base64url')
    .slice(0, 32);
}

export function checkCsrf(session: Session, presented: unknown): boolean {
  if (typeof presented !== 'string' || presented.length !== session.csrf.length) return false;
  return timingSafeEqual(Buffer.from(presented), Buffer.from(session.csrf));
}

export async function readSession(
  c: Context,
  db: Db,
  now: Date,
  o: SessionOptions = {},
): Promise<Session | undefined> {
  const token = getCookie(c, SESSION_COOKIE);
  if (!token || token.length > 200) return undefined;
  const principal = o.verify ? await o.verify(token) : await verifyToken(db, token, now);
  if (!principal) return undefined;
  return { token, principal, csrf: csrfFor(token) };
}

export function startSession(c: Context, token: string, o: SessionOptions = {}): void {
  const viaHttps =
    new URL(c.req.url).protocol === 'https:' ||
    (c.get('client' as never) as { https?: boolean } | undefined)?.https === true;
  setCookie(c, SESSION_COOKIE, token, {
    path: '/',
    httpOnly: true,
    sameSite: 'Strict',
    secure: o.secure === true || viaHttps,
    maxAge: o.maxAgeSeconds ?? SESSION_MAX_AGE,
  });
}

export function endSession(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: '/' });
}
