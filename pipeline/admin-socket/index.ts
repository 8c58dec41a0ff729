/**
 * The local admin socket: how the command line reaches a running `dafei serve` (which holds the
 * database lock) for administration — accounts, tokens, the audit log, and whatever verbs other
 * modules register. A Unix domain socket next to the database file (`<db>.admin.sock`, or
 * $DAFEI_ADMIN_SOCKET), created with mode 0600: only the OS account that runs the server (and
 * root) can connect, so reaching it is the credential, as owning the database file is.
 *
 * Protocol: one request per connection, one line of JSON each way.
 *   → {"verb": "user.create", "args": {...}, "actor": "cli:alice"}
 *   ← {"ok": true, "result": ...}  |  {"ok": false, "error": {"code": "usage", "message": "..."}}
 *
 * Adding a verb: `registry.add('backup.create', 'make a backup now', async (args, ctx) => …)` on
 * the registry the server is started with (api/admin.ts builds it); on the CLI side,
 * `callAdminSocket(path, 'backup.create', args)`, falling back to running the same handler on
 * the opened database when no server answers (see `runAdminVerb`).
 */
import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { userInfo } from 'node:os';
import { AppError, type ErrorCode } from '../errors.ts';

export type AdminHandler<C> = (args: Record<string, unknown>, ctx: C) => Promise<unknown>;

export interface AdminVerb<C> {
  name: string;
  summary: string;
  handler: AdminHandler<C>;
}

/** Verbs by name. `C` is what a handler gets (database, clock, audit…). */
export class AdminRegistry<C> {
  readonly #verbs = new Map<string, AdminVerb<C>>();
  add(name: string, summary: string, handler: AdminHandler<C>): this {
    if (this.#verbs.has(name)) throw new Error(`admin verb ${name} is registered twice`);
    this.#verbs.set(name, { name, summary, handler });
    return this;
  }
  get(name: string): AdminVerb<C> | undefined {
    return this.#verbs.get(name);
  }
  list(): AdminVerb<C>[] {
    return [...this.#verbs.values()];
  }
  /** Runs a verb; an unknown verb is a usage error. */
  async run(name: string, args: Record<string, unknown>, ctx: C): Promise<unknown> {
    const v = this.#verbs.get(name);
    if (!v)
      throw new AppError(
        'usage',
        `unknown admin verb '${name}' (known: ${[...this.#verbs.keys()].join(', ')})`,
      );
    return v.handler(args, ctx);
  }
}

export interface AdminRequest {
  verb: string;
  args: Record<string, unknown>;
  /** Who asked, as the CLI says (`cli:<OS user>`); the socket's mode is what authenticates. */
  actor: string;
}

export type AdminResponse =
  { ok: true; result: unknown } | { ok: false; error: { code: string; message: string } };

/** The socket of a database: the configured one ($DAFEI_ADMIN_SOCKET), else `<db path>.admin.sock`. */
export function adminSocketPath(dbPath: string, configured?: string | null): string | undefined {
  if (configured) return configured;
  if (dbPath === ':memory:') return undefined;
  return `${dbPath}.admin.sock`;
}

const MAX_LINE = 1024 * 1024;

export interface AdminSocketServer {
  path: string;
  close(): Promise<void>;
}

/**
 * Listens on `path` (mode 0600). A stale socket file left by a crashed server is replaced; a
 * live one (another server) is an error.
 */
export async function listenAdminSocket(
  path: string,
  dispatch: (req: AdminRequest) => Promise<unknown>,
  log: (message: string, err?: unknown) => void,
): Promise<AdminSocketServer> {
  if (existsSync(path)) {
    const live = await new Promise<boolean>((resolve) => {
      const s = createConnection(path);
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (live) throw new AppError('usage', `another server answers on the admin socket ${path}`);
    unlinkSync(path);
  }
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.setEncoding('utf8');
    let buf = '';
    let answered = false;
    const answer = (r: AdminResponse) => {
      if (answered) return;
      answered = true;
      socket.end(`${JSON.stringify(r)}\n`);
    };
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: string) => {
      buf += chunk;
      if (buf.length > MAX_LINE) {
        answer({ ok: false, error: { code: 'usage', message: 'request too large' } });
        return;
      }
      const nl = buf.indexOf('\n');
      if (nl < 0 || answered) return;
      let req: AdminRequest;
      try {
        const raw = JSON.parse(buf.slice(0, nl)) as Partial<AdminRequest>;
        if (typeof raw.verb !== 'string' || typeof raw.args !== 'object' || raw.args === null)
          throw new Error('verb and args are required');
        req = {
          verb: raw.verb,
          args: raw.args,
          actor: typeof raw.actor === 'string' ? raw.actor.slice(0, 100) : 'cli',
        };
      } catch (err) {
        answer({
          ok: false,
          error: { code: 'usage', message: `bad request: ${(err as Error).message}` },
        });
        return;
      }
      dispatch(req).then(
        (result) => answer({ ok: true, result: result ?? null }),
        (err: unknown) => {
          if (err instanceof AppError) {
            answer({ ok: false, error: { code: err.code, message: err.message } });
          } else {
            log(`admin verb ${req.verb} failed`, err);
            answer({
              ok: false,
              error: { code: 'internal', message: 'the server failed; the error is in its log' },
            });
          }
        },
      );
    });
  });
  const oldMask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
  } finally {
    process.umask(oldMask);
  }
  chmodSync(path, 0o600);
  return {
    path,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The actor the CLI names itself as. */
export function cliActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

/**
 * Sends one request to a running server. Resolves undefined when no server listens on `path`
 * (no socket file, or a stale one); throws AppError with the server's code when the verb fails.
 */
export async function callAdminSocket(
  path: string,
  verb: string,
  args: Record<string, unknown>,
  o: { timeoutMs?: number; actor?: string } = {},
): Promise<{ result: unknown } | undefined> {
  if (!existsSync(path)) return undefined;
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    socket.setEncoding('utf8');
    let buf = '';
    let connected = false;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new AppError('usage', `the server on ${path} did not answer in time`));
    }, o.timeoutMs ?? 30_000);
    socket.once('connect', () => {
      connected = true;
      socket.write(`${JSON.stringify({ verb, args, actor: o.actor ?? cliActor() })}\n`);
    });
    socket.on('data', (c: string) => (buf += c));
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (!connected && (err.code === 'ECONNREFUSED' || err.code === 'ENOENT')) resolve(undefined);
      else if (err.code === 'EACCES')
        reject(
          new AppError(
            'usage',
            `no permission to use the admin socket ${path} (run as the server's user)`,
          ),
        );
      else reject(new AppError('usage', `admin socket ${path}: ${err.message}`));
    });
    socket.once('end', () => {
      clearTimeout(timer);
      try {
        const r = JSON.parse(buf.trim()) as AdminResponse;
        if (r.ok) resolve({ result: r.result });
        else
          reject(
            new AppError(
              (['usage', 'not_found'].includes(r.error.code)
                ? r.error.code
                : 'db_failed') as ErrorCode,
              r.error.message,
            ),
          );
      } catch (err) {
        reject(new AppError('usage', `the admin socket answered nonsense: ${String(err)}`));
      }
    });
  });
}
