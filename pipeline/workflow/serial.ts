/**
 * One writer at a time per enterprise's workflow. Two layers:
 *   - in this process, changes to one enterprise queue behind each other (a keyed lock per Db), so
 *     every change sees the one before it and checks the state it really changes;
 *   - in the database, every change bumps the enterprise's row in `workflow_heads` in the same
 *     transaction. Two writers that both start from version v (another process, another
 *     connection) cannot both commit: DuckDB refuses the second write of the row, which ends here
 *     as a WorkflowConflict (HTTP 409) and rolls the whole change back.
 */
import type { Db } from '../db/index.ts';
import { AppError } from '../errors.ts';

export class WorkflowConflict extends AppError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('conflict', message, options);
  }
}

export class WorkflowForbidden extends AppError {
  constructor(message: string) {
    super('forbidden', message);
  }
}

const locks = new WeakMap<object, Map<string, Promise<unknown>>>();

/** Runs `fn` after every earlier call for the same (db, key) has settled. */
async function queued<T>(db: object, key: string, fn: () => Promise<T>): Promise<T> {
  let perDb = locks.get(db);
  if (!perDb) locks.set(db, (perDb = new Map<string, Promise<unknown>>()));
  const before = perDb.get(key) ?? Promise.resolve();
  const run = before.then(fn, fn);
  const tail = run.catch(() => undefined);
  perDb.set(key, tail);
  try {
    return await run;
  } finally {
    if (perDb.get(key) === tail) perDb.delete(key);
  }
}

function isWriteConflict(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause)
    if (/conflict|duplicate key|constraint/i.test(e.message)) return true;
  return false;
}

/**
 * Runs `fn` in one transaction as the only writer of `uscc`'s workflow, and bumps its version.
 * A concurrent writer elsewhere makes it fail with WorkflowConflict, with nothing written.
 */
export function changeWorkflow<T>(db: Db, uscc: string, fn: (tx: Db) => Promise<T>): Promise<T> {
  return queued(db, uscc, async () => {
    try {
      return await db.transaction(async (tx) => {
        const head = await tx.one<{ version: number }>(
          `SELECT version::INTEGER AS version FROM workflow_heads WHERE uscc = $u`,
          { u: uscc },
        );
        const out = await fn(tx);
        if (head === undefined) {
          await tx.run(`INSERT INTO workflow_heads VALUES ($u, 1)`, { u: uscc });
        } else {
          const bumped = await tx.one<{ version: number }>(
            `UPDATE workflow_heads SET version = version + 1 WHERE uscc = $u AND version = $v
             RETURNING version::INTEGER AS version`,
            { u: uscc, v: head.version },
          );
          if (!bumped)
            throw new WorkflowConflict(`${uscc} was changed meanwhile; reload and retry`);
        }
        return out;
      });
    } catch (err) {
      if (err instanceof AppError && err.code !== 'db_failed') throw err;
      if (isWriteConflict(err))
        throw new WorkflowConflict(
          `${uscc} was changed by another writer at the same time; reload and retry`,
          { cause: err },
        );
      throw err;
    }
  });
}
