/**
 * Load benchmark of the HTTP API with scoping on: the real server (api/server.ts,
 * @hono/node-server) on 127.0.0.1 in a child process, over a DuckDB file holding a city-sized
 * synthetic dataset (api/_fixtures.ts) under the sample city's tree of offices. The requests are
 * GET /v1/alerts as the offices would send them — a regulator of each district, the city, the whole
 * tree — with random days, levels, review states, keywords, jurisdiction filters (the city's),
 * page sizes and cursors of the second page, drawn from a seeded generator. bench/open-loop.ts
 * sends them at a steady rate (Poisson arrivals, open loop: a request is sent when it is due,
 * answered or not) for a fixed time (a bounded loop), and counts each latency from the time the
 * request was due. autocannon's `overallRate` run of the same requests is printed after the
 * rounds, for comparison with earlier figures: it sends each second's requests in a burst and
 * weights slow responses (bench/open-loop.ts says how), so its percentiles are higher.
 *
 *   node --import tsx bench/api-load.ts [--enterprises 20000] [--days 90] [--rate 200] [--duration 30]
 *                                       [--seed 14] [--rounds 2] [--history] [--cpu-prof DIR]
 *
 * Each round runs the scoped requests and the same requests as an account of the whole tree, in
 * alternating order, and prints the ratio of the worst rounds.
 *
 * Bar (issue 14): GET /v1/alerts p99 < 25 ms at 200 req/s with scoping on, no errors.
 * --history adds GET /v1/entities/{uscc}/history of enterprises of each account's area (bar of
 * issue 7: p99 < 50 ms). --soak SECONDS runs the scoped alerts and histories mixed, a minute at a
 * time, and prints the server's RSS after each minute (stable memory). --cpu-prof DIR writes the
 * server's V8 CPU profile (node --cpu-prof) into DIR when it stops.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { openLoop, quantile, uniform, type OpenLoopRequest } from './open-loop.ts';

const { values } = parseArgs({
  options: {
    enterprises: { type: 'string', default: '20000' },
    days: { type: 'string', default: '90' },
    rate: { type: 'string', default: '200' },
    duration: { type: 'string', default: '30' },
    connections: { type: 'string', default: '10' },
    seed: { type: 'string', default: '14' },
    rounds: { type: 'string', default: '2' },
    history: { type: 'boolean', default: false },
    soak: { type: 'string' },
    child: { type: 'boolean', default: false },
    db: { type: 'string' },
    'cpu-prof': { type: 'string' },
  },
});

/** The sample city's offices the fixture's districts belong to (data-samples/jurisdictions.json). */
const DISTRICT_OFFICES: Record<string, string> = {
  香洲区: '440402',
  斗门区: '440403',
  金湾区: '440404',
  横琴粤澳深度合作区: '440471',
  高新区: '440472',
};
const CITY = '4404';

if (values.child) {
  // child: open the database, serve, report the port on stdout
  const { openMigratedDb } = await import('../pipeline/db/index.ts');
  const { startServer } = await import('../api/index.ts');
  const db = await openMigratedDb(values.db!);
  const server = await startServer({
    db,
    port: 0,
    host: '127.0.0.1',
    log: (m, e) => process.stderr.write(`${m} ${String(e)}\n`),
  });
  process.stdout.write(JSON.stringify({ url: server.url }) + '\n');
  process.on('SIGTERM', () => {
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
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;
type Request = OpenLoopRequest;
interface Run {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  failed: number;
}

function load(): string {
  return loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
}

async function main(): Promise<void> {
  const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;
  const enterprises = Number(values.enterprises);
  const days = Number(values.days);
  const rate = Number(values.rate);
  const duration = Number(values.duration);
  const connections = Number(values.connections);
  // the same seed, the same requests
  const r = uniform(Number(values.seed));
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const dir = join(import.meta.dirname, 'out');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `api-${enterprises}x${days}.duckdb`);
  const cpu = cpus();
  console.log(
    `machine: ${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GB, Node ${process.version}`,
  );
  console.log(`load average (1, 5, 15 min) before: ${load()}`);
  const { openMigratedDb } = await import('../pipeline/db/index.ts');
  if (!existsSync(path)) {
    const t0 = performance.now();
    const { seedCity } = await import('../api/_fixtures.ts');
    const db = await openMigratedDb(path);
    await seedCity(db, { enterprises, days, seed: 11 });
    await db.run('CHECKPOINT');
    db.close();
    console.log(`built ${path} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }

  // the tree, the accounts, and what the requests will ask for
  type Account = { name: string; token: string; office: string | null };
  const accounts: Account[] = [];
  let listDays: string[];
  let words: string[];
  let areas: Map<string | null, string[]>;
  let adminToken = '';
  {
    const { ensureJurisdictions, ensureOffices } =
      await import('../pipeline/jurisdictions/index.ts');
    const { createToken } = await import('../pipeline/auth/index.ts');
    const db = await openMigratedDb(path);
    await ensureJurisdictions(db, null);
    const t0 = performance.now();
    await ensureOffices(db);
    console.log(`enterprise offices placed in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    adminToken = (await createToken(db, { name: 'bench admin', role: 'admin' })).token;
    for (const [name, office] of [
      ...Object.entries(DISTRICT_OFFICES),
      ['city', CITY],
      ['whole tree', null],
    ] as const) {
      const t = await createToken(db, {
        name: `bench ${name}`,
        role: 'regulator',
        ...(office === null ? {} : { jurisdiction: office }),
      });
      accounts.push({ name, token: t.token, office });
    }
    listDays = (
      await db.all<{ d: string }>(
        `SELECT DISTINCT day::VARCHAR AS d FROM list_revisions ORDER BY d`,
      )
    ).map((x) => x.d);
    const reg = await db.all<{ uscc: string; name: string; district: string }>(
      `SELECT uscc, name, district FROM registrations ORDER BY uscc`,
    );
    words = [...new Set(reg.map((x) => x.name.slice(2, 4)))].slice(0, 200);
    areas = new Map();
    for (const a of accounts)
      areas.set(
        a.office,
        reg
          .filter(
            (x) =>
              a.office === null || a.office === CITY || DISTRICT_OFFICES[x.district] === a.office,
          )
          .map((x) => x.uscc),
      );
    const c = await db.one<Record<string, number>>(
      `SELECT (SELECT count(*) FROM registrations)::INTEGER AS registrations, (SELECT count(*) FROM list_entries)::INTEGER AS list_entries,
              (SELECT count(*) FROM list_revisions)::INTEGER AS list_days, (SELECT max(listed) FROM list_revisions)::INTEGER AS listed_per_day`,
    );
    console.log(
      `data: ${Object.entries(c!)
        .map(([key, v]) => `${key} ${v.toLocaleString('en')}`)
        .join(', ')}; accounts: ${accounts.map((a) => a.name).join(', ')}`,
    );
    db.close();
  }

  const child = spawn(
    process.execPath,
    [
      ...(values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`] : []),
      '--import',
      'tsx',
      import.meta.filename,
      '--child',
      '--db',
      path,
    ],
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
  const { url } = JSON.parse(first) as { url: string };
  const auth = (a: Account) => ({ authorization: `Bearer ${a.token}` });

  try {
    /** A random GET /v1/alerts as one account might send it. */
    const randomQuery = (a: Account): string => {
      const q = new URLSearchParams();
      if (r() < 0.5) q.set('date', pick(listDays.slice(-30)));
      if (r() < 0.3) q.set('level', pick(['red', 'orange', 'yellow']));
      if (r() < 0.15) q.set('status', pick(['待核查', '核查中']));
      if (r() < 0.2) q.set('q', pick(words));
      if (a.office === CITY && r() < 0.5)
        q.set('jurisdiction', pick(Object.values(DISTRICT_OFFICES)));
      q.set('limit', String(pick([20, 50, 50, 50, 100, 200])));
      return `/v1/alerts?${q.toString()}`;
    };
    const n = Math.max(2000, rate * duration);
    const requests: Request[] = [];
    // second pages: a cursor is bound to its account and filters, so ask for page one first
    const seconds: { path: string; headers: Record<string, string> }[] = [];
    for (let i = 0; i < 300; i++) {
      const a = pick(accounts);
      const p = randomQuery(a);
      const res = await fetch(url + p, { headers: auth(a) });
      const body = (await res.json()) as { next_cursor?: string | null };
      if (body.next_cursor)
        seconds.push({ path: `${p}&cursor=${body.next_cursor}`, headers: auth(a) });
    }
    for (let i = 0; i < n; i++) {
      if (seconds.length > 0 && r() < 0.2) requests.push(pick(seconds));
      else {
        const a = pick(accounts);
        requests.push({ path: randomQuery(a), headers: auth(a) });
      }
    }
    const distinct = new Set(requests.map((x) => x.path + x.headers['authorization'])).size;
    console.log(
      `requests: ${n} drawn (seed ${values.seed}), ${distinct} distinct; ${seconds.length} second pages among them; accounts of ${accounts.length} offices`,
    );
    // warm up: every list day's revision once per account scope
    for (const a of accounts)
      await fetch(`${url}/v1/alerts?limit=1`, { headers: auth(a) }).then((x) => x.arrayBuffer());

    /** A steady `rate` of the requests (open loop, Poisson arrivals): the bar's measure. */
    let runs = 0;
    const run = async (title: string, reqs: readonly Request[], seconds_: number): Promise<Run> => {
      const res = await openLoop({ url, rate, seconds: seconds_, requests: reqs, seed: ++runs });
      const x: Run = {
        n: res.latencies.length,
        p50: quantile(res.latencies, 0.5),
        p90: quantile(res.latencies, 0.9),
        p99: quantile(res.latencies, 0.99),
        max: quantile(res.latencies, 1),
        failed: res.errors + res.non2xx,
      };
      const ms = (v: number) => `${v.toFixed(1)} ms`;
      console.log(
        `${title.padEnd(34)} ${rate} req/s × ${seconds_} s: ${res.sent} requests, p50 ${ms(x.p50)}, p90 ${ms(x.p90)}, ` +
          `p99 ${ms(x.p99)}, max ${ms(x.max)}; errors ${res.errors}, non-2xx ${res.non2xx}; ` +
          `at most ${res.maxInFlight} in flight; client late ≤ ${ms(res.maxSendDelay)}, p99 from sending ${ms(quantile(res.fromSend, 0.99))}`,
      );
      return x;
    };
    /** The same requests as autocannon sends them at `overallRate` (bursts: see bench/open-loop.ts). */
    const burst = async (
      title: string,
      reqs: readonly Request[],
      seconds_: number,
    ): Promise<void> => {
      let i = 0;
      const res = await autocannon({
        url,
        connections,
        overallRate: rate,
        duration: seconds_,
        requests: [
          {
            method: 'GET',
            setupRequest: (req: Record<string, unknown>) => {
              const x = reqs[i++ % reqs.length]!;
              return { ...req, path: x.path, headers: x.headers };
            },
          },
        ],
      });
      console.log(
        `${title.padEnd(34)} ${rate} req/s × ${seconds_} s: ${res.requests.total} requests, p50 ${res.latency.p50} ms, p90 ${res.latency.p90} ms, ` +
          `p99 ${res.latency.p99} ms, max ${res.latency.max} ms; errors ${res.errors}, timeouts ${res.timeouts}, non-2xx ${res.non2xx}`,
      );
    };

    const histories = (count: number) =>
      Array.from({ length: count }, () => {
        const acc = pick(accounts);
        return {
          path: `/v1/entities/${pick(areas.get(acc.office)!)}/history?limit=100`,
          headers: auth(acc),
        };
      });
    /**
     * The server's own time for GET `route` so far (its /metrics histogram): seconds, requests;
     * and the CPU time of the whole server process (every thread: JavaScript and DuckDB's).
     */
    const served = async (
      route: string,
    ): Promise<{ sum: number; n: number; cpu: number; within: Map<number, number> }> => {
      const text = await (
        await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${adminToken}` } })
      ).text();
      const value = (what: string) => {
        const prefix = `dafei_http_request_duration_seconds_${what}{method="GET",route="${route}"} `;
        const line = text.split('\n').find((l) => l.startsWith(prefix));
        return line ? Number(line.slice(prefix.length)) : 0;
      };
      const cpu = Number(/^process_cpu_seconds_total (\S+)$/m.exec(text)?.[1] ?? Number.NaN);
      // the histogram's cumulative buckets: requests served within each bound (seconds)
      const within = new Map<number, number>();
      const bucket = `dafei_http_request_duration_seconds_bucket{method="GET",route="${route}",le="`;
      for (const line of text.split('\n'))
        if (line.startsWith(bucket)) {
          const le = line.slice(bucket.length, line.indexOf('"', bucket.length));
          if (le !== '+Inf') within.set(Number(le), Number(line.slice(line.lastIndexOf(' ') + 1)));
        }
      return { sum: value('sum'), n: value('count'), cpu, within };
    };
    /** Runs `fn` and prints the server's mean time per request of `route` meanwhile. */
    const withServerTime = async <T>(route: string, fn: () => Promise<T>): Promise<T> => {
      const before = await served(route);
      const out = await fn();
      const after = await served(route);
      const n = after.n - before.n;
      const perRequest = (seconds: number) => (n > 0 ? ((seconds / n) * 1000).toFixed(1) : '–');
      // the smallest bucket bound that holds a share q of the requests (an upper bound of that percentile)
      const bound = (q: number) => {
        for (const [le, count] of after.within)
          if (count - (before.within.get(le) ?? 0) >= q * n) return `≤ ${le * 1000} ms`;
        return '> 10 s';
      };
      const in25 = (after.within.get(0.025) ?? 0) - (before.within.get(0.025) ?? 0);
      console.log(
        `  server time per request (its own histogram): mean ${perRequest(after.sum - before.sum)} ms over ${n}, ` +
          `p50 ${bound(0.5)}, p99 ${bound(0.99)}, ${n > 0 ? ((in25 / n) * 100).toFixed(1) : '–'} % within 25 ms; ` +
          `server CPU per request (all its threads): ${perRequest(after.cpu - before.cpu)} ms`,
      );
      return out;
    };
    const rss = async (): Promise<number> => {
      const text = await (
        await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${adminToken}` } })
      ).text();
      return Number(/process_resident_memory_bytes (\d+)/.exec(text)?.[1] ?? 0) / 2 ** 20;
    };
    if (values.soak) {
      const total = Number(values.soak);
      const hist = histories(n);
      const mixed = requests.flatMap((x, j) => [x, hist[j % hist.length]!]);
      console.log(`soak: ${total} s of scoped alerts + histories at ${rate} req/s; RSS every 60 s`);
      console.log(`  t=0 s RSS ${(await rss()).toFixed(0)} MB`);
      let worst = 0;
      let errors = 0;
      for (let t = 60; t <= total; t += 60) {
        const x = await run(`  minute ${t / 60}`, mixed, 60);
        worst = Math.max(worst, x.p99);
        errors += x.failed;
        console.log(`  t=${t} s RSS ${(await rss()).toFixed(0)} MB, load average ${load()}`);
      }
      console.log(`soak done: worst minute p99 ${worst} ms, errors ${errors}`);
      return;
    }
    // side by side, alternating (the machine's load drifts): the same requests as an account of
    // the whole tree (no scoping, no jurisdiction filter, first pages)
    const whole = accounts.find((x) => x.office === null)!;
    const unscoped = requests.map((x) => ({
      path: x.path.replace(/&?jurisdiction=\d+/, '').replace(/&cursor=[^&]+/, ''),
      headers: auth(whole),
    }));
    // and 5 s of the mixed load itself (JIT, caches of each list and area), not counted
    await run('warm-up (not counted)', [...requests.slice(0, 500), ...unscoped.slice(0, 500)], 5);
    const scopedRuns: Run[] = [];
    const wholeRuns: Run[] = [];
    for (let round = 1; round <= Number(values.rounds); round++) {
      const order = round % 2 === 1 ? ['scoped', 'whole'] : ['whole', 'scoped'];
      for (const which of order) {
        if (which === 'scoped')
          scopedRuns.push(
            await withServerTime('/v1/alerts', () =>
              run(`GET /v1/alerts scoped, round ${round}`, requests, duration),
            ),
          );
        else
          wholeRuns.push(
            await withServerTime('/v1/alerts', () =>
              run(`GET /v1/alerts whole tree, round ${round}`, unscoped, duration),
            ),
          );
        console.log(`  load average: ${load()}`);
      }
    }
    const worst = (xs: Run[]) => xs.reduce((m, x) => (x.p99 > m.p99 ? x : m));
    const best = (xs: Run[]) => xs.reduce((m, x) => (x.p99 < m.p99 ? x : m));
    const a = worst(scopedRuns);
    const u = worst(wholeRuns);
    console.log(
      `scoped / whole tree (worst rounds): p50 ${(a.p50 / u.p50).toFixed(2)}×, p99 ${(a.p99 / u.p99).toFixed(2)}×; best scoped round p99 ${best(scopedRuns).p99.toFixed(1)} ms`,
    );
    // for comparison with figures taken before (bench/open-loop.ts says why they differ)
    await withServerTime('/v1/alerts', () =>
      burst('GET /v1/alerts scoped, autocannon', requests, duration),
    );
    console.log(`  load average: ${load()}`);
    const ok = (x: Run, bar: number) => x.p99 < bar && x.failed === 0;
    let verdict = `bars: alerts (scoped, worst round) p99 ${a.p99.toFixed(1)} ms < 25 ms ${ok(a, 25) ? 'PASS' : 'FAIL'}`;
    if (values.history) {
      const h = await withServerTime('/v1/entities/{uscc}/history', () =>
        run('GET /v1/entities/{uscc}/history', histories(n), duration),
      );
      console.log(`load average after history: ${load()}`);
      verdict += `; history p99 ${h.p99.toFixed(1)} ms < 50 ms ${ok(h, 50) ? 'PASS' : 'FAIL'}`;
    }
    console.log(verdict);
  } finally {
    child.kill('SIGTERM');
    await new Promise((res) => child.once('exit', res));
    // the built database stays in bench/out (git-ignored) for the next run
  }
}
