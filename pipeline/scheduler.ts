/**
 * The scheduler inside `dafei serve` (node-cron, Asia/Shanghai): feed pulls per configured source
 * on their own cron expressions, the daily run (default 06:00, for the day that just ended), and
 * a weekly training of a challenger (never promoted unless configured).
 *
 * - One job at a time: every job goes through one queue (they share the database connection),
 *   and a job already queued or running is not queued again (no overlap).
 * - Every run is in the ledger (job_runs) with its outcome.
 * - Transient source errors (HTTP 5xx, network) are retried after the configured delays.
 * - On start, missed daily runs are caught up in order; a failed run leaves the previous list.
 */
import cron, { type ScheduledTask } from 'node-cron';
import type { Config, SourceConfig } from './config.ts';
import type { Db } from './db/index.ts';
import { ingest, formatCounts } from './feeds/index.ts';
import { loadMapping } from './feeds/mapping/index.ts';
import { markInterrupted, withLedger } from './jobs/ledger.ts';
import { addDays, shanghaiDay } from './modeling/days.ts';
import { trainAndRegister } from './modeling/train-job.ts';
import { runDay } from './run-day.ts';
import { AppError } from './errors.ts';

export const TIMEZONE = 'Asia/Shanghai';

export { shanghaiDay };

/** A job the scheduler runs on its own cron, through the same queue and ledger. */
export interface ExtraJob {
  name: string;
  cron: string;
  /** false: not a ledger entry per run (a job every minute would drown the ledger); it records its own failures. */
  ledger?: boolean;
  run(): Promise<unknown>;
}

export interface SchedulerDeps {
  db: Db;
  config: Pick<Config, 'daily_run' | 'training' | 'sources' | 'levels'>;
  /** More jobs on their own cron (`dafei serve`: the notification jobs, pipeline/notify/jobs.ts). */
  extraJobs?: readonly ExtraJob[];
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  log?: (line: string) => void;
  /** Replaces node-cron's timer (tests drive a fake clock through `tick`). */
  schedule?: (expr: string, fn: () => void) => { stop(): void };
}

export interface Scheduler {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Runs the daily lists missed since the last one, in order. */
  catchUp(): Promise<string[]>;
  /** Queues a job by name: 'run', 'train' or 'pull:<source name>'. */
  trigger(job: string, target?: string): Promise<unknown>;
  /** Resolves when the queue is empty. */
  idle(): Promise<void>;
  readonly jobs: string[];
}

function isTransient(err: unknown): boolean {
  if (!(err instanceof AppError) || err.code !== 'source_unreadable') return false;
  return /HTTP 5\d\d|cannot fetch|ECONNRESET|ECONNREFUSED|ETIMEDOUT|timeout|socket/i.test(
    err.message,
  );
}

export function createScheduler(deps: SchedulerDeps): Scheduler {
  const { db, config } = deps;
  const now = deps.now ?? (() => new Date());
  const sleep = deps.sleep ?? ((ms) => new Promise<void>((r) => setTimeout(r, ms).unref()));
  const log = deps.log ?? ((l) => process.stderr.write(`${l}\n`));
  const tasks: { stop(): void }[] = [];
  const queued = new Set<string>();
  let chain: Promise<unknown> = Promise.resolve();

  /** Serialises jobs; a job already waiting or running is not queued twice. */
  function enqueue<T>(name: string, fn: () => Promise<T>): Promise<T | undefined> {
    if (queued.has(name)) {
      log(`[scheduler] ${name}: still queued or running, skipped (no overlap)`);
      return Promise.resolve(undefined);
    }
    queued.add(name);
    const p = chain.then(async () => {
      try {
        return await fn();
      } catch (err) {
        log(`[scheduler] ${name} failed: ${(err as Error).message}`);
        return undefined;
      } finally {
        queued.delete(name);
      }
    });
    chain = p;
    return p;
  }

  async function pull(source: SourceConfig): Promise<unknown> {
    const delays = source.retry_seconds;
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
              ...(source.mapping ? { mapping: loadMapping(source.mapping) } : {}),
              now,
            });
            log(`[scheduler] pull:${source.name}: ${formatCounts(r)}`);
            return r;
          },
          (r) => ({
            read: r.read,
            accepted: r.accepted,
            duplicate: r.duplicate,
            corrected: r.corrected,
            quarantined: r.quarantined,
            files: r.batches.length,
            attempt: attempt + 1,
          }),
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

  const dailyRun = (day?: string) =>
    enqueue(`run`, () =>
      runDay(db, day ?? addDays(shanghaiDay(now()), -1), { thresholds: config.levels }),
    );

  const train = () =>
    enqueue('train', () =>
      withLedger(
        db,
        'train',
        null,
        () => trainAndRegister(db, { activate: config.training.auto_promote }),
        (r) => ({
          version: r.version,
          active: r.active,
          examples: r.examples,
          positives: r.positives,
        }),
      ),
    );

  async function catchUp(): Promise<string[]> {
    const target = addDays(shanghaiDay(now()), -1);
    const last = await db.one<{ d: string | null }>(
      `SELECT max(day)::VARCHAR AS d FROM list_revisions WHERE day <= $t::DATE`,
      { t: target },
    );
    const from = last?.d
      ? addDays(last.d, 1)
      : addDays(target, -(config.daily_run.catch_up_days - 1));
    const earliest = addDays(target, -(config.daily_run.catch_up_days - 1));
    const days: string[] = [];
    for (let d = from < earliest ? earliest : from; d <= target; d = addDays(d, 1)) days.push(d);
    for (const d of days) {
      log(`[scheduler] catching up the list of ${d}`);
      await enqueue(`run:${d}`, () => runDay(db, d, { thresholds: config.levels }));
    }
    return days;
  }

  const schedule =
    deps.schedule ??
    ((expr: string, fn: () => void): ScheduledTask =>
      cron.schedule(expr, () => fn(), { timezone: TIMEZONE, noOverlap: true }));

  const extra = deps.extraJobs ?? [];
  const extraJob = (j: ExtraJob) =>
    enqueue(j.name, () =>
      j.ledger === false ? j.run() : withLedger(db, j.name, null, () => j.run()),
    );

  const jobs = [
    'run',
    'train',
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
        tasks.push(schedule(s.cron, () => void enqueue(`pull:${s.name}`, () => pull(s))));
      }
      tasks.push(schedule(config.daily_run.cron, () => void dailyRun()));
      tasks.push(schedule(config.training.cron, () => void train()));
      for (const j of extra) tasks.push(schedule(j.cron, () => void extraJob(j)));
      await catchUp();
    },
    async stop() {
      for (const t of tasks.splice(0)) t.stop();
      await chain.catch(() => undefined);
    },
    catchUp,
    trigger(job, target) {
      if (job === 'run') return dailyRun(target);
      if (job === 'train') return train();
      const x = extra.find((j) => j.name === job);
      if (x) return extraJob(x);
      const source = config.sources.find((s) => `pull:${s.name}` === job);
      if (!source) return Promise.reject(new AppError('not_found', `no job named ${job}`));
      return enqueue(job, () => pull(source));
    },
    async idle() {
      for (;;) {
        const c = chain;
        await c.catch(() => undefined);
        if (c === chain) return;
      }
    },
  };
}
