/**
 * The audit log writer. Entries are group-committed: the entries of all requests that arrive
 * while a write is in flight go into the next single INSERT, and each request's response waits
 * until its own entry is written (nothing is answered before it is on record). An idle writer
 * starts its write on the next turn of the event loop, so that a burst of requests handled in one
 * turn shares one INSERT (each waits for one commit, not for the first request's and then its own).
 */
import type { Context } from 'hono';
import type { Db } from '../pipeline/db/index.ts';
import { writeAudits, type AuditEntry } from '../pipeline/queries/index.ts';
import type { AppEnv } from './context.ts';

export interface AuditWriter {
  write(e: AuditEntry): Promise<void>;
}

/** At most this many entries per INSERT. */
const MAX_BATCH = 200;

export function createAuditWriter(db: Db): AuditWriter {
  let pending: { e: AuditEntry; done: () => void; fail: (err: unknown) => void }[] = [];
  let running = false;
  const drain = async (): Promise<void> => {
    while (pending.length > 0) {
      const batch = pending.slice(0, MAX_BATCH);
      pending = pending.slice(batch.length);
      try {
        await writeAudits(
          db,
          batch.map((b) => b.e),
        );
        for (const b of batch) b.done();
      } catch (err) {
        for (const b of batch) b.fail(err);
      }
    }
    running = false;
  };
  return {
    write(e) {
      return new Promise<void>((done, fail) => {
        pending.push({ e, done, fail });
        if (!running) {
          running = true;
          // the first write starts after the requests read in the same turn of the event loop
          // have queued theirs (a burst of requests becomes one INSERT, not one and then the rest)
          setImmediate(() => void drain());
        }
      });
    },
  };
}

export async function audit(
  c: Context<AppEnv>,
  action: string,
  target: string | null,
  detail?: Record<string, unknown> & { status?: number },
): Promise<void> {
  const deps = c.get('deps');
  const p = c.get('principal');
  const client = c.get('client');
  const { status, ...rest } = detail ?? {};
  await deps.audit.write({
    clientIp: client?.ip ?? null,
    userAgent: client?.userAgent ?? null,
    requestId: client?.requestId ?? null,
    actor: p?.name ?? 'anonymous',
    role: p?.role ?? null,
    action,
    target,
    ...(status === undefined ? {} : { status }),
    ...(Object.keys(rest).length > 0 ? { detail: rest } : {}),
    at: deps.now(),
  });
}
