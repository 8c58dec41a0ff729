/** The Node adapter: serves createApp() on 127.0.0.1 (by default) and returns a close function. */
import { serve, type ServerType } from '@hono/node-server';
import type { Db } from '../pipeline/db/index.ts';
import { loadConfig, type Config } from '../pipeline/config.ts';
import { createApp, type CreateAppOptions } from './app.ts';
import { startAdminSocket } from './admin.ts';

export interface StartServerOptions extends Omit<CreateAppOptions, 'config'> {
  db: Db;
  port?: number;
  host?: string;
  config?: Config;
  /** Build read models before listening (default true). */
  warm?: boolean;
  /** Serve the admin verbs on this Unix socket (mode 0600): the CLI's way in (api/admin.ts). */
  adminSocket?: string;
}

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startServer(o: StartServerOptions): Promise<RunningServer> {
  const config = o.config ?? loadConfig();
  const host = o.host ?? config.host ?? '127.0.0.1';
  const port = o.port ?? config.port;
  // the API's own connection: the scheduler's transactions on `o.db` stay invisible to it
  const own = await o.db.fork();
  const app = createApp({ ...o, db: own, config });
  // build the read models before the first request (seconds on a city, once per publish / ingest)
  if (o.warm !== false) {
    await app.dafei.deps.scores.warm();
    await app.dafei.deps.events.warm();
  }
  let server!: ServerType;
  // requests still running when close() is called (their sockets are gone, their queries not):
  // the pool is closed only when they are done, never under a running statement
  let inflight = 0;
  let onIdle: (() => void) | undefined;
  const fetch = async (req: Request, env: unknown): Promise<Response> => {
    inflight++;
    try {
      return await app.fetch(req, env);
    } finally {
      if (--inflight === 0) onIdle?.();
    }
  };

  const actualPort = await new Promise<number>((resolve, reject) => {
    server = serve({ fetch, port, hostname: host }, (info) => resolve(info.port));
    server.once('error', reject);
  });
  // keep-alive connections must not keep close() waiting for minutes
  if ('keepAliveTimeout' in server) server.keepAliveTimeout = 5_000;
  let admin: Awaited<ReturnType<typeof startAdminSocket>> | undefined;
  try {
    admin = o.adminSocket ? await startAdminSocket(app.dafei.deps, o.adminSocket) : undefined;
  } catch (err) {
    server.close();
    app.dafei.deps.db.close();
    throw err;
  }
  return {
    url: `http://${host}:${actualPort}`,
    port: actualPort,
    close: async () => {
      await admin?.close();
      return new Promise<void>((resolve, reject) => {
        if ('closeAllConnections' in server) server.closeAllConnections();
        server.close((err) => {
          const done = () => {
            // the audit entries still in the journal go into audit_log before the pool closes
            void app.dafei.deps.audit
              .close()
              .catch((e: unknown) => app.dafei.deps.log('closing the audit journal failed', e))
              .finally(() => {
                app.dafei.deps.db.close(); // the pool: its forks and `own`
                if (err) reject(err);
                else resolve();
              });
          };
          if (inflight === 0) done();
          else {
            const timer = setTimeout(done, 5_000); // a request stuck for 5 s does not hold up close
            onIdle = () => {
              clearTimeout(timer);
              done();
            };
          }
        });
      });
    },
  };
}
