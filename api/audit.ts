/** Writes one audit-log entry for the current caller. Awaited: the response waits for the entry. */
import type { Context } from 'hono';
import { writeAudit } from '../pipeline/queries/index.ts';
import type { AppEnv } from './context.ts';

export async function audit(
  c: Context<AppEnv>,
  action: string,
  target: string | null,
  detail?: Record<string, unknown> & { status?: number },
): Promise<void> {
  const deps = c.get('deps');
  const p = c.get('principal');
  const { status, ...rest } = detail ?? {};
  await writeAudit(deps.db, {
    actor: p?.name ?? 'anonymous',
    role: p?.role ?? null,
    action,
    target,
    ...(status === undefined ? {} : { status }),
    ...(Object.keys(rest).length > 0 ? { detail: rest } : {}),
    at: deps.now(),
  });
}
