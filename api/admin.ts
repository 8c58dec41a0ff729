/**
 * Administration verbs (pipeline/auth/admin-verbs.ts, and any other module's) bound to a running
 * app: the admin routes call them with the HTTP caller as actor, the admin socket with the CLI's.
 * Both write their audit entries through the app's group-committing writer and invalidate the
 * app's token cache, so a revocation from the CLI takes effect at once.
 */
import type { AdminRegistry, AdminSocketServer } from '../pipeline/admin-socket/index.ts';
import { listenAdminSocket } from '../pipeline/admin-socket/index.ts';
import { accountVerbs, type AdminContext } from '../pipeline/auth/index.ts';
import { registerOpsVerbs } from '../pipeline/ops/index.ts';
import type { AppDeps, ClientInfo } from './context.ts';

/** The verbs a server offers on its admin socket. Other modules add theirs here. */
export function adminRegistry(
  deps?: Pick<AppDeps, 'config' | 'exclusive'>,
): AdminRegistry<AdminContext> {
  const registry = accountVerbs();
  // backups, held batches, db stats and retention (pipeline/ops); writes between scheduled jobs
  if (deps)
    registerOpsVerbs(registry, {
      config: deps.config,
      ...(deps.exclusive ? { exclusive: deps.exclusive } : {}),
    });
  return registry;
}

export function adminContext(
  deps: AppDeps,
  actor: string,
  role: string | null,
  client?: ClientInfo,
): AdminContext {
  return {
    db: deps.db,
    now: deps.now,
    actor,
    role,
    security: deps.config.security,
    audit: (e) =>
      deps.audit.write({
        ...e,
        actor,
        role,
        at: deps.now(),
        clientIp: client?.ip ?? null,
        userAgent: client?.userAgent ?? null,
        requestId: client?.requestId ?? null,
      }),
    invalidateTokens: () => deps.tokens.invalidate(),
    flushAudit: () => deps.audit.flush(),
  };
}

/** Serves the registry on a Unix socket (mode 0600) for the CLI. */
export function startAdminSocket(
  deps: AppDeps,
  path: string,
  registry = adminRegistry(deps),
): Promise<AdminSocketServer> {
  return listenAdminSocket(
    path,
    (req) => registry.run(req.verb, req.args, adminContext(deps, req.actor, 'admin')),
    deps.log,
  );
}
