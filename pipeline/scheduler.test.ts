/**
 * The scheduler under a fake clock: node-cron's own matcher decides, minute by minute, which jobs
 * are due at the fake time (in Asia/Shanghai), and the fake clock fires the retry timers; nothing
 * waits on the wall clock. The jobs are real (real DuckDB, a real HTTP server on 127.0.0.1). The
 * queue is held shut with a gate where a test needs jobs to pile up.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import cron from 'node-cron';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileConfigSchema } from './config.ts';
import { openMigratedDb, type Db } from './db/index.ts';
import { loadSample } from './demo.ts';
import { GOOD, tmpDir, toNdjson } from './feeds/_fixtures.ts';
import { createScheduler, shanghaiDay, TIMEZONE, type Scheduler } from './scheduler.ts';
import { cityUpTo, testCity } from './_test-city.ts';
import { runDay } from './run-day.ts';

const quiet = { out: () => {}, err: () => {} };

/** A fake clock: fires node-cron-matched jobs and due timers as it advances, minute by minute. */
function fakeClock(start: string) {
  let now = new Date(start).getTime();
  const jobs: { match: (d: Date) => boolean; fn: () => void; stopped: boolean }[] = [];
  const timers: { at: number; fn: () => void; done: boolean }[] = [];
  return {
    now: () => new Date(now),
    schedule: (expr: string, fn: () => void) => {
      const task = cron.createTask(expr, () => undefined, { timezone: TIMEZONE });
      const job = { match: (d: Date) => task.match(d), fn, stopped: false };
      jobs.push(job);
      return { stop: () => ((job.stopped = true), void task.destroy()) };
    },
    setTimer: (fn: () => void, ms: number) => {
      const t = { at: now + ms, fn, done: false };
      timers.push(t);
      return { cancel: () => (t.done = true) };
    },
    /** Timers waiting, as minutes from now. */
    pendingTimers: () => timers.filter((t) => !t.done).map((t) => (t.at - now) / 60_000),
    /** Advances minute by minute, firing due timers and jobs; returns when cron jobs fired. */
    advance(minutes: number): string[] {
      const fired: string[] = [];
      for (let i = 0; i < minutes; i++) {
        now += 60_000;
        for (const t of timers) {
          if (!t.done && t.at <= now) {
            t.done = true;
            t.fn();
          }
        }
        for (const j of jobs) {
          if (!j.stopped && j.match(new Date(now))) {
            fired.push(new Date(now).toISOString());
            j.fn();
          }
        }
      }
      return fired;
    },
  };
}

/** Holds the queue shut until opened: jobs queued meanwhile wait behind it. */
function gate(s: Scheduler): { open: () => void; passed: Promise<void> } {
  let open!: () => void;
  const shut = new Promise<void>((r) => (open = r));
  const passed = s.exclusive('gate', () => shut);
  return { open, passed };
}

let server: Server;
let base = '';
let failuresLeft = 0;
let pulls = 0;

beforeAll(async () => {
  server = createServer((_req, res) => {
    pulls++;
    if (failuresLeft > 0) {
      failuresLeft--;
      res.writeHead(503).end('busy');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/x-ndjson' }).end(toNdjson(GOOD.ads));
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
    daily_run: { cron: '0 6 * * *', catch_up_days: 0, catch_up_cron: '15 * * * *' },
    ...extra,
  });
}

const ledger = (db: Db, job = 'run') =>
  db.all<{ id: number; target: string | null; status: string }>(
    `SELECT run_id::INTEGER AS id, target, status FROM job_runs WHERE job = $job ORDER BY run_id`,
    { job },
  );

const listedDays = async (db: Db) =>
  (
    await db.all<{ d: string }>(`SELECT DISTINCT day::VARCHAR AS d FROM list_revisions ORDER BY d`)
  ).map((r) => r.d);

describe('scheduler', () => {
  it('fires the daily run at 06:00 Shanghai time (22:00 UTC) for the day that ended', async () => {
    const db = await openMigratedDb(':memory:');
    try {
      const clock = fakeClock('2026-03-01T20:00:00Z'); // 04:00 in Shanghai
      const s = createScheduler({
        db,
        config: config({ sources: [] }),
        ...clock,
        log: () => {},
      });
      await s.start();
      const fired = clock.advance(4 * 60);
      await s.idle();
      // the daily run at 22:00 UTC, the catch-up sweeps at :15 of each hour
      expect(fired.filter((f) => f.endsWith(':00:00.000Z'))).toEqual(['2026-03-01T22:00:00.000Z']);
      expect((await ledger(db)).map((r) => [r.target, r.status])).toEqual([['2026-03-01', 'ok']]);
      expect(shanghaiDay(new Date('2026-03-01T22:00:00Z'))).toBe('2026-03-02');
      await s.stop();
    } finally {
      db.close();
    }
  });

  it('fixes the day when the job is queued: a run that starts after midnight lists its own day', async () => {
    const db = await openMigratedDb(':memory:');
    try {
      const clock = fakeClock('2026-03-02T21:00:00Z'); // 05:00 on the 3rd in Shanghai
      const s = createScheduler({ db, config: config({ sources: [] }), ...clock, log: () => {} });
      await s.start();
      const g = gate(s); // something long holds the queue
      clock.advance(60); // 06:00 on the 3rd: the run of the 2nd is queued
      await new Promise((r) => setImmediate(r));
      clock.advance(24 * 60); // the queue stays blocked past the next midnight (and 06:00 again)
      g.open();
      await s.idle();
      // each firing listed the day before it fired, whenever it started
      expect((await ledger(db)).map((r) => [r.target, r.status])).toEqual([
        ['2026-03-02', 'ok'],
        ['2026-03-03', 'ok'],
      ]);
      expect(await listedDays(db)).toEqual(['2026-03-02', '2026-03-03']);
      await s.stop();
    } finally {
      db.close();
    }
  });

  it('keys runs by day: a day already queued is refused (409), another day is accepted', async () => {
    const db = await openMigratedDb(':memory:');
    try {
      const clock = fakeClock('2026-03-05T01:00:00Z');
      const s = createScheduler({ db, config: config({ sources: [] }), ...clock, log: () => {} });
      await s.start();
      const g = gate(s);
      const first = await s.trigger('run', '2026-03-01');
      await expect(s.trigger('run', '2026-03-01')).rejects.toMatchObject({
        code: 'conflict',
        message: `run:2026-03-01 is already queued or running (job ${first.jobId}); not queued twice`,
      });
      const second = await s.trigger('run', '2026-03-02');
      expect(s.pending()).toEqual(['run:2026-03-01', 'run:2026-03-02']);
      // in the ledger from the moment they are queued; the job id is the ledger row
      expect(await ledger(db)).toEqual([
        { id: first.jobId, target: '2026-03-01', status: 'queued' },
        { id: second.jobId, target: '2026-03-02', status: 'queued' },
      ]);
      g.open();
      await s.idle();
      expect((await ledger(db)).map((r) => r.status)).toEqual(['ok', 'ok']);
      // done: the same day may be queued again
      const again = await s.trigger('run', '2026-03-01');
      await again.done;
      expect((await ledger(db)).map((r) => [r.id, r.status])).toEqual([
        [first.jobId, 'ok'],
        [second.jobId, 'ok'],
        [again.jobId, 'ok'],
      ]);
      await s.stop();
    } finally {
      db.close();
    }
  });

  it('pulls each source on its own cron and never overlaps a pull with itself', async () => {
    const db = await openMigratedDb(':memory:');
    try {
      const clock = fakeClock('2026-03-01T00:05:00Z');
      const logs: string[] = [];
      const s = createScheduler({ db, config: config(), ...clock, log: (l) => logs.push(l) });
      await s.start();
      const g = gate(s);
      const before = pulls;
      const fired = clock.advance(20); // 00:10 queues the pull; at 00:20 it is still waiting
      await new Promise((r) => setImmediate(r));
      // the pull at 00:10 and 00:20, the catch-up sweep at 00:15
      expect(fired).toEqual([
        '2026-03-01T00:10:00.000Z',
        '2026-03-01T00:15:00.000Z',
        '2026-03-01T00:20:00.000Z',
      ]);
      expect(logs.filter((l) => l.includes('no overlap'))).toEqual([
        '[scheduler] pull:ads-http: still queued or running, skipped (no overlap)',
      ]);
      await expect(s.trigger('pull:ads-http')).rejects.toMatchObject({ code: 'conflict' });
      g.open();
      await s.idle();
      expect(pulls - before).toBe(1);
      expect((await ledger(db, 'pull:ads-http')).map((r) => r.status)).toEqual(['ok']);
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
      await (
        await s.trigger('pull:ads-http')
      ).done;
      expect(sleeps).toEqual([1000, 2000]);
      const attempts = await db.all<{ status: string; error: string | null }>(
        `SELECT status, error FROM job_runs ORDER BY run_id`,
      );
      expect(attempts.map((a) => a.status)).toEqual(['failed', 'failed', 'ok']);
      expect(attempts[0]!.error).toBe(`[ingest:ads] HTTP 503 Service Unavailable from ${base}/ads`);
      expect((await db.one<{ n: number }>(`SELECT count(*)::INTEGER AS n FROM ads`))!.n).toBe(2);
      // past the last delay the failure stands, and nothing else is touched
      failuresLeft = 5;
      await (
        await s.trigger('pull:ads-http')
      ).done;
      expect((await ledger(db, 'pull:ads-http')).map((r) => r.status)).toEqual([
        'failed',
        'failed',
        'ok',
        'failed',
        'failed',
        'failed',
      ]);
      failuresLeft = 0;
    } finally {
      db.close();
    }
  });

  it('retries a failed daily run with back-off, then raises it to admins', async () => {
    const db = await openMigratedDb(':memory:');
    try {
      const clock = fakeClock('2026-03-01T21:30:00Z');
      const s = createScheduler({
        db,
        config: config({
          sources: [],
          daily_run: { cron: '0 6 * * *', catch_up_days: 0, retry_minutes: [5, 30] },
        }),
        ...clock,
        log: () => {},
      });
      await s.start();
      // publishing cannot work until the table is back
      await db.run(`ALTER TABLE list_revisions RENAME TO list_revisions_away`);
      clock.advance(30); // 06:00: the run of 2026-03-01 fails
      await s.idle();
      expect(clock.pendingTimers()).toEqual([5]);
      clock.advance(5); // first retry fails
      await s.idle();
      expect(clock.pendingTimers()).toEqual([30]);
      clock.advance(30); // second retry fails: no more retries, an admin is told
      await s.idle();
      expect(clock.pendingTimers()).toEqual([]);
      expect((await ledger(db)).map((r) => r.status)).toEqual(['failed', 'failed', 'failed']);
      const notices = await db.all<{ kind: string; subject: string; message: string }>(
        `SELECT kind, subject, message FROM ops_notices WHERE resolved_at IS NULL`,
      );
      expect(notices.map((n) => [n.kind, n.subject])).toEqual([['run_failed', '2026-03-01']]);
      expect(notices[0]!.message).toMatch(
        /^the daily run of 2026-03-01 failed 3 times; last error: /,
      );
      // an admin fixes it and runs the day: it lands and the notice is resolved
      await db.run(`ALTER TABLE list_revisions_away RENAME TO list_revisions`);
      await (
        await s.trigger('run', '2026-03-01')
      ).done;
      expect(await listedDays(db)).toEqual(['2026-03-01']);
      expect(await db.all(`SELECT kind FROM ops_notices WHERE resolved_at IS NULL`)).toEqual([]);
      await s.stop();
    } finally {
      db.close();
    }
  });

  it('catches up missed days while running, not only at start', async () => {
    const db = await openMigratedDb(':memory:');
    try {
      await runDay(db, '2026-03-01');
      const clock = fakeClock('2026-03-02T02:00:00Z'); // 10:00 on the 2nd in Shanghai
      const s = createScheduler({
        db,
        // the daily cron fires on January 1st only: here only the hourly sweep can list the days
        config: config({
          sources: [],
          daily_run: { cron: '0 6 1 1 *', catch_up_days: 7, catch_up_cron: '15 * * * *' },
        }),
        ...clock,
        log: () => {},
      });
      await s.start(); // nothing missed yet
      expect(await listedDays(db)).toEqual(['2026-03-01']);
      clock.advance(2 * 24 * 60); // two days later
      await s.idle();
      expect(await listedDays(db)).toEqual(['2026-03-01', '2026-03-02', '2026-03-03']);
      // one run per day: later sweeps find nothing to do
      expect((await ledger(db)).map((r) => r.target)).toEqual([
        '2026-03-01',
        '2026-03-02',
        '2026-03-03',
      ]);
      await s.stop();
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
      const clock = fakeClock('2026-03-21T01:00:00Z');
      const s = createScheduler({
        db,
        config: config({ sources: [], daily_run: { cron: '0 6 * * *', catch_up_days: 5 } }),
        ...clock,
        log: () => {},
      });
      await s.start();
      await s.idle();
      expect(await listedDays(db)).toEqual([
        '2026-03-16',
        '2026-03-17',
        '2026-03-18',
        '2026-03-19',
        '2026-03-20',
      ]);
      expect((await ledger(db)).map((r) => [r.target, r.status])).toEqual([
        ['2026-03-16', 'ok'],
        ['2026-03-17', 'ok'],
        ['2026-03-18', 'ok'],
        ['2026-03-19', 'ok'],
        ['2026-03-20', 'ok'],
      ]);
      await s.stop();
    } finally {
      db.close();
    }
  });
});
