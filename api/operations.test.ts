/**
 * Operations end to end, with a real server on 127.0.0.1 over a real database file:
 * - a backup taken by the running server (through its admin socket, as `dafei backup` does) while
 *   it answers reads and a daily run is half-way through publishing; restored into a new file,
 *   every published list identical;
 * - a backup killed with SIGKILL half-way: refused by restore, the previous backup still restores;
 * - a drop folder with a corrupt gzip between two good files, and an HTTP feed whose required
 *   field was renamed (held, cursor not moved, released by an admin), as the 运行 page and
 *   GET /v1/runs show them;
 * - POST /v1/runs: 202 with the job id, 409 while that day is queued or running.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  watch,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../pipeline/auth/index.ts';
import { main } from '../pipeline/cli.ts';
import { FileConfigSchema, type Config } from '../pipeline/config.ts';
import { openDb, openMigratedDb, type Db } from '../pipeline/db/index.ts';
import { loadSample } from '../pipeline/demo.ts';
import { ADS, tmpDir, toNdjson } from './_feed-lines.ts';
import { adminSocketPath } from '../pipeline/admin-socket/index.ts';
import { databaseFacts, listBackups, restore, type BackupManifest } from '../pipeline/ops/index.ts';
import { runDay } from '../pipeline/run-day.ts';
import { createScheduler, type Scheduler } from '../pipeline/scheduler.ts';
import { cityUpTo, testCity } from '../pipeline/_test-city.ts';
import { startServer, type RunningServer } from './server.ts';

const quiet = { out: () => {}, err: () => {} };

/**
 * The scheduler's database, with one pause: once armed, a transaction that has written list
 * entries waits (uncommitted) until released — a daily run caught half-way through publishing.
 */
function pausePublish(db: Db) {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let reached!: () => void;
  const atPublish = new Promise<void>((r) => (reached = r));
  let armed = false;
  const wrap = (inner: Db, inTx: boolean): Db => ({
    get path() {
      return inner.path;
    },
    run: async (sql, params) => {
      await inner.run(sql, params);
      if (armed && inTx && sql.includes('INSERT INTO list_entries')) {
        reached();
        await released;
      }
    },
    all: (sql, params) => inner.all(sql, params),
    one: (sql, params) => inner.one(sql, params),
    stream: (sql, params) => inner.stream(sql, params),
    streamChunks: (sql, params) => inner.streamChunks(sql, params),
    transaction: (fn) => inner.transaction((tx) => fn(wrap(tx, true))),
    fork: () => inner.fork(),
    checkpoint: () => inner.checkpoint(),
    close: () => inner.close(),
  });
  return { db: wrap(db, false), arm: () => (armed = true), atPublish, release };
}

let feedServer: Server;
let feedBase = '';
let renamed = true;

const dir = tmpDir('dafei-ops-');
const path = join(dir, 'ops.duckdb');
const backups = join(dir, 'backups');
const drop = join(dir, 'drop');
let db: Db;
let scheduler: Scheduler;
let server: RunningServer;
let adminDb: Db;
let pause: ReturnType<typeof pausePublish>;
let admin = '';
let regulator = '';

function config(): Config {
  return {
    ...FileConfigSchema.parse({
      daily_run: { cron: '0 6 * * *', catch_up_days: 0 },
      sources: [
        { name: 'drop', feed: 'ads', source: drop, cron: '0 0 1 1 *' },
        { name: 'feed', feed: 'ads', source: `${feedBase}/ads.ndjson`, cron: '0 0 1 1 *' },
      ],
    }),
    dbPath: path,
    port: 0,
    host: '127.0.0.1',
    configFile: null,
    adminSocket: null,
    smtpPassword: null,
    jurisdictionsFile: null,
  };
}

const api = (p: string, token: string, init: RequestInit = {}) =>
  fetch(`${server.url}${p}`, {
    ...init,
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      ...(init.headers as Record<string, string> | undefined),
    },
  });

beforeAll(async () => {
  feedServer = createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    const recs: Record<string, unknown>[] = ADS.map((a, i) => ({
      ...a,
      ad_id: `H${url.searchParams.has('since') ? 2 : 1}-${i}`,
    }));
    const body = renamed ? recs.map(({ text, ...r }) => ({ ...r, content: text })) : recs;
    res.writeHead(200, { 'content-type': 'application/x-ndjson' }).end(toNdjson(body));
  });
  await new Promise<void>((r) => feedServer.listen(0, '127.0.0.1', r));
  feedBase = `http://127.0.0.1:${(feedServer.address() as AddressInfo).port}`;

  db = await openMigratedDb(path);
  await loadSample(db, quiet, `${cityUpTo(testCity(), '2026-03-10')}/`);
  await runDay(db, '2026-03-08');
  await runDay(db, '2026-03-09');
  admin = (await createToken(db, { name: 'ops-admin', role: 'admin' })).token;
  regulator = (await createToken(db, { name: 'ops-regulator', role: 'regulator' })).token;
  pause = pausePublish(db);
  const cfg = config();
  scheduler = createScheduler({
    db: pause.db,
    config: cfg,
    schedule: () => ({ stop() {} }),
    log: () => {},
  });
  await scheduler.start();
  server = await startServer({
    db,
    config: cfg,
    port: 0,
    host: '127.0.0.1',
    warm: false,
    log: () => {},
    triggerRun: async (day) => ({ jobId: (await scheduler.trigger('run', day)).jobId }),
    exclusive: (name, fn) => scheduler.exclusive(name, fn),
    adminSocket: adminSocketPath(path)!,
  });
  adminDb = await db.fork();
}, 120_000);

afterAll(async () => {
  await server?.close();
  await scheduler?.stop();
  adminDb?.close();
  try {
    db?.close();
  } catch {
    // closed by a test
  }
  await new Promise<void>((r) => feedServer.close(() => r()));
});

describe('backup and restore', () => {
  let firstManifest: BackupManifest;

  it('backs up while the server answers reads and a daily run is publishing; restores identical', async () => {
    pause.arm();
    const queued = await api('/v1/runs', admin, {
      method: 'POST',
      body: JSON.stringify({ date: '2026-03-10' }),
    });
    expect(queued.status).toBe(202);
    const { job_id: jobId, status } = (await queued.json()) as { job_id: number; status: string };
    expect(status).toBe('queued');
    await pause.atPublish; // the run has written its list, not committed it
    const again = await api('/v1/runs', admin, {
      method: 'POST',
      body: JSON.stringify({ date: '2026-03-10' }),
    });
    expect(again.status).toBe(409);

    // reads go on during the backup: the latest complete list is still the 9th's
    const reads = Array.from({ length: 20 }, async () => {
      const r = await api('/v1/alerts?limit=20', regulator);
      return [r.status, ((await r.json()) as { date: string }).date];
    });
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['backup', '--db', path, '--to', backups], {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
    });
    expect([code, err]).toEqual([0, [`  (done by the server that holds ${path})`]]);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(
      /^backup .*dafei-\d{8}T\d{6}Z: \d+ tables, \d+ rows, 2 published lists, /,
    );
    expect(await Promise.all(reads)).toEqual(Array.from({ length: 20 }, () => [200, '2026-03-09']));

    const [b] = listBackups(backups);
    firstManifest = JSON.parse(
      readFileSync(join(b!.dir, 'manifest.json'), 'utf8'),
    ) as BackupManifest;
    // the snapshot: the two committed lists, the run caught in the act, nothing of its list
    expect(firstManifest.lists.map((l) => [l.day, l.revision])).toEqual([
      ['2026-03-08', 1],
      ['2026-03-09', 1],
    ]);
    expect(firstManifest.running_jobs).toEqual([
      { run_id: jobId, job: 'run', target: '2026-03-10', status: 'running' },
    ]);

    pause.release();
    await scheduler.idle();
    expect(
      await adminDb.all(`SELECT day::VARCHAR AS day, revision FROM list_revisions ORDER BY day`),
    ).toEqual([
      { day: '2026-03-08', revision: 1 },
      { day: '2026-03-09', revision: 1 },
      { day: '2026-03-10', revision: 1 },
    ]);

    const restoredPath = join(dir, 'restored.duckdb');
    const rout: string[] = [];
    expect(
      await main(['restore', '--from', backups, '--db', restoredPath], {
        out: (l) => rout.push(l),
        err: (l) => rout.push(l),
      }),
    ).toBe(0);
    expect(rout[0]).toMatch(/tables, \d+ rows and 2 published lists verified identical/);
    const restored = await openDb(restoredPath);
    try {
      const got = await databaseFacts(restored);
      expect(got.lists).toEqual(firstManifest.lists);
      // identical to the source's lists, entry by entry (the source went on to publish the 10th)
      const source = await databaseFacts(adminDb);
      expect(source.lists.filter((l) => l.day !== '2026-03-10')).toEqual(got.lists);
      for (const day of ['2026-03-08', '2026-03-09']) {
        const q = `SELECT uscc, rank, score, level, rule_score, reasons::VARCHAR AS reasons FROM list_entries WHERE day = '${day}' ORDER BY rank`;
        expect(await restored.all(q)).toEqual(await adminDb.all(q));
      }
      expect(got.tables['list_entries']).toBe(firstManifest.tables['list_entries']);
      // sequences go on past the restored rows
      const ids = await restored.one<{ max: number; next: number }>(
        `SELECT (SELECT max(run_id) FROM job_runs)::INTEGER AS max, nextval('job_run_seq')::INTEGER AS next`,
      );
      expect(ids!.next).toBeGreaterThan(ids!.max);
    } finally {
      restored.close();
    }
    // a restore never overwrites
    await expect(restore({ from: backups, db: restoredPath })).rejects.toThrow(
      /exists: a restore never overwrites/,
    );
  });

  it('a damaged copy is refused', async () => {
    const [b] = listBackups(backups);
    const bad = join(dir, 'damaged', 'dafei-20000101T000000Z');
    cpSync(b!.dir, bad, { recursive: true });
    const file = join(bad, 'dafei.duckdb');
    const bytes = readFileSync(file);
    bytes[bytes.length >> 1] = bytes[bytes.length >> 1]! ^ 0xff;
    writeFileSync(file, bytes);
    await expect(restore({ from: bad, db: join(dir, 'never.duckdb') })).rejects.toThrow(
      /dafei\.duckdb is damaged: its sha256 is [0-9a-f]{64}, the manifest says [0-9a-f]{64}/,
    );
    expect(existsSync(join(dir, 'never.duckdb'))).toBe(false);
  });

  it('SIGKILL during a backup: that backup is refused, the previous one restores', async () => {
    // the server lets go of the file; the command line backs up directly
    await server.close();
    await scheduler.stop();
    adminDb.close();
    db.close();
    const before = new Set(readdirSync(backups));
    const child = spawn(
      process.execPath,
      ['bin/dafei.js', 'backup', '--db', path, '--to', backups],
      {
        stdio: 'ignore',
      },
    );
    const started = await new Promise<string>((resolve, reject) => {
      const w = watch(backups, (_e, name) => {
        if (name && !before.has(name.toString())) {
          child.kill('SIGKILL'); // as soon as the backup folder appears
          w.close();
          resolve(name.toString());
        }
      });
      child.once('exit', () => reject(new Error('the backup ended before it could be killed')));
    });
    if (child.exitCode === null && child.signalCode === null)
      await new Promise((r) => child.once('exit', r));
    expect(child.signalCode).toBe('SIGKILL');
    const broken = join(backups, started);
    expect(existsSync(join(broken, 'manifest.json'))).toBe(false);

    const cli = (args: string[]) =>
      spawnSync(process.execPath, ['bin/dafei.js', ...args], { encoding: 'utf8' });
    const refused = cli(['restore', '--from', broken, '--db', join(dir, 'from-broken.duckdb')]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toBe(
      `dafei restore: ${broken} is an incomplete backup (it has no manifest.json: the backup was interrupted); refused\n`,
    );
    expect(existsSync(join(dir, 'from-broken.duckdb'))).toBe(false);
    const ok = cli(['restore', '--from', backups, '--db', join(dir, 'from-previous.duckdb')]);
    expect(ok.status).toBe(0);
    const restored = await openDb(join(dir, 'from-previous.duckdb'));
    try {
      expect((await databaseFacts(restored)).lists).toEqual(firstManifest.lists);
    } finally {
      restored.close();
    }

    // the next complete backup, with retention 1: the older backup and the broken one go
    const next = cli(['backup', '--db', path, '--to', backups, '--keep', '1']);
    expect(next.status).toBe(0);
    expect(next.stdout).toMatch(/3 published lists, .*; removed 2 older\n$/);
    expect(listBackups(backups).map((b) => b.complete)).toEqual([true]);
  });
});

describe('feed failures on the 运行 page and in GET /v1/runs', () => {
  // these run on their own server over the same file (the previous describe closed it)
  beforeAll(async () => {
    db = await openMigratedDb(path);
    const cfg = config();
    scheduler = createScheduler({
      db,
      config: cfg,
      schedule: () => ({ stop() {} }),
      log: () => {},
    });
    server = await startServer({
      db,
      config: cfg,
      port: 0,
      host: '127.0.0.1',
      warm: false,
      log: () => {},
      exclusive: (name, fn) => scheduler.exclusive(name, fn),
      adminSocket: adminSocketPath(path)!,
    });
    adminDb = await db.fork();
  });

  it('good / corrupt gzip / good: both good files land, the bad one is moved aside and shown', async () => {
    mkdirSync(drop);
    writeFileSync(join(drop, 'a.ndjson'), toNdjson([{ ...ADS[0]!, ad_id: 'D-1' }]));
    writeFileSync(join(drop, 'b.ndjson.gz'), gzipSync(Buffer.from(toNdjson(ADS))).subarray(0, 20));
    writeFileSync(join(drop, 'c.ndjson'), toNdjson([{ ...ADS[0]!, ad_id: 'D-3' }]));
    await (
      await scheduler.trigger('pull:drop')
    ).done;
    expect(
      await adminDb.all(`SELECT ad_id FROM ads WHERE ad_id LIKE 'D-%' ORDER BY ad_id`),
    ).toEqual([{ ad_id: 'D-1' }, { ad_id: 'D-3' }]);
    expect(readdirSync(join(drop, '.rejected')).sort()).toEqual([
      'b.ndjson.gz',
      'b.ndjson.gz.reason.txt',
    ]);
    const runs = (await (await api('/v1/runs?job=pull:drop', admin)).json()) as {
      items: { status: string; counts: { files: number; rejected: number } }[];
      rejected_files: { file_name: string; reason: string }[];
    };
    expect(runs.items.map((r) => [r.status, r.counts.files, r.counts.rejected])).toEqual([
      ['warning', 2, 1],
    ]);
    expect(runs.rejected_files.map((f) => f.file_name)).toEqual(['b.ndjson.gz']);
    const page = await (
      await fetch(`${server.url}/ui/runs`, { headers: { cookie: `dafei_session=${regulator}` } })
    ).text();
    expect(page).toContain('无法读取、已移出的文件');
    expect(page).toMatch(/b\.ndjson\.gz<\/td>/);
    expect(page).toContain('unexpected end of file');
  });

  it('a feed with a renamed required field is held; the cursor stays; an admin releases it', async () => {
    const feedUrl = `${feedBase}/ads.ndjson`;
    await (
      await scheduler.trigger('pull:feed')
    ).done;
    const cursors = () =>
      adminDb.all(`SELECT since FROM http_cursors WHERE url = $u`, { u: feedUrl });
    expect(await cursors()).toEqual([]);
    const asAdmin = (await (await api('/v1/runs', admin)).json()) as {
      held_batches: { batch_id: number; source: string; reason: string }[];
    };
    expect(asAdmin.held_batches.map((h) => [h.source, h.reason])).toEqual([
      [feedUrl, 'every line (2) lacks the required field text: did the source rename it?'],
    ]);
    // URLs are for admins only
    const asRegulator = (await (await api('/v1/runs', regulator)).json()) as {
      items: { target: string | null }[];
      held_batches: { source: string }[];
    };
    expect(asRegulator.held_batches.map((h) => h.source)).toEqual(['[URL: admins only]']);
    expect(JSON.stringify(asRegulator)).not.toContain(feedBase);
    // the 运行 page shows it, with the buttons for admins only
    const page = (token: string) =>
      fetch(`${server.url}/ui/runs`, { headers: { cookie: `dafei_session=${token}` } }).then((r) =>
        r.text(),
      );
    const forAdmin = await page(admin);
    expect(forAdmin).toContain('暂扣批次');
    expect(forAdmin).toContain('did the source rename it?');
    expect(forAdmin).toContain('放行');
    expect(await page(regulator)).not.toContain('value="release"');
    // for alerting
    const metric = async () =>
      /^dafei_ops_held_batches (\d+)$/m.exec(await (await api('/metrics', admin)).text())?.[1];
    expect(await metric()).toBe('1');
    // release: the lines are applied as they are (each quarantined), the cursor moves
    const batch = asAdmin.held_batches[0]!.batch_id;
    expect(
      (await api(`/v1/held/${batch}/release`, regulator, { method: 'POST', body: '{}' })).status,
    ).toBe(403);
    const released = await api(`/v1/held/${batch}/release`, admin, { method: 'POST', body: '{}' });
    expect(released.status).toBe(200);
    expect(await released.json()).toMatchObject({
      batch,
      counts: 'read 2, accepted 0, duplicate 0, corrected 0, quarantined 2',
    });
    expect((await cursors()).length).toBe(1);
    expect(await metric()).toBe('0');
    expect(
      (await api(`/v1/held/${batch}/release`, admin, { method: 'POST', body: '{}' })).status,
    ).toBe(409);
    // the source is fixed: the next pull sends since and lands
    renamed = false;
    await (
      await scheduler.trigger('pull:feed')
    ).done;
    expect(
      await adminDb.all(`SELECT ad_id FROM ads WHERE ad_id LIKE 'H2-%' ORDER BY ad_id`),
    ).toEqual([{ ad_id: 'H2-0' }, { ad_id: 'H2-1' }]);
    // and the admin socket lists it as released
    const out: string[] = [];
    expect(
      await main(['held', '--db', path, 'list', '--all'], {
        out: (l) => out.push(l),
        err: () => {},
      }),
    ).toBe(0);
    expect(out).toEqual([
      expect.stringMatching(
        new RegExp(`^batch ${batch}  released  ads  ${feedUrl}  held .*\\(released by ops-admin `),
      ),
    ]);
  });

  it('db stats through the admin socket shows what takes the space', async () => {
    const out: string[] = [];
    expect(
      await main(['db', '--db', path, 'stats'], { out: (l) => out.push(l), err: () => {} }),
    ).toBe(0);
    expect(out[0]).toMatch(
      /ops\.duckdb: file [\d.]+ MiB, write-ahead log [\d.]+ MiB; blocks of 256 KiB/,
    );
    expect(out[1]).toMatch(/^table +rows +≈ size$/);
    expect(out.at(-1)).toMatch(/^retention so far: 0 of 0 superseded revisions compacted/);
  });
});
