/**
 * Who is asking, for the audit log and for transport security: the client's address (the
 * socket's, or — when the socket is a trusted proxy named in the config — the last address in
 * X-Forwarded-For that is not itself a trusted proxy), the user agent, a request id (a trusted
 * proxy's X-Request-Id, else a new one), and whether the client reached us over https (the
 * request URL, or a trusted proxy's X-Forwarded-Proto).
 *
 * The dashboard calls the API in process: it passes the outer request's ClientInfo in the
 * request's env (INNER_CLIENT), which no outside client can set.
 */
import { randomUUID } from 'node:crypto';
import type { ClientInfo } from './context.ts';

export const INNER_CLIENT = Symbol.for('dafei.innerClient');

function socketAddress(env: unknown): string | null {
  const incoming = (env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)
    ?.incoming;
  const a = incoming?.socket?.remoteAddress;
  return a ? a.replace(/^::ffff:/, '') : null;
}

const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,100}$/;

/** `env`: the request's env (Hono's c.env); `req`: the request (c.req.raw). */
export function clientInfo(
  env: unknown,
  req: Request,
  trustedProxies: readonly string[],
): ClientInfo {
  const inner = (env as Record<symbol, ClientInfo> | undefined)?.[INNER_CLIENT];
  if (inner) return inner;
  const socket = socketAddress(env);
  const trusted = socket !== null && trustedProxies.includes(socket);
  let ip = socket;
  let https = req.url.startsWith('https:');
  let requestId: string | undefined;
  if (trusted) {
    const hops = (req.headers.get('x-forwarded-for') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    for (let i = hops.length - 1; i >= 0; i--) {
      ip = hops[i]!;
      if (!trustedProxies.includes(ip)) break;
    }
    const proto = req.headers.get('x-forwarded-proto');
    if (proto) https = proto.split(',')[0]!.trim().toLowerCase() === 'https';
    const rid = req.headers.get('x-request-id');
    if (rid && REQUEST_ID_RE.test(rid)) requestId = rid;
  }
  return {
    ip,
    userAgent: req.headers.get('user-agent')?.slice(0, 300) ?? null,
    requestId: requestId ?? randomUUID(),
    https,
  };
}
