/**
 * The scheduler under a fake clock: node-cron's own matcher decides, minute by minute, which jobs
 * are due at the fake time (in Asia/Shanghai); the jobs are real (real DuckDB, a real HTTP server
 * on 127.0.0.1).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import cron from 'node-cron';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileConfigSchema } from './config.ts';
import { openMigratedDb } from './db/index.ts';
import { loadSample } from './demo.ts';
import { GOOD, tmpDir, toNdjson } from './feeds/_fixtures.ts';
import { createScheduler, shanghaiDay, TIMEZONE } from './scheduler.ts';
import { cityUpTo, testCity } from './_test-city.ts';
import { runDay } from './run-day.ts';

const quiet = { out: () => {}, err: () => {} };

/** A fake clock that fires node-cron-matched jobs as it advances. */
function fakeCron(start: Date) {
  let now = new Date(start);
  const jobs: { match: (d: Date) => boolean; fn: () => void; stopped: boolean }[] = [];
  return {
    now: () => new Date(now),
    schedule: (expr: string, fn: () => void) => {
      const task = cron.createTask(expr, () => undefined, { timezone: TIMEZONE });
      const job = { match: (d: Date) => task.match(d), fn, stopped: false };
      jobs.push(job);
      return { stop: () => ((job.stopped = true), void task.destroy()) };
    },
    /** Advances minute by minute, firing due jobs; returns the times jobs fired. */
    advance(minutes: number): string[] {
      const fired: string[] = [];
      for (let i = 0; i < minutes; i++) {
        now = new Date(now.getTime() + 60_000);
        for (const j of jobs) {
          if (!j.stopped && j.match(now)) {
            fired.push(now.toISOString());
            j.fn();
          }
        }
      }
      return fired;
    },
  };
}

let server: Server;
let base = '';
let failuresLeft = 0;
let slow = false;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (failuresLeft > 0) {
      failuresLeft--;
      res.writeHead(503).end('busy');
      return;
    }
    const send = () =>
      res.writeHead(200, { 'content-type': 'application/x-ndjson' }).end(toNdjson(GOOD.ads));
    if (slow) setTimeout(send, 300);
    else send();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function config(extra: object = {}) {
  return FileConfigSchema.parse({
    sources: [
      {
        name: 'ads-http',
        feed: 'ads',
        source: `${base}/ads`,
        cron: '*/10 * * * *',
        retry_seconds: [1, 2],
      },
    ],
    daily_run: { cron: '0 6 * * *', catch_up_days: 5 },
    ...extra,
  });
}

describe('scheduler', () => {
  it('fires the daily run at 06:00 Shanghai time (22:00 UTC) for the day that ended', async () => {
    const db = await openMigratedDb(':memory:');
    try {
      const clock = fakeCron(new Date('2026-03-01T20:00:00Z')); // 04:00 in Shanghai
      const runs: string[] = [];
      const s = createScheduler({
        db,
        config: config({ sources: [] }),
        now: clock.now,
        schedule: clock.schedule,
        log: (l) => runs.push(l),
      });
      await s.start();
      const fired = clock.advance(4 * 60);
      await s.idle();
      expect(fired).toEqual(['2026-03-01T22:00:00.000Z']);
      const ledger = await db.all<{ job: string; target: string }>(
        `SELECT job, target FROM job_runs ORDER BY run_id`,
      );
      // catch-up found no list (and no data), then 06:00 ran the list of 2026-03-01
      expect(ledger.at(-1)).toEqual({ job: 'run', target: '2026-03-01' });
      expect(shanghaiDay(new Date('2026-03-01T22:00:00Z'))).toBe('2026-03-02');
      await s.stop();
    } finally {
      db.close();
    }
  });

  it('pulls each source on its own cron and never overlaps a job with itself', async () => {
    const db = await openMigratedDb(':memory:');
    try {
      const clock = fakeCron(new Date('2026-03-01T00:05:00Z'));
      const logs: string[] = [];
      const s = createScheduler({
        db,
        config: config({ daily_run: { cron: '0 6 * * *', catch_up_days: 0 } }),
        now: clock.now,
        schedule: clock.schedule,
        log: (l) => logs.push(l),
      });
      await s.start();
      slow = true;
      const fired = clock.advance(20); // 00:10 and 00:20
      expect(fired).toEqual(['2026-03-01T00:10:00.000Z', '2026-03-01T00:20:00.000Z']);
      // a manual trigger while the pull is still queued or running is skipped
      await s.trigger('pull:ads-http');
      await s.idle();
      slow = false;
      expect(logs.filter((l) => l.includes('no overlap')).length).toBeGreaterThanOrEqual(1);
      const pulls = await db.all<{ status: string }>(
        `SELECT status FROM job_runs WHERE job = 'pull:ads-http'`,
      );
      expect(pulls.every((p) => p.status === 'ok')).toBe(true);
      expect(pulls.length).toBeLessThanOrEqual(2);
      await s.stop();
    } finally {
      db.close();
    }
  });

  it('backs off and retries a failing source, recording each attempt', async () => {
    const db = await openMigratedDb(':memory:');
    try {
      const sleeps: number[] = [];
      const s = createScheduler({
        db,
        config: config(),
        now: () => new Date('2026-03-01T00:00:00Z'),
        schedule: () => ({ stop() {} }),
        sleep: (ms) => Promise.resolve(void sleeps.push(ms)),
        log: () => {},
      });
      failuresLeft = 2;
      await s.trigger('pull:ads-http');
      expect(sleeps).toEqual([1000, 2000]);
      const attempts = await db.all<{ status: string; error: string | null }>(
        `SELECT status, error FROM job_runs ORDER BY run_id`,
      );
      expect(attempts.map((a) => a.status)).toEqual(['failed', 'failed', 'ok']);
      expect(attempts[0]!.error).toMatch(/HTTP 503/);
      expect((await db.one<{ n: number }>(`SELECT count(*)::INTEGER AS n FROM ads`))!.n).toBe(2);
      // past the last delay the failure stands, and nothing else is touched
      failuresLeft = 5;
      await s.trigger('pull:ads-http');
      expect((await db.all(`SELECT 1 FROM job_runs WHERE status = 'failed'`)).length).toBe(5);
    } finally {
      db.close();
    }
  });

  it('catches up missed daily runs in order after downtime', async () => {
    const city = testCity();
    const db = await openMigratedDb(`${tmpDir()}/catchup.duckdb`);
    try {
      await loadSample(db, quiet, `${cityUpTo(city, '2026-03-20')}/`);
      await runDay(db, '2026-03-16');
      // the server was down from the 17th; it starts on the 21st at 09:00 Shanghai time
      const clock = fakeCron(new Date('2026-03-21T01:00:00Z'));
      const s = createScheduler({
        db,
        config: config({ sources: [] }),
        now: clock.now,
        schedule: clock.schedule,
        log: () => {},
      });
      await s.start();
      const days = await db.all<{ d: string }>(
        `SELECT day::VARCHAR AS d FROM list_revisions ORDER BY day`,
      );
      expect(days.map((r) => r.d)).toEqual([
        '2026-03-16',
        '2026-03-17',
        '2026-03-18',
        '2026-03-19',
        '2026-03-20',
      ]);
      const order = await db.all<{ target: string }>(
        `SELECT target FROM job_runs WHERE job = 'run' ORDER BY run_id`,
      );
      expect(order.map((r) => r.target)).toEqual([
        '2026-03-16',
        '2026-03-17',
        '2026-03-18',
        '2026-03-19',
        '2026-03-20',
      ]);
      await s.stop();
    } finally {
      db.close();
    }
  });
});
