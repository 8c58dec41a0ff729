/**
 * The run ledger: every job run with start, end, status, counts and error. A run still marked
 * 'running' when no process runs it (the process died) is marked failed at the next start.
 */
import type { Db } from '../db/index.ts';

export async function startRun(db: Db, job: string, target: string | null): Promise<number> {
  const r = await db.one<{ id: number }>(
    `INSERT INTO job_runs VALUES (nextval('job_run_seq'), $job, $target, now(), NULL, 'running', NULL, NULL)
     RETURNING run_id::INTEGER AS id`,
    { job, target },
  );
  return r!.id;
}

export async function finishRun(db: Db, runId: number, counts: unknown): Promise<void> {
  await db.run(
    `UPDATE job_runs SET finished_at = now(), status = 'ok', counts = $c::JSON WHERE run_id = $id`,
    {
      id: runId,
      c: JSON.stringify(counts ?? null),
    },
  );
}

export async function failRun(db: Db, runId: number, err: unknown): Promise<void> {
  await db.run(
    `UPDATE job_runs SET finished_at = now(), status = 'failed', error = $e WHERE run_id = $id`,
    {
      id: runId,
      e: err instanceof Error ? err.message : String(err),
    },
  );
}

/** Marks runs left 'running' by a process that is gone. Call once when a process opens the DB. */
export async function markInterrupted(db: Db): Promise<number> {
  const rows = await db.all<{ id: number }>(
    `UPDATE job_runs SET finished_at = now(), status = 'failed', error = 'interrupted (the process stopped before the run finished)'
     WHERE status = 'running' RETURNING run_id::INTEGER AS id`,
  );
  return rows.length;
}

/** Runs `fn` as a ledger entry: ok with its counts, or failed with its error (rethrown). */
export async function withLedger<T>(
  db: Db,
  job: string,
  target: string | null,
  fn: () => Promise<T>,
  counts?: (r: T) => unknown,
): Promise<T> {
  const id = await startRun(db, job, target);
  try {
    const r = await fn();
    await finishRun(db, id, counts ? counts(r) : r);
    return r;
  } catch (err) {
    await failRun(db, id, err);
    throw err;
  }
}
