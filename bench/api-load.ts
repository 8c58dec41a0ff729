/**
 * Load benchmark of the HTTP API (issue 7): the real server (api/server.ts, @hono/node-server) on
 * 127.0.0.1 in a child process, over a DuckDB file holding a city-sized synthetic dataset
 * (api/_fixtures.ts: enterprises × days of published lists, ads, complaints, links, features).
 * autocannon drives a fixed request rate and reports latency percentiles.
 *
 *   node --import tsx bench/api-load.ts [--enterprises 20000] [--days 90] [--rate 200] [--duration 30]
 *   node --import tsx bench/api-load.ts --soak 600       # 10-minute mixed soak, RSS every minute
 *
 * Bars: GET /v1/alerts p99 < 25 ms, GET /v1/entities/{uscc}/history p99 < 50 ms at 200 req/s,
 * no errors; stable memory over the soak.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    enterprises: { type: 'string', default: '20000' },
    days: { type: 'string', default: '90' },
    rate: { type: 'string', default: '200' },
    duration: { type: 'string', default: '30' },
    connections: { type: 'string', default: '10' },
    soak: { type: 'string' },
    child: { type: 'boolean', default: false },
    db: { type: 'string' },
  },
});

if (values.child) {
  // child: open the database, serve, report the port and a token on stdout
  const { openMigratedDb } = await import('../pipeline/db/index.ts');
  const { startServer } = await import('../api/index.ts');
  const { createToken } = await import('../pipeline/auth/index.ts');
  const db = await openMigratedDb(values.db!);
  const admin = await createToken(db, { name: 'bench', role: 'admin' });
  const server = await startServer({
    db,
    port: 0,
    host: '127.0.0.1',
    log: (m, e) => process.stderr.write(`${m} ${String(e)}\n`),
  });
  process.stdout.write(JSON.stringify({ url: server.url, token: admin.token }) + '\n');
  process.on('SIGTERM', () => {
    // once, after a 10-minute soak, the child did not exit after SIGTERM (not reproduced since)
    setTimeout(() => {
      process.stderr.write('server did not close within 10 s; exiting\n');
      process.exit(1);
    }, 10_000).unref();
    void server.close().then(() => {
      db.close();
      process.exit(0);
    });
  });
} else {
  await main();
}

interface AutocannonResult {
  latency: { p50: number; p90: number; p99: number; max: number; average: number };
  requests: { total: number; average: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;

async function main(): Promise<void> {
  const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;
  const enterprises = Number(values.enterprises);
  const days = Number(values.days);
  const rate = Number(values.rate);
  const duration = Number(values.duration);
  const connections = Number(values.connections);
  const dir = join(import.meta.dirname, 'out');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `api-${enterprises}x${days}.duckdb`);
  console.log(
    `machine: ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GB, Node ${process.version}`,
  );
  if (!existsSync(path)) {
    const t0 = performance.now();
    const { openMigratedDb } = await import('../pipeline/db/index.ts');
    const { seedCity } = await import('../api/_fixtures.ts');
    const db = await openMigratedDb(path);
    await seedCity(db, { enterprises, days, seed: 11 });
    await db.run('CHECKPOINT');
    db.close();
    console.log(`built ${path} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const { openMigratedDb } = await import('../pipeline/db/index.ts');
  // enterprises for the history load: enough distinct ones that no timeline is asked twice
  let sample: string[];
  {
    const db = await openMigratedDb(path);
    sample = (
      await db.all<{ uscc: string }>(
        `SELECT uscc FROM (SELECT DISTINCT uscc FROM registrations) ORDER BY hash(uscc) LIMIT $n`,
        { n: Math.max(1000, rate * duration) },
      )
    ).map((r) => r.uscc);
    const c = await db.one<Record<string, number>>(
      `SELECT (SELECT count(*) FROM registrations)::INTEGER AS registrations, (SELECT count(*) FROM ads)::INTEGER AS ads,
              (SELECT count(*) FROM complaints)::INTEGER AS complaints, (SELECT count(*) FROM list_entries)::INTEGER AS list_entries,
              (SELECT count(*) FROM list_revisions)::INTEGER AS list_days, (SELECT max(listed) FROM list_revisions)::INTEGER AS listed_per_day`,
    );
    console.log(
      `data: ${Object.entries(c!)
        .map(([k, v]) => `${k} ${v.toLocaleString('en')}`)
        .join(', ')}`,
    );
    db.close();
  }

  const child = spawn(
    process.execPath,
    ['--import', 'tsx', import.meta.filename, '--child', '--db', path],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, DOTENV_CONFIG_QUIET: 'true' },
    },
  );
  const first = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout });
    rl.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  const { url, token } = JSON.parse(first) as { url: string; token: string };
  const headers = { authorization: `Bearer ${token}` };
  const rss = async (): Promise<number> => {
    const text = await (await fetch(`${url}/metrics`, { headers })).text();
    return Number(/process_resident_memory_bytes (\d+)/.exec(text)![1]) / 2 ** 20;
  };
  const get = async <T>(p: string): Promise<T> =>
    (await (await fetch(url + p, { headers })).json()) as T;

  try {
    // request mixes: alerts pages / filters; histories of listed and random enterprises
    const alerts = await get<{ date: string; items: { uscc: string }[]; next_cursor: string }>(
      '/v1/alerts?limit=50',
    );
    const alertPaths = [
      '/v1/alerts?limit=50',
      `/v1/alerts?limit=50&cursor=${alerts.next_cursor}`,
      '/v1/alerts?level=red&limit=50',
      `/v1/alerts?date=${alerts.date}&limit=20`,
      '/v1/alerts?district=%E9%A6%99%E6%B4%B2%E5%8C%BA&limit=50',
      '/v1/alerts?limit=200',
    ];
    // listed enterprises (long timelines) interleaved with the sample (cold: each asked once)
    const listed = (await get<{ items: { uscc: string }[] }>(`/v1/alerts?limit=200`)).items.map(
      (i) => i.uscc,
    );
    const usccs = sample.flatMap((u, j) =>
      j % 5 === 0 ? [listed[(j / 5) % listed.length]!, u] : [u],
    );
    const historyPaths = usccs.map((u) => `/v1/entities/${u}/history?limit=100`);

    // warm up
    for (const p of [...alertPaths, ...historyPaths.slice(0, 20)])
      await fetch(url + p, { headers }).then((r) => r.arrayBuffer());

    const run = async (
      title: string,
      paths: string[],
      seconds: number,
    ): Promise<AutocannonResult> => {
      let i = 0;
      const r = await autocannon({
        url,
        connections,
        overallRate: rate,
        duration: seconds,
        headers,
        requests: [
          {
            method: 'GET',
            setupRequest: (req: Record<string, unknown>) => ({
              ...req,
              path: paths[i++ % paths.length],
            }),
          },
        ],
      });
      console.log(
        `${title.padEnd(34)} ${rate} req/s × ${seconds} s: ${r.requests.total} requests, p50 ${r.latency.p50} ms, p90 ${r.latency.p90} ms, ` +
          `p99 ${r.latency.p99} ms, max ${r.latency.max} ms; errors ${r.errors}, timeouts ${r.timeouts}, non-2xx ${r.non2xx}`,
      );
      return r;
    };

    if (values.soak) {
      const total = Number(values.soak);
      const mixed = alertPaths.flatMap((p, j) => [p, historyPaths[j % historyPaths.length]!]);
      console.log(`soak: ${total} s of mixed alerts + history at ${rate} req/s; RSS every 60 s`);
      console.log(`  t=0 s RSS ${(await rss()).toFixed(0)} MB`);
      let worst = 0;
      let errors = 0;
      for (let t = 60; t <= total; t += 60) {
        const r = await run(`  minute ${t / 60}`, mixed, 60);
        worst = Math.max(worst, r.latency.p99);
        errors += r.errors + r.non2xx + r.timeouts;
        console.log(`  t=${t} s RSS ${(await rss()).toFixed(0)} MB`);
      }
      console.log(`soak done: worst minute p99 ${worst} ms, errors ${errors}`);
      return;
    }

    const rss0 = await rss();
    console.log(`server RSS before: ${rss0.toFixed(0)} MB`);
    const a = await run('GET /v1/alerts', alertPaths, duration);
    const rss1 = await rss();
    const h = await run('GET /v1/entities/{uscc}/history', historyPaths, duration);
    const rss2 = await rss();
    console.log(
      `server RSS after alerts: ${rss1.toFixed(0)} MB, after history: ${rss2.toFixed(0)} MB`,
    );
    const ok = (r: AutocannonResult, bar: number) =>
      r.latency.p99 < bar && r.errors + r.non2xx + r.timeouts === 0;
    console.log(
      `bars: alerts p99 ${a.latency.p99} ms < 25 ms ${ok(a, 25) ? 'PASS' : 'FAIL'}; history p99 ${h.latency.p99} ms < 50 ms ${ok(h, 50) ? 'PASS' : 'FAIL'}`,
    );
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    // the built database stays in bench/out (git-ignored) for the next run
  }
}
