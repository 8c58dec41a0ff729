/**
 * The scheduler inside `dafei serve` (node-cron, Asia/Shanghai): feed pulls per configured source
 * on their own cron expressions, the daily run (default 06:00, for the day that just ended), the
 * weekly training of a challenger (never promoted unless configured), the nightly retention,
 * when configured, backups, and the extra jobs `dafei serve` adds (notifications).
 *
 * - Jobs are keyed: `run:<day>`, `pull:<source>`, `train`, `retention`, an extra job's name. A job whose key is already
 *   queued or running is not queued again: a manual trigger of it is refused (409 in the API), a
 *   cron firing is skipped and logged.
 * - The day of a daily run is fixed when the job is queued, so a run delayed past midnight still
 *   lists the day it was queued for.
 * - One job at a time: every job goes through one queue (they share the database connection).
 *   Between jobs the queue yields to the event loop, so a catch-up of many days leaves the API room.
 * - Every job is in the ledger (job_runs) from the moment it is queued; its id is the job id.
 * - A failed daily run is retried after the configured delays (daily_run.retry_minutes); missed
 *   or failed days are caught up on start and on `daily_run.catch_up_cron` while serving. A day
 *   that failed every retry is raised to admins (ops_notices) and left to them (a manual run, or a
 *   restart, tries again).
 * - Transient source errors (HTTP 5xx, network) are retried after the source's delays.
 * - Backups run beside the queue (they read a snapshot on their own connection).
 * - Training fits on worker threads (pipeline/modeling/fit-model.ts).
 */
import cron, { type ScheduledTask } from 'node-cron';
import { ingestPolicy, type Config, type SourceConfig } from './config.ts';
import type { Db } from './db/index.ts';
import { formatCounts, ingest } from './feeds/index.ts';
import { loadMapping } from './feeds/mapping/index.ts';
import { markInterrupted, queueRun, withLedger } from './jobs/ledger.ts';
import { addDays, shanghaiDay } from './modeling/days.ts';
import { trainAndRegister } from './modeling/train-job.ts';
import { backupFromConfig, retentionPolicy } from './ops/admin-ops.ts';
import { raiseNotice, resolveNotices } from './ops/notices.ts';
import { applyRetention, formatRetention } from './ops/retention.ts';
import { runDay } from './run-day.ts';
import { AppError } from './errors.ts';

export const TIMEZONE = 'Asia/Shanghai';

export { shanghaiDay };

/** A cancellable timer (tests pass a fake clock's). */
export type SetTimer = (fn: () => void, ms: number) => { cancel(): void };

/** A job the scheduler runs on its own cron, through the same keyed queue and ledger. */
export interface ExtraJob {
  name: string;
  cron: string;
  /** false: not a ledger entry per run (a job every minute would drown the ledger); it records its own failures. */
  ledger?: boolean;
  run(): Promise<unknown>;
}

export interface SchedulerDeps {
  db: Db;
  config: Pick<
    Config,
    | 'daily_run'
    | 'training'
    | 'sources'
    | 'levels'
    | 'limits'
    | 'hold'
    | 'files_dir'
    | 'retention'
    | 'backup'
  >;
  /** More jobs on their own cron (`dafei serve`: the notification jobs, pipeline/notify/jobs.ts). */
  extraJobs?: readonly ExtraJob[];
  now?: () => Date;
  /** Waits between retries of a transient source failure. */
  sleep?: (ms: number) => Promise<void>;
  /** Schedules the retry of a failed daily run. */
  setTimer?: SetTimer;
  log?: (line: string) => void;
  /** Replaces node-cron's timer (tests drive a fake clock through `tick`). */
  schedule?: (expr: string, fn: () => void) => { stop(): void };
  /** Lets the event loop breathe between jobs (default setImmediate). */
  yieldToLoop?: () => Promise<void>;
}

/** A job accepted into the queue. */
export interface QueuedJob {
  /** The ledger row (job_runs.run_id); null for a job queued without a ledger row. */
  jobId: number | null;
  key: string;
  job: string;
  target: string | null;
  /** Resolves when the job has finished (never rejects: failures are in the ledger). */
  done: Promise<unknown>;
}

export interface Scheduler {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Queues the daily lists missed (or failed) since the last one, in order; returns their days. */
  catchUp(): Promise<string[]>;
  /**
   * Queues a job: 'run' (with its day; default the day that just ended), 'train', 'retention' or
   * 'pull:<source name>'. Throws AppError 'conflict' when that job is already queued or running,
   * 'not_found' for an unknown job.
   */
  trigger(job: string, target?: string): Promise<QueuedJob>;
  /** Runs `fn` in the queue, between jobs (admin writes that must not interleave with them). */
  exclusive<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** Resolves when the queue is empty. */
  idle(): Promise<void>;
  /** Keys of the jobs queued or running, in order. */
  pending(): string[];
  readonly jobs: string[];
}

function isTransient(err: unknown): boolean {
  if (!(err instanceof AppError) || err.code !== 'source_unreadable') return false;
  return /HTTP 5\d\d|cannot fetch|ECONNRESET|ECONNREFUSED|ETIMEDOUT|timeout|socket/i.test(
    err.message,
  );
}

const realTimer: SetTimer = (fn, ms) => {
  const t = setTimeout(fn, ms);
  t.unref();
  return { cancel: () => clearTimeout(t) };
};

export function createScheduler(deps: SchedulerDeps): Scheduler {
  const { db, config } = deps;
  const now = deps.now ?? (() => new Date());
  const sleep = deps.sleep ?? ((ms) => new Promise<void>((r) => setTimeout(r, ms).unref()));
  const setTimer = deps.setTimer ?? realTimer;
  const log = deps.log ?? ((l) => process.stderr.write(`${l}\n`));
  const yieldToLoop = deps.yieldToLoop ?? (() => new Promise<void>((r) => setImmediate(r)));
  const tasks: { stop(): void }[] = [];
  const queued = new Map<string, number>(); // key → job id
  const timers = new Map<string, { cancel(): void }>(); // day → pending retry
  const failures = new Map<string, number>(); // day → failed attempts in this process
  const gaveUp = new Set<string>(); // days that failed every retry (left to an admin)
  let chain: Promise<unknown> = Promise.resolve();
  let stopped = false;
  /** Work started by timers that has not reached the queue yet (idle() waits for it). */
  const starting = new Set<Promise<unknown>>();
  function track(p: Promise<unknown>): void {
    const t = p.catch(() => undefined).finally(() => starting.delete(t));
    starting.add(t);
  }

  /** Appends `fn` to the queue; it runs after every job queued before it. */
  function append<T>(fn: () => Promise<T>): Promise<T> {
    const p = chain.then(async () => {
      await yieldToLoop();
      return fn();
    });
    chain = p.catch(() => undefined);
    return p;
  }

  /**
   * Queues a keyed job with a ledger row (status queued); `fn` gets that row's id. `ledger: false`
   * queues it without one (a job every minute would drown the ledger): `fn` gets undefined.
   */
  async function enqueue(
    key: string,
    job: string,
    target: string | null,
    fn: (runId: number) => Promise<unknown>,
    ledger?: true,
  ): Promise<QueuedJob>;
  async function enqueue(
    key: string,
    job: string,
    target: string | null,
    fn: (runId: undefined) => Promise<unknown>,
    ledger: false,
  ): Promise<QueuedJob>;
  async function enqueue(
    key: string,
    job: string,
    target: string | null,
    fn: (runId: never) => Promise<unknown>,
    ledger = true,
  ): Promise<QueuedJob> {
    const existing = queued.get(key);
    if (existing !== undefined) {
      throw new AppError(
        'conflict',
        `${key} is already queued or running (job ${existing}); not queued twice`,
      );
    }
    queued.set(key, -1); // reserved before the await below: no second caller gets in
    let jobId: number | null = null;
    try {
      if (ledger) jobId = await queueRun(db, job, target);
    } catch (err) {
      queued.delete(key);
      throw err;
    }
    queued.set(key, jobId ?? -1);
    const done = append(async () => {
      try {
        return await (fn as (runId: number | undefined) => Promise<unknown>)(jobId ?? undefined);
      } catch (err) {
        log(`[scheduler] ${key} failed: ${(err as Error).message}`);
        return undefined;
      } finally {
        queued.delete(key);
      }
    });
    return { jobId, key, job, target, done };
  }

  /** Queues a job fired by a timer: a job already queued is skipped with a log line. */
  function fire(key: string, start: () => Promise<QueuedJob>): void {
    if (stopped) return;
    if (queued.has(key)) {
      log(`[scheduler] ${key}: still queued or running, skipped (no overlap)`);
      return;
    }
    track(start().catch((err: unknown) => log(`[scheduler] ${key}: ${(err as Error).message}`)));
  }

  async function pull(source: SourceConfig, firstRunId: number): Promise<unknown> {
    const delays = source.retry_seconds;
    const policy = ingestPolicy(config, db.path);
    for (let attempt = 0; ; attempt++) {
      try {
        return await withLedger(
          db,
          `pull:${source.name}`,
          source.source,
          async () => {
            const r = await ingest(db, {
              feed: source.feed,
              source: source.source,
              ...(source.encoding ? { encoding: source.encoding } : {}),
              ...(source.headers ? { headers: source.headers } : {}),
              ...policy,
              ...(source.mapping ? { mapping: loadMapping(source.mapping) } : {}),
              now,
            });
            log(`[scheduler] pull:${source.name}: ${formatCounts(r)}`);
            for (const h of r.held)
              log(`[scheduler] pull:${source.name}: batch ${h.batchId} held: ${h.reason}`);
            for (const f of r.rejected)
              log(`[scheduler] pull:${source.name}: ${f.file} moved aside: ${f.reason}`);
            return r;
          },
          (r) => ({
            read: r.read,
            accepted: r.accepted,
            duplicate: r.duplicate,
            corrected: r.corrected,
            quarantined: r.quarantined,
            files: r.batches.length,
            held: r.held.length,
            rejected: r.rejected.length,
            attempt: attempt + 1,
          }),
          attempt === 0 ? firstRunId : undefined,
          (r) => (r.held.length > 0 ? 'held' : r.rejected.length > 0 ? 'warning' : 'ok'),
        );
      } catch (err) {
        const delay = delays[attempt];
        if (!isTransient(err) || delay === undefined) throw err;
        log(
          `[scheduler] pull:${source.name}: ${(err as Error).message}; retry ${attempt + 1}/${delays.length} in ${delay} s`,
        );
        await sleep(delay * 1000);
      }
    }
  }

  /** Queues the daily run of `day` (fixed now, whenever it starts). */
  function queueDay(day: string): Promise<QueuedJob> {
    timers.get(day)?.cancel();
    timers.delete(day);
    return enqueue(`run:${day}`, 'run', day, async (runId) => {
      try {
        const r = await runDay(db, day, { thresholds: config.levels, runId });
        failures.delete(day);
        gaveUp.delete(day);
        await resolveNotices(db, 'run_failed', day, 'scheduler');
        return r;
      } catch (err) {
        await onDayFailed(day, err);
        throw err;
      }
    });
  }

  async function onDayFailed(day: string, err: unknown): Promise<void> {
    const attempt = (failures.get(day) ?? 0) + 1;
    failures.set(day, attempt);
    const delay = config.daily_run.retry_minutes[attempt - 1];
    if (delay !== undefined && !stopped) {
      log(
        `[scheduler] run:${day} failed (attempt ${attempt}); retry ${attempt}/${config.daily_run.retry_minutes.length} in ${delay} min`,
      );
      timers.set(
        day,
        setTimer(() => {
          timers.delete(day);
          fire(`run:${day}`, () => queueDay(day));
        }, delay * 60_000),
      );
      return;
    }
    gaveUp.add(day);
    await raiseNotice(db, {
      level: 'error',
      kind: 'run_failed',
      subject: day,
      message: `the daily run of ${day} failed ${attempt} times; last error: ${(err as Error).message}`,
    }).catch(() => undefined);
  }

  const train = () =>
    enqueue('train', 'train', null, (runId) =>
      withLedger(
        db,
        'train',
        null,
        // the fit runs on worker threads (fit-model.ts): the API in this process keeps answering
        () => trainAndRegister(db, { activate: config.training.auto_promote }),
        (r) => ({
          version: r.version,
          active: r.active,
          examples: r.examples,
          positives: r.positives,
        }),
        runId,
      ),
    );

  const retention = () =>
    enqueue('retention', 'retention', null, (runId) =>
      withLedger(
        db,
        'retention',
        null,
        async () => {
          const r = await applyRetention(db, retentionPolicy(config, db.path), now());
          log(`[scheduler] ${formatRetention(r)}`);
          return r;
        },
        (r) => ({
          revisions_compacted: r.revisionsCompacted,
          entries_deleted: r.entriesDeleted,
          quarantine_lines_purged: r.quarantineLinesPurged,
          audit_archived: r.auditArchived,
        }),
        runId,
      ),
    );

  let backingUp = false;
  async function scheduledBackup(): Promise<void> {
    if (backingUp || !config.backup.dir) return;
    backingUp = true;
    try {
      await withLedger(
        db,
        'backup',
        config.backup.dir,
        () => backupFromConfig(db, config, { now }),
        (r) => ({ dir: r.dir, lists: r.manifest.lists.length, bytes: r.manifest.bytes }),
      );
      await resolveNotices(db, 'backup_failed', null, 'scheduler');
    } catch (err) {
      log(`[scheduler] backup failed: ${(err as Error).message}`);
      await raiseNotice(db, {
        level: 'error',
        kind: 'backup_failed',
        subject: null,
        message: `the scheduled backup into ${config.backup.dir} failed: ${(err as Error).message}`,
      }).catch(() => undefined);
    } finally {
      backingUp = false;
    }
  }

  /** Resolves when nothing is queued, running or about to be queued. */
  async function idle(): Promise<void> {
    for (;;) {
      const c = chain;
      await Promise.all([c, ...starting]);
      if (c === chain && starting.size === 0) return;
    }
  }

  async function catchUp(): Promise<string[]> {
    const target = addDays(shanghaiDay(now()), -1);
    const earliest = addDays(target, -(config.daily_run.catch_up_days - 1));
    if (config.daily_run.catch_up_days === 0) return [];
    const listed = new Set(
      (
        await db.all<{ d: string }>(
          `SELECT DISTINCT day::VARCHAR AS d FROM list_revisions WHERE day BETWEEN $f::DATE AND $t::DATE`,
          { f: earliest, t: target },
        )
      ).map((r) => r.d),
    );
    const first = await db.one<{ d: string | null }>(
      `SELECT min(day)::VARCHAR AS d FROM list_revisions`,
    );
    // every day of the window without a list, from the first list ever (days before it were
    // never meant to have one)
    const from = first?.d && first.d > earliest ? first.d : earliest;
    const days: string[] = [];
    for (let d = from; d <= target; d = addDays(d, 1)) {
      if (listed.has(d) || queued.has(`run:${d}`) || timers.has(d) || gaveUp.has(d)) continue;
      days.push(d);
    }
    for (const d of days) {
      log(`[scheduler] catching up the list of ${d}`);
      await queueDay(d);
    }
    return days;
  }

  const schedule =
    deps.schedule ??
    ((expr: string, fn: () => void): ScheduledTask =>
      cron.schedule(expr, () => fn(), { timezone: TIMEZONE, noOverlap: true }));

  const extra = deps.extraJobs ?? [];
  const extraJob = (j: ExtraJob) =>
    j.ledger === false
      ? enqueue(j.name, j.name, null, () => j.run(), false)
      : enqueue(j.name, j.name, null, (runId) =>
          withLedger(db, j.name, null, () => j.run(), undefined, runId),
        );

  const jobs = [
    'run',
    'train',
    'retention',
    ...(config.backup.dir ? ['backup'] : []),
    ...config.sources.map((s) => `pull:${s.name}`),
    ...extra.map((j) => j.name),
  ];

  return {
    jobs,
    async start() {
      const interrupted = await markInterrupted(db);
      if (interrupted > 0)
        log(`[scheduler] ${interrupted} run(s) interrupted by the last stop are marked failed`);
      for (const s of config.sources) {
        if (!cron.validate(s.cron))
          throw new AppError('config_invalid', `source ${s.name}: invalid cron '${s.cron}'`);
      }
      for (const s of config.sources) {
        tasks.push(
          schedule(s.cron, () =>
            fire(`pull:${s.name}`, () =>
              enqueue(`pull:${s.name}`, `pull:${s.name}`, s.source, (id) => pull(s, id)),
            ),
          ),
        );
      }
      // the day is taken when the cron fires, not when the job starts
      tasks.push(
        schedule(config.daily_run.cron, () => {
          const day = addDays(shanghaiDay(now()), -1);
          fire(`run:${day}`, () => queueDay(day));
        }),
      );
      tasks.push(
        schedule(config.daily_run.catch_up_cron, () => {
          if (!stopped)
            catchUp().catch((err: unknown) => log(`[scheduler] catch-up: ${String(err)}`));
        }),
      );
      tasks.push(schedule(config.training.cron, () => fire('train', train)));
      tasks.push(schedule(config.retention.cron, () => fire('retention', retention)));
      if (config.backup.dir)
        tasks.push(schedule(config.backup.cron, () => track(scheduledBackup())));
      for (const j of extra) tasks.push(schedule(j.cron, () => fire(j.name, () => extraJob(j))));
      await catchUp();
    },
    async stop() {
      stopped = true;
      for (const t of tasks.splice(0)) t.stop();
      for (const t of timers.values()) t.cancel();
      timers.clear();
      await idle();
    },
    catchUp,
    async trigger(job, target) {
      if (job === 'run') {
        const day = target ?? addDays(shanghaiDay(now()), -1);
        // a person asked: the retries start afresh
        failures.delete(day);
        gaveUp.delete(day);
        return queueDay(day);
      }
      if (job === 'train') return train();
      if (job === 'retention') return retention();
      const x = extra.find((j) => j.name === job);
      if (x) return extraJob(x);
      const source = config.sources.find((s) => `pull:${s.name}` === job);
      if (!source) throw new AppError('not_found', `no job named ${job}`);
      return enqueue(job, job, source.source, (id) => pull(source, id));
    },
    exclusive: (_name, fn) => append(fn),
    idle,
    pending: () => [...queued.keys()],
  };
}
