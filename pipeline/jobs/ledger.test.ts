import { describe, expect, it } from 'vitest';
import { withDb } from '../db/index.ts';
import { finishRun, markInterrupted, queueRun, startRun } from './ledger.ts';

describe('the run ledger after a process died', () => {
  it('marks the runs left running or queued as failed, and only those', async () => {
    await withDb(async (db) => {
      const done = await startRun(db, 'run', '2026-03-01');
      await finishRun(db, done, { listed: 50 });
      const running = await startRun(db, 'run', '2026-03-02');
      const queued = await queueRun(db, 'pull:ads', null);
      expect(await markInterrupted(db)).toBe(2);
      const rows = await db.all<{ id: number; status: string; error: string | null }>(
        `SELECT run_id::INTEGER AS id, status, error FROM job_runs ORDER BY run_id`,
      );
      expect(rows).toEqual([
        { id: done, status: 'ok', error: null },
        {
          id: running,
          status: 'failed',
          error: 'interrupted (the process stopped before the run finished)',
        },
        {
          id: queued,
          status: 'failed',
          error: 'interrupted (the process stopped before the queued run started)',
        },
      ]);
      const finished = await db.one<{ n: number }>(
        `SELECT count(*)::INTEGER AS n FROM job_runs WHERE finished_at IS NOT NULL`,
      );
      expect(finished!.n).toBe(3);
      expect(await markInterrupted(db)).toBe(0);
    });
  });
});
