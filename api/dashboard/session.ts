/**
 * Dashboard sessions. The session cookie holds the caller's API bearer token (an API token pasted
 * at login, or the 12-hour token that POST /v1/auth/login issues for a user name and password):
 * HttpOnly, SameSite=Strict, Path=/. Every page asks the API with that token, so the API's role
 * rules, redaction and audit apply unchanged. Forms carry a CSRF token derived from the session.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { verifyToken, type Principal } from '../../pipeline/auth/index.ts';
import type { Db } from '../../pipeline/db/index.ts';

export const SESSION_COOKIE = 'dafei_session';
/** Cookie lifetime (the token may expire earlier: then the user logs in again). */
export const SESSION_MAX_AGE = 12 * 3600;

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

export async function readSession(c: Context, db: Db, now: Date): Promise<Session | undefined> {
  const token = getCookie(c, SESSION_COOKIE);
  if (!token || token.length > 200) return undefined;
  const principal = await verifyToken(db, token, now);
  if (!principal) return undefined;
  return { token, principal, csrf: csrfFor(token) };
}

export function startSession(c: Context, token: string): void {
  const secure = new URL(c.req.url).protocol === 'https:';
  setCookie(c, SESSION_COOKIE, token, {
    path: '/',
    httpOnly: true,
    sameSite: 'Strict',
    secure,
    maxAge: SESSION_MAX_AGE,
  });
}

export function endSession(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: '/' });
}
