/**
 * Crash safety: kill -9 the process in the middle of a backfill, then show that the database
 * opens, every published list is whole (the previous list intact, no half list), the interrupted
 * run is marked in the ledger, and the next run completes.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { openMigratedDb } from './db/index.ts';
import { loadSample } from './demo.ts';
import { tmpDir } from './feeds/_fixtures.ts';
import { markInterrupted } from './jobs/ledger.ts';
import { addDays } from './modeling/days.ts';
import { runDay } from './run-day.ts';
import { testCity } from './_test-city.ts';

const quiet = { out: () => {}, err: () => {} };

describe('crash safety', () => {
  it('SIGKILL during a run leaves whole lists, and the next run completes', async () => {
    const city = testCity();
    const path = `${tmpDir()}/crash.duckdb`;
    let db = await openMigratedDb(path);
    await loadSample(db, quiet, `${city.dir}/`);
    await runDay(db, '2026-03-01');
    const before = await db.all(
      `SELECT uscc, rank, score, level FROM list_entries WHERE day = '2026-03-01' ORDER BY rank`,
    );
    db.close();

    // two rounds: each backfill is killed when it reports a day it ran (no wall-clock timing)
    let lastRunId = 0;
    for (const round of [1, 2]) {
      const child = spawn(
        process.execPath,
        ['bin/dafei.js', 'backfill', '--db', path, '--from', '2026-03-02', '--to', '2026-04-29'],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let exited = false;
      child.once('exit', () => (exited = true));
      await new Promise<void>((resolve, reject) => {
        child.stderr.on('data', (b: Buffer) => {
          if (/backfill \[.*\d{4}-\d{2}-\d{2} listed \d+/.test(b.toString())) {
            child.kill('SIGKILL');
            resolve();
          }
        });
        child.once('exit', () =>
          reject(new Error(`round ${round}: the backfill ended before it could be killed`)),
        );
      });
      if (!exited) await new Promise((r) => child.once('exit', r));
      expect(child.signalCode).toBe('SIGKILL');

      db = await openMigratedDb(path);
      // every revision is whole: its entries are exactly the enterprises it scored
      const revisions = await db.all<{
        day: string;
        revision: number;
        enterprises: number;
        n: number;
      }>(
        `SELECT r.day::VARCHAR AS day, r.revision, r.enterprises, count(e.uscc)::INTEGER AS n
         FROM list_revisions r LEFT JOIN list_entries e USING (day, revision) GROUP BY ALL ORDER BY day`,
      );
      for (const r of revisions) expect(r.n).toBe(r.enterprises);
      // no entries without a revision (a half-published list)
      const orphans = await db.one<{ n: number }>(
        `SELECT count(*)::INTEGER AS n FROM list_entries e ANTI JOIN list_revisions r USING (day, revision)`,
      );
      expect(orphans!.n).toBe(0);
      expect(
        await db.all(
          `SELECT uscc, rank, score, level FROM list_entries WHERE day = '2026-03-01' ORDER BY rank`,
        ),
      ).toEqual(before);
      // the ledger of this round: every run marked ok published its day, in order, and only
      // those; at most the run after the last of them was caught running
      const runs = await db.all<{ id: number; target: string; status: string }>(
        `SELECT run_id::INTEGER AS id, target, status FROM job_runs WHERE job = 'run' AND run_id > $after ORDER BY run_id`,
        { after: lastRunId },
      );
      const ok = runs.filter((r) => r.status === 'ok').map((r) => r.target);
      expect(ok.length).toBeGreaterThan(0);
      const listed = (
        await db.all<{ d: string }>(
          `SELECT day::VARCHAR AS d FROM list_revisions WHERE day BETWEEN $f::DATE AND $t::DATE ORDER BY day`,
          { f: ok[0]!, t: ok.at(-1)! },
        )
      ).map((r) => r.d);
      expect(listed).toEqual(ok);
      const running = runs.filter((r) => r.status === 'running');
      expect(runs.map((r) => r.status)).toEqual([
        ...ok.map(() => 'ok'),
        ...running.map(() => 'running'),
      ]);
      expect(running.map((r) => r.target)).toEqual(running.length ? [addDays(ok.at(-1)!, 1)] : []);
      // the interrupted run is marked failed, and only it
      expect(await markInterrupted(db)).toBe(running.length);
      expect(
        await db.all(`SELECT status FROM job_runs WHERE status IN ('running', 'queued')`),
      ).toEqual([]);
      lastRunId = runs.at(-1)!.id;
      db.close();
    }

    db = await openMigratedDb(path);
    try {
      const next = await runDay(db, '2026-04-30');
      expect(next.published).toBe(true);
      const stale = await db.one<{ n: number }>(
        `SELECT count(*)::INTEGER AS n FROM job_runs WHERE status = 'running'`,
      );
      expect(stale!.n).toBe(0);
    } finally {
      db.close();
    }
  }, 300_000);
});
