/**
 * The admin socket: how the command line reaches a running `dafei serve`. DuckDB lets one process
 * open a database file, so while the server holds it, `dafei backup`, `dafei held …` and
 * `dafei db …` ask the server to do the work, over a Unix socket beside the database file.
 *
 * - Where: `<database>.sock` (or, when that path is too long for a socket, a name derived from it
 *   in /tmp), created by the server with mode 0600: only the user that runs the server (and root)
 *   can connect, the same people who can read the database file itself.
 * - Protocol: one request per connection, one JSON line each way:
 *   `{"op": "backup", "args": {…}}` → `{"ok": true, "result": …}` or
 *   `{"ok": false, "error": {"code", "message"}}`.
 * - A stale socket file (its server died) is replaced when the next server starts.
 */
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { resolve } from 'node:path';
import { AppError, type ErrorCode } from '../errors.ts';

/** Socket paths longer than this do not fit in sockaddr_un on every system. */
const MAX_SOCKET_PATH = 100;

export function adminSocketPath(dbPath: string): string {
  const abs = resolve(dbPath);
  const beside = `${abs}.sock`;
  if (beside.length <= MAX_SOCKET_PATH) return beside;
  return `/tmp/dafei-${createHash('sha256').update(abs).digest('hex').slice(0, 16)}.sock`;
}

export type AdminHandler = (args: Record<string, unknown>) => Promise<unknown>;

export interface AdminSocket {
  path: string;
  close(): Promise<void>;
}

function send(socket: Socket, body: unknown): void {
  socket.end(`${JSON.stringify(body)}\n`);
}

/** Reads one newline-terminated JSON value from the socket (requests are small). */
function readLine(socket: Socket, max = 1 << 20): Promise<unknown> {
  return new Promise((resolveLine, reject) => {
    let buf = '';
    socket.setEncoding('utf8');
    const onData = (d: string) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl !== -1) {
        socket.off('data', onData);
        try {
          resolveLine(JSON.parse(buf.slice(0, nl)));
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      } else if (buf.length > max) {
        socket.destroy();
        reject(new Error('request too long'));
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.once('end', () => reject(new Error('the connection closed before a whole message')));
  });
}

async function isLive(path: string): Promise<boolean> {
  return new Promise((res) => {
    const c = createConnection(path);
    c.once('connect', () => (c.destroy(), res(true)));
    c.once('error', () => res(false));
  });
}

/** Starts the admin socket of the database at `dbPath`, answering with `handlers`. */
export async function startAdminSocket(
  dbPath: string,
  handlers: Record<string, AdminHandler>,
  log: (line: string) => void = () => {},
): Promise<AdminSocket> {
  const path = adminSocketPath(dbPath);
  if (existsSync(path)) {
    if (await isLive(path)) {
      throw new AppError('conflict', `another server already answers on ${path}`);
    }
    rmSync(path, { force: true }); // stale: its server is gone
  }
  const server: Server = createServer((socket) => {
    readLine(socket)
      .then(async (req) => {
        const { op, args } = (req ?? {}) as { op?: unknown; args?: unknown };
        const handler = typeof op === 'string' ? handlers[op] : undefined;
        if (!handler) {
          send(socket, {
            ok: false,
            error: { code: 'usage', message: `unknown operation ${String(op)}` },
          });
          return;
        }
        try {
          const result = await handler((args ?? {}) as Record<string, unknown>);
          send(socket, { ok: true, result: result ?? null });
        } catch (err) {
          const code = err instanceof AppError ? err.code : 'db_failed';
          if (!(err instanceof AppError))
            log(`[admin] ${String(op)} failed: ${(err as Error).stack ?? String(err)}`);
          send(socket, { ok: false, error: { code, message: (err as Error).message } });
        }
      })
      .catch(() => socket.destroy());
  });
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(path, () => res());
  });
  chmodSync(path, 0o600);
  return {
    path,
    close: () =>
      new Promise<void>((res) => {
        server.close(() => res());
        rmSync(path, { force: true });
      }),
  };
}

/**
 * Asks the server holding `dbPath` to run `op`. Returns `{ served: false }` when no server
 * answers (no socket, or a stale one); the server's own errors are thrown as AppErrors.
 */
export async function callAdmin<T>(
  dbPath: string,
  op: string,
  args: Record<string, unknown> = {},
): Promise<{ served: true; result: T } | { served: false }> {
  const path = adminSocketPath(dbPath);
  if (!existsSync(path)) return { served: false };
  let socket: Socket;
  try {
    socket = await new Promise<Socket>((res, rej) => {
      const c = createConnection(path);
      c.once('connect', () => res(c));
      c.once('error', rej);
    });
  } catch {
    return { served: false };
  }
  socket.write(`${JSON.stringify({ op, args })}\n`);
  let reply: { ok: boolean; result?: T; error?: { code: ErrorCode; message: string } };
  try {
    reply = (await readLine(socket)) as typeof reply;
  } catch (err) {
    throw new AppError(
      'db_failed',
      `the server stopped answering during ${op}: ${(err as Error).message}`,
    );
  } finally {
    socket.destroy();
  }
  if (!reply.ok)
    throw new AppError(reply.error?.code ?? 'db_failed', reply.error?.message ?? 'failed');
  return { served: true, result: reply.result as T };
}
