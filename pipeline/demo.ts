/**
 * `dafei demo` / `npm start`: the sample city end to end. Loads data-samples/city, resolves,
 * publishes the list of the last day with the rule index, serves the dashboard at once, then —
 * behind it, on the job connection — trains a model (first run only; negatives sampled, trees on
 * worker threads) and activates it, re-publishes the last day with it, evaluates its recipe over
 * time (added to its registry entry) and backfills the last 30 days. The dashboard is reachable
 * within seconds; the lists fill in as the backfill goes. How long the first model takes:
 * bench/demo-start.ts.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Db } from './db/index.ts';
import {
  createUser,
  DEMO_PASSWORD,
  demoPasswordAccounts,
  isDemoDb,
  markDemoDb,
} from './auth/index.ts';
import { AppError } from './errors.ts';
import { readTree, type JurisdictionTree } from './jurisdictions/index.ts';
import { backfill } from './backfill.ts';
import { FEED_NAMES, formatCounts, ingest, type FeedName } from './feeds/index.ts';
import { addDays } from './modeling/days.ts';
import { formatEvaluation, lastDataDay } from './modeling/evaluate.ts';
import { activeVersion, recordEvaluation } from './modeling/registry.ts';
import { evaluateRecipe, trainAndRegister } from './modeling/train-job.ts';
import { resolve } from './resolve/index.ts';
import { runDay } from './run-day.ts';
import type { Io } from './cli.ts';

export const SAMPLE_DIR = fileURLToPath(new URL('../data-samples/city/', import.meta.url));

/**
 * Demo accounts (one per role), created only in a database that `dafei demo` made and marked as a
 * demo (app_meta); `dafei serve` refuses any other database with an account that has this password.
 */
export const DEMO_USERS = [
  { username: 'admin', role: 'admin' },
  { username: 'regulator', role: 'regulator' },
  { username: 'investigator', role: 'investigator' },
  { username: 'analyst', role: 'data_scientist' },
] as const;
export { DEMO_PASSWORD };

/**
 * A database an earlier `dafei demo` made (before databases were marked): its users are exactly
 * the demo accounts, each with the demo password. It is marked as a demo and used again.
 */
async function madeByAnEarlierDemo(db: Db): Promise<boolean> {
  const users = await db.all<{ username: string }>(`SELECT username FROM api_users ORDER BY 1`);
  const names = users.map((u) => u.username).join(',');
  if (
    names !==
    DEMO_USERS.map((u) => u.username)
      .sort()
      .join(',')
  )
    return false;
  return (await demoPasswordAccounts(db)).length === DEMO_USERS.length;
}

/** User names of the sample city's offices (others get office-CODE). */
const OFFICE_USERNAMES: Readonly<Record<string, string>> = {
  '4404': 'zhuhai',
  '440402': 'xiangzhou',
  '440403': 'doumen',
  '440404': 'jinwan',
  '440471': 'hengqin',
  '440472': 'gaoxin',
  '440473': 'gaolangang',
  '440474': 'wanshan',
};

/**
 * Demo accounts of the offices: a regulator of each city of the tree and of each office below a
 * city (districts and zones), so that lists, referrals and two-person decisions can be tried.
 */
export function officeDemoUsers(
  tree: JurisdictionTree,
): { username: string; role: 'regulator'; jurisdiction: string; label: string }[] {
  const cities = tree.nodes.filter((n) => n.kind === 'city');
  return cities.flatMap((city) =>
    [city, ...tree.children(city.code)].map((n) => ({
      username: OFFICE_USERNAMES[n.code] ?? `office-${n.code}`,
      role: 'regulator' as const,
      jurisdiction: n.code,
      label: tree.label(n.code),
    })),
  );
}

/** The sample's file for a feed; complaints come as GBK CSV, as government exports do. */
export function sampleFile(
  dir: string,
  feed: FeedName,
): { path: string; encoding?: string } | undefined {
  for (const name of [`${feed}.ndjson.gz`, `${feed}.ndjson`, `${feed}.csv.gz`, `${feed}.csv`]) {
    const path = `${dir}${name}`;
    if (existsSync(path))
      return feed === 'complaints' && name.includes('.csv') ? { path, encoding: 'gbk' } : { path };
  }
  return undefined;
}

export async function loadSample(db: Db, io: Io, dir = SAMPLE_DIR): Promise<void> {
  for (const feed of FEED_NAMES) {
    const file = sampleFile(dir, feed);
    if (!file) {
      io.err(`  ${feed}: no sample file in ${dir}`);
      continue;
    }
    const t0 = performance.now();
    const r = await ingest(db, {
      feed,
      source: file.path,
      ...(file.encoding ? { encoding: file.encoding } : {}),
    });
    io.out(
      `  ${feed.padEnd(21)} ${formatCounts(r)} (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
    );
  }
}

export interface DemoOptions {
  /** Starts the HTTP server; absent = no server (--no-serve). */
  serve?:
    | ((
        triggerRun: (day: string) => Promise<{ jobId: number | null }>,
      ) => Promise<{ url: string; close(): Promise<void> }>)
    | undefined;
  untilStopped: () => Promise<void>;
}

export async function runDemo(db: Db, io: Io, o: DemoOptions): Promise<number> {
  const t0 = performance.now();
  const since = () => `${((performance.now() - t0) / 1000).toFixed(0)} s`;
  io.out(`打非云 · Dafei demo — database ${db.path}`);
  if (!(await isDemoDb(db))) {
    const used = await db.one<{ n: number }>(
      `SELECT ((SELECT count(*) FROM ingest_batches) + (SELECT count(*) FROM api_users) + (SELECT count(*) FROM api_tokens))::INTEGER AS n`,
    );
    if (used!.n > 0 && !(await madeByAnEarlierDemo(db)))
      throw new AppError(
        'usage',
        `${db.path} holds data and was not made by dafei demo; the demo (and its published passwords) goes only into a new database: dafei demo --db var/demo.duckdb`,
      );
    await markDemoDb(db);
  }
  io.out('loading the sample city (data-samples/city):');
  await loadSample(db, io);
  const r = await resolve(db);
  io.out(
    `  linked ${r.ads.linked} ads and ${r.complaints.linked} complaints to enterprises (${since()})`,
  );
  const last = await lastDataDay(db);
  if (!last) throw new Error('the sample city holds no ads or complaints');
  const first = await runDay(db, last, { skipResolve: true });
  io.out(`  list of ${last}: ${first.listed} alerts (${first.scorer}) (${since()})`);
  // the demo accounts: one per role for the whole city, and a regulator of each office
  const existing = new Set(
    (await db.all<{ username: string }>(`SELECT username FROM api_users`)).map((u) => u.username),
  );
  const offices = officeDemoUsers(await readTree(db));
  for (const u of [...DEMO_USERS, ...offices])
    if (!existing.has(u.username))
      await createUser(db, { ...u, password: DEMO_PASSWORD, demo: true });
  let queue: Promise<unknown> = Promise.resolve();
  const server = o.serve
    ? await o.serve((day) => {
        // queued behind the demo's own work; its ledger row appears when it starts
        queue = queue.then(() => runDay(db, day));
        return Promise.resolve({ jobId: null });
      })
    : undefined;
  if (server) {
    io.out('');
    io.out(`  dashboard: ${server.url}/   (ready after ${since()})`);
    io.out(
      `  log in as ${DEMO_USERS.map((u) => u.username).join(' / ')} (whole tree) with password ${DEMO_PASSWORD}`,
    );
    if (offices.length > 0)
      io.out(
        `  offices (regulators): ${offices.map((u) => `${u.username} = ${u.label.split(' / ').pop() ?? u.label}`).join(', ')}`,
      );
    io.out(`  API reference: ${server.url}/docs`);
    io.out('');
  }
  // behind the server: a model (active as soon as it is trained; its recipe's evaluation over
  // time follows and is added to its registry entry), then the last 30 days
  queue = queue.then(async () => {
    if ((await activeVersion(db)) === null) {
      io.out(`training the first model… (${since()})`);
      const t = await trainAndRegister(db, { until: last, evalDays: 0 });
      const s = t.sampling;
      io.out(
        `  model version ${t.version} active: ${t.examples} examples, ${t.positives} positive${s && s.easyRate < 1 ? ` (negatives sampled at ${s.easyRate}, with ads or complaints at ${s.hardRate})` : ''} (${since()})`,
      );
      await runDay(db, last, { skipResolve: true });
      io.out(`  list of ${last} scored with the model (${since()})`);
      io.out(`evaluating the model's recipe over time on the last 60 days… (${since()})`);
      const evaluation = await evaluateRecipe(db, { until: last });
      if (evaluation) {
        await recordEvaluation(db, t.version, evaluation);
        io.out(formatEvaluation(evaluation, true));
      }
    }
    const b = await backfill(db, { from: addDays(last, -29), to: last });
    io.out(`backfill of the last 30 days: ${b.ran} run, ${b.skipped} already listed (${since()})`);
  });
  await queue.catch((err: unknown) => io.err(`demo: ${(err as Error).message}`));
  if (!server) return 0;
  io.out(`ready: ${server.url}/ — Ctrl-C to stop`);
  await o.untilStopped();
  await server.close();
  await queue.catch(() => undefined);
  return 0;
}
