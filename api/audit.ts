/**
 * The audit log writer. Entries are group-committed: the entries of all requests that arrive
 * while a write is in flight are written together, and each request's response waits until its
 * own entry is on record (nothing is answered before it is). An idle writer starts its write on
 * the next turn of the event loop, so that a burst of requests handled in one turn shares one
 * write. For a database file, "on record" is the audit journal (pipeline/queries/audit-journal.ts):
 * an entry is written into it (safe from a crash of this process), and the entry of a request that
 * changes something also waits for fdatasync (safe from a power cut; a read's entry reaches the
 * disk within the journal's sync interval); the journal's lines move into audit_log in the
 * background. For an in-memory database, which keeps nothing on disk, it is the INSERT into
 * audit_log itself.
 */
import type { Context } from 'hono';
import type { Db } from '../pipeline/db/index.ts';
import {
  journalled,
  openAuditJournal,
  writeAudits,
  type AuditEntry,
  type AuditJournalOptions,
} from '../pipeline/queries/index.ts';
import type { AppEnv } from './context.ts';

export interface AuditWriter {
  /**
   * Resolves when `e` is on record. `sync: false` (reads) does not wait for fdatasync of the
   * journal; the default does.
   */
  write(e: AuditEntry, o?: { sync?: boolean }): Promise<void>;
  /** Resolves when every entry written so far is in audit_log (before reading it). */
  flush(): Promise<void>;
  /** Flushes and stops; writes after close() fail. */
  close(): Promise<void>;
}

/** At most this many entries per write. */
const MAX_BATCH = 200;

export function createAuditWriter(db: Db, o: AuditJournalOptions = {}): AuditWriter {
  const journal = journalled(db) ? openAuditJournal(db, o) : undefined;
  const put = (entries: AuditEntry[]): Promise<void> | void =>
    journal ? journal.append(entries) : writeAudits(db, entries);
  let pending: {
    e: AuditEntry;
    sync: boolean;
    done: () => void;
    fail: (err: unknown) => void;
  }[] = [];
  let running = false;
  const drain = async (): Promise<void> => {
    while (pending.length > 0) {
      const batch = pending.slice(0, MAX_BATCH);
      pending = pending.slice(batch.length);
      try {
        await put(batch.map((b) => b.e));
      } catch (err) {
        for (const b of batch) b.fail(err);
        continue;
      }
      const synced = batch.filter((b) => b.sync);
      for (const b of batch) if (!b.sync) b.done();
      // waiting for the disk does not hold up the next batch's write (nor its reads' answers)
      if (journal && synced.length > 0)
        journal.sync().then(
          () => synced.forEach((b) => b.done()),
          (err: unknown) => synced.forEach((b) => b.fail(err)),
        );
      else for (const b of synced) b.done();
    }
    running = false;
  };
  return {
    write(e, { sync = true } = {}) {
      return new Promise<void>((done, fail) => {
        pending.push({ e, sync, done, fail });
        if (!running) {
          running = true;
          // the first write starts after the requests read in the same turn of the event loop
          // have queued theirs (a burst of requests becomes one write, not one and then the rest)
          setImmediate(() => void drain());
        }
      });
    },
    flush: async () => {
      await journal?.flush();
    },
    close: async () => {
      await journal?.close();
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
  // a read's entry need not wait for the disk (audit-journal.ts: within its sync interval)
  const read = c.req.method === 'GET' || c.req.method === 'HEAD';
  await deps.audit.write(
    {
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
    },
    { sync: !read },
  );
}
