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

    for (const killAfterMs of [300, 1200]) {
      const child = spawn(
        process.execPath,
        ['bin/dafei.js', 'backfill', '--db', path, '--from', '2026-03-02', '--to', '2026-04-29'],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let progressed = false;
      child.stderr.on('data', (b: Buffer) => {
        if (/backfill \[/.test(b.toString())) progressed = true;
      });
      let exited = false;
      child.once('exit', () => (exited = true));
      await new Promise<void>((resolve, reject) => {
        const wait = () => {
          if (exited) reject(new Error('the backfill ended before it could be killed'));
          else if (progressed) setTimeout(() => (child.kill('SIGKILL'), resolve()), killAfterMs);
          else setTimeout(wait, 50);
        };
        wait();
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
      expect(await markInterrupted(db)).toBeGreaterThanOrEqual(0);
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
