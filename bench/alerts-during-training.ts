/**
 * GET /v1/alerts latency while a training job runs in the same server (issue 16): `dafei serve`'s
 * pieces (the API server, the scheduler) in a child process over a simulated city; an open-loop
 * client sends GET /v1/alerts at a fixed rate with the server idle, then while the scheduler
 * catches up 7 daily runs, then while it runs the weekly training job (scheduler.trigger). Every
 * request's latency counts, those that waited through a stall included. The child also reports
 * the longest event-loop stall it saw (perf_hooks.monitorEventLoopDelay).
 *
 *   node --import tsx bench/alerts-during-training.ts [--enterprises 3000] [--days 180] [--rate 50]
 *
 * The database is built once into bench/out/ (simulate → ingest → resolve → backfill of the last
 * 14 days). Prints the machine and its load average before and after.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    enterprises: { type: 'string', default: '3000' },
    days: { type: 'string', default: '180' },
    rate: { type: 'string', default: '50' },
    baseline: { type: 'string', default: '20' },
    child: { type: 'boolean', default: false },
    db: { type: 'string' },
  },
});

interface Stalls {
  maxMs: number;
  p99Ms: number;
}

if (values.child) await child();
else await main();

async function child(): Promise<void> {
  const { monitorEventLoopDelay } = await import('node:perf_hooks');
  const { openMigratedDb } = await import('../pipeline/db/index.ts');
  const { startServer } = await import('../api/index.ts');
  const { createToken } = await import('../pipeline/auth/index.ts');
  const { loadConfig } = await import('../pipeline/config.ts');
  const { createScheduler } = await import('../pipeline/scheduler.ts');
  const db = await openMigratedDb(values.db!);
  const config = {
    ...loadConfig({}),
    daily_run: { ...loadConfig({}).daily_run, catch_up_days: 0 },
  };
  const scheduler = createScheduler({ db, config, schedule: () => ({ stop() {} }), log: () => {} });
  await scheduler.start();
  const token = (await createToken(db, { name: 'bench', role: 'admin' })).token;
  const server = await startServer({ db, config, port: 0, host: '127.0.0.1', log: () => {} });
  const loop = monitorEventLoopDelay({ resolution: 10 });
  const say = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
  say({ url: server.url, token });
  const rl = createInterface({ input: process.stdin });
  for await (const line of rl) {
    if (line === 'stalls') {
      say({ maxMs: loop.max / 1e6, p99Ms: loop.percentile(99) / 1e6 } satisfies Stalls);
      loop.reset();
    } else if (line === 'watch') {
      loop.enable();
      loop.reset();
    } else if (line.startsWith('catchup ')) {
      // the daily runs of the days before the listed ones, queued as a catch-up queues them
      const t0 = performance.now();
      const first = (await db.one<{ d: string }>(
        `SELECT min(day)::VARCHAR AS d FROM list_revisions`,
      ))!.d;
      const { addDays } = await import('../pipeline/modeling/days.ts');
      const n = Number(line.split(' ')[1]);
      const jobs = [];
      for (let i = n; i >= 1; i--) jobs.push(await scheduler.trigger('run', addDays(first, -i)));
      await Promise.all(jobs.map((j) => j.done));
      say({ caughtUp: n, seconds: (performance.now() - t0) / 1000 });
    } else if (line === 'train') {
      const t0 = performance.now();
      const job = await scheduler.trigger('train');
      await job.done;
      const row = await db.one<{ status: string; error: string | null }>(
        `SELECT status, error FROM job_runs WHERE run_id = $id`,
        { id: job.jobId },
      );
      say({ trained: (performance.now() - t0) / 1000, ...row });
    } else if (line === 'stop') break;
  }
  await server.close();
  await scheduler.stop();
  db.close();
  process.exit(0); // stdin (the command pipe) would keep the process alive
}

/** Latencies of an open-loop load: requests leave at a fixed rate whatever the server does. */
interface Load {
  latencies: number[];
  errors: number;
}

/**
 * Sends GET requests at `rate` per second until `until()` is true (checked between sends), each on
 * schedule even while earlier ones wait — so a stalled server shows as the time its requests
 * waited, not as requests that were never sent (a closed-loop tool like autocannon cannot send
 * while its connections wait). Waits for the last answers before returning.
 */
async function openLoop(
  url: string,
  paths: string[],
  headers: Record<string, string>,
  rate: number,
  until: () => boolean,
): Promise<Load> {
  const load: Load = { latencies: [], errors: 0 };
  const pending: Promise<void>[] = [];
  const t0 = performance.now();
  for (let i = 0; !until(); i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const start = performance.now();
    pending.push(
      fetch(url + paths[i % paths.length]!, { headers })
        .then(async (r) => {
          await r.arrayBuffer();
          if (!r.ok) load.errors++;
          load.latencies.push(performance.now() - start);
        })
        .catch(() => void load.errors++),
    );
  }
  await Promise.all(pending);
  return load;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function main(): Promise<void> {
  const enterprises = Number(values.enterprises);
  const days = Number(values.days);
  const rate = Number(values.rate);
  const load = () =>
    loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
  console.log(
    `machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(1)} GB, Node ${process.version}; load average ${load()}`,
  );
  const dir = join(import.meta.dirname, 'out');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `train-load-${enterprises}x${days}.duckdb`);
  if (!existsSync(path)) {
    const t0 = performance.now();
    const { testCity } = await import('../pipeline/_test-city.ts');
    const { openMigratedDb } = await import('../pipeline/db/index.ts');
    const { loadSample } = await import('../pipeline/demo.ts');
    const { backfill } = await import('../pipeline/backfill.ts');
    const { addDays } = await import('../pipeline/modeling/days.ts');
    const city = testCity(enterprises, days, 11);
    const db = await openMigratedDb(path);
    await loadSample(db, { out: () => {}, err: () => {} }, `${city.dir}/`);
    const last = addDays(city.start, days - 1);
    await backfill(db, { from: addDays(last, -13), to: last, progress: false });
    await db.run('CHECKPOINT');
    db.close();
    console.log(`built ${path} in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }

  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', import.meta.filename, '--child', '--db', path],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, DOTENV_CONFIG_QUIET: 'true' },
    },
  );
  const lines = createInterface({ input: proc.stdout });
  const next = () =>
    new Promise<Record<string, unknown>>((resolve) =>
      lines.once('line', (l) => resolve(JSON.parse(l) as Record<string, unknown>)),
    );
  const send = (cmd: string) => proc.stdin.write(`${cmd}\n`);
  const { url, token } = (await next()) as { url: string; token: string };
  const headers = { authorization: `Bearer ${token}` };
  const paths = ['/v1/alerts?limit=50', '/v1/alerts?level=red&limit=50', '/v1/alerts?limit=20'];
  for (const p of paths) await fetch(url + p, { headers }).then((r) => r.arrayBuffer());

  const report = (title: string, l: Load, st: Stalls) => {
    const sorted = [...l.latencies].sort((x, y) => x - y);
    console.log(
      `${title.padEnd(34)} ${rate} req/s: ${l.latencies.length} answers, p50 ${percentile(sorted, 50).toFixed(0)} ms, ` +
        `p99 ${percentile(sorted, 99).toFixed(0)} ms, max ${(sorted.at(-1) ?? NaN).toFixed(0)} ms; errors ${l.errors}; ` +
        `longest event-loop stall ${st.maxMs.toFixed(0)} ms`,
    );
  };

  try {
    const baseline = Number(values.baseline);
    send('watch');
    const end = performance.now() + baseline * 1000;
    const idle = await openLoop(url, paths, headers, rate, () => performance.now() >= end);
    send('stalls');
    report('GET /v1/alerts, idle', idle, (await next()) as unknown as Stalls);

    // load until the job ends
    const during = async (command: string) => {
      send('watch');
      send(command);
      let finished: Record<string, unknown> | undefined;
      void next().then((d) => (finished = d));
      const load = await openLoop(url, paths, headers, rate, () => finished !== undefined);
      send('stalls');
      const stalls = (await next()) as unknown as Stalls;
      return { load, stalls, finished: finished! };
    };

    const catchUp = await during('catchup 7');
    const c = catchUp.finished as { caughtUp: number; seconds: number };
    console.log(`catch-up: ${c.caughtUp} daily runs in ${c.seconds.toFixed(0)} s`);
    report('GET /v1/alerts, while catching up', catchUp.load, catchUp.stalls);

    const training = await during('train');
    const f = training.finished as { status: string; trained: number; error: string | null };
    console.log(
      `training job: ${f.status} in ${f.trained.toFixed(0)} s${f.error ? ` (${f.error})` : ''}`,
    );
    report('GET /v1/alerts, while training', training.load, training.stalls);
  } finally {
    send('stop');
    await new Promise((r) => proc.once('exit', r));
    console.log(`load average after: ${load()}`);
  }
}
