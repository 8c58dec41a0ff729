/** The run ledger and the quarantine, for operators. */
import { z } from 'zod';
import type { Db } from '../db/index.ts';

export const RunRow = z
  .object({
    run_id: z.number().int(),
    job: z.string(),
    target: z.string().nullable(),
    started_at: z.string(),
    finished_at: z.string().nullable(),
    status: z.enum(['queued', 'running', 'ok', 'failed', 'held', 'warning']).meta({
      description: 'held: a batch waits for an admin; warning: a file was moved aside',
    }),
    counts: z
      .record(z.string(), z.unknown())
      .nullable()
      .meta({ description: "the job's own counts (each job names its own), null while running" }),
    error: z.string().nullable(),
  })
  .meta({ id: 'Run' });
export type RunRow = z.output<typeof RunRow>;

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
    items: rows.slice(0, o.limit).map((r) => ({
      ...r,
      counts: r.counts ? (JSON.parse(r.counts) as RunRow['counts']) : null,
    })),
    has_more: rows.length > o.limit,
  };
}

export const QuarantineRow = z
  .object({
    id: z.string().meta({ description: 'BATCH:LINE' }),
    batch_id: z.number().int(),
    feed: z.string(),
    source: z.string(),
    line_no: z.number().int(),
    raw: z.string(),
    reason: z.string(),
    quarantined_at: z.string(),
  })
  .meta({ id: 'QuarantinedRecord' });
export type QuarantineRow = z.output<typeof QuarantineRow>;

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
