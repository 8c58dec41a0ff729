/** The run ledger and the quarantine, for operators. */
import type { Db } from '../db/index.ts';

export interface RunRow {
  run_id: number;
  job: string;
  target: string | null;
  started_at: string;
  finished_at: string | null;
  status: string;
  counts: unknown;
  error: string | null;
}

export async function listRuns(
  db: Db,
  o: { job?: string; status?: string; before?: number; limit: number },
): Promise<{ items: RunRow[]; has_more: boolean }> {
  const rows = await db.all<RunRow & { counts: string | null }>(
    `SELECT run_id::INTEGER AS run_id, job, target, started_at::VARCHAR AS started_at, finished_at::VARCHAR AS finished_at,
            status, counts::VARCHAR AS counts, error
     FROM job_runs
     WHERE ($job::VARCHAR IS NULL OR job = $job::VARCHAR) AND ($status::VARCHAR IS NULL OR status = $status::VARCHAR)
       AND ($before::BIGINT IS NULL OR run_id < $before::BIGINT)
     ORDER BY run_id DESC LIMIT $take`,
    { job: o.job ?? null, status: o.status ?? null, before: o.before ?? null, take: o.limit + 1 },
  );
  return {
    items: rows
      .slice(0, o.limit)
      .map((r) => ({ ...r, counts: r.counts ? (JSON.parse(r.counts) as unknown) : null })),
    has_more: rows.length > o.limit,
  };
}

export interface QuarantineRow {
  id: string;
  batch_id: number;
  feed: string;
  source: string;
  line_no: number;
  raw: string;
  reason: string;
  quarantined_at: string;
}

/** Quarantined records, newest batch first; keyset on (batch_id, line_no). */
export async function listQuarantine(
  db: Db,
  o: { feed?: string; batch?: number; after?: { batch: number; line: number }; limit: number },
): Promise<{ items: QuarantineRow[]; has_more: boolean }> {
  const rows = await db.all<QuarantineRow & Record<string, unknown>>(
    `SELECT batch_id || ':' || line_no AS id, batch_id::INTEGER AS batch_id, feed, source, line_no::INTEGER AS line_no,
            raw, reason, quarantined_at::VARCHAR AS quarantined_at
     FROM quarantine
     WHERE ($feed::VARCHAR IS NULL OR feed = $feed::VARCHAR) AND ($batch::BIGINT IS NULL OR batch_id = $batch::BIGINT)
       AND ($ab::BIGINT IS NULL OR batch_id < $ab::BIGINT OR (batch_id = $ab::BIGINT AND line_no > $al::BIGINT))
     ORDER BY batch_id DESC, line_no LIMIT $take`,
    {
      feed: o.feed ?? null,
      batch: o.batch ?? null,
      ab: o.after?.batch ?? null,
      al: o.after?.line ?? null,
      take: o.limit + 1,
    },
  );
  return { items: rows.slice(0, o.limit), has_more: rows.length > o.limit };
}
