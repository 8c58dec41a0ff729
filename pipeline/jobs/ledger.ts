/**
 * The run ledger: every job run with start, end, status, counts and error. Statuses: queued (the
 * scheduler accepted it; started_at is when it was queued), running, ok, failed, held (a pull whose
 * batch waits for an admin), warning (a pull that moved an unreadable file aside). A run still
 * queued or running when no process runs it (the process died) is marked failed at the next start.
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

/** A ledger row for a job accepted but not started yet; its id is the job id. */
export async function queueRun(db: Db, job: string, target: string | null): Promise<number> {
  const r = await db.one<{ id: number }>(
    `INSERT INTO job_runs VALUES (nextval('job_run_seq'), $job, $target, now(), NULL, 'queued', NULL, NULL)
     RETURNING run_id::INTEGER AS id`,
    { job, target },
  );
  return r!.id;
}

async function startQueued(db: Db, runId: number): Promise<void> {
  await db.run(`UPDATE job_runs SET status = 'running', started_at = now() WHERE run_id = $id`, {
    id: runId,
  });
}

export async function finishRun(
  db: Db,
  runId: number,
  counts: unknown,
  status: 'ok' | 'held' | 'warning' = 'ok',
): Promise<void> {
  await db.run(
    `UPDATE job_runs SET finished_at = now(), status = $status, counts = $c::JSON WHERE run_id = $id`,
    {
      id: runId,
      status,
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
    `UPDATE job_runs SET finished_at = now(), status = 'failed',
       error = CASE status WHEN 'queued' THEN 'interrupted (the process stopped before the queued run started)'
                           ELSE 'interrupted (the process stopped before the run finished)' END
     WHERE status IN ('running', 'queued') RETURNING run_id::INTEGER AS id`,
  );
  return rows.length;
}

/**
 * Runs `fn` as a ledger entry (the queued row `runId`, or a new one): ok — or held, when `status`
 * says so — with its counts, or failed with its error (rethrown).
 */
export async function withLedger<T>(
  db: Db,
  job: string,
  target: string | null,
  fn: () => Promise<T>,
  counts?: (r: T) => unknown,
  runId?: number,
  status?: (r: T) => 'ok' | 'held' | 'warning',
): Promise<T> {
  let id = runId;
  if (id === undefined) id = await startRun(db, job, target);
  else await startQueued(db, id);
  try {
    const r = await fn();
    await finishRun(db, id, counts ? counts(r) : r, status ? status(r) : 'ok');
    return r;
  } catch (err) {
    await failRun(db, id, err);
    throw err;
  }
}

/** withLedger on the scheduler's queued row `runId` when there is one, else on a new row. */
export function withRunLedger<T>(
  db: Db,
  job: string,
  target: string | null,
  runId: number | undefined,
  fn: () => Promise<T>,
): Promise<T> {
  return withLedger(db, job, target, fn, undefined, runId);
}
