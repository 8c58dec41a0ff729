/**
 * The `dafei` command line. Verbs and flags are a contract (../shared/DESIGN.md): other tools drive
 * the pipeline through them. Exit codes: 0 success, 1 failure, 2 bad usage. Errors go to stderr
 * as one clear sentence; results go to stdout.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { duckdbSettings, ingestPolicy, loadConfig, type Config } from './config.ts';
import { assertNoDemoPasswords, isDemoDb, ROLES } from './auth/index.ts';
import { accountVerbs, type AdminContext } from './auth/admin-verbs.ts';
import { adminSocketPath, callAdminSocket, cliActor } from './admin-socket/index.ts';
import { registerOpsVerbs, type AdminReply } from './ops/admin-ops.ts';
import { formatRestore, restore } from './ops/restore.ts';
import { writeAudits } from './queries/audit.ts';
import { isAbsolute, resolve as resolvePath } from 'node:path';
import { createScheduler } from './scheduler.ts';
import { notifyJobs } from './notify/jobs.ts';
import { onDbFatal, openMigratedDb, type Db } from './db/index.ts';
import { AppError, UsageError } from './errors.ts';
import { FEED_NAMES, formatCounts, ingest, isFeedName } from './feeds/index.ts';
import { runDemo } from './demo.ts';
import { loadMapping } from './feeds/mapping/index.ts';
import { MAPPING_OPTIONS, MAPPING_USAGE, runMapping } from './cli-mapping.ts';
import { currentRevisionOf, listAlerts, type AlertRow } from './queries/index.ts';
import { backfill } from './backfill.ts';
import { isDay } from './modeling/days.ts';
import { evaluateOverTime, formatEvaluation } from './modeling/evaluate.ts';
import { activateModel, listModels, rollbackModel } from './modeling/registry.ts';
import { trainAndRegister } from './modeling/train-job.ts';
import type { TrainingOptions } from './modeling/train.ts';
import { createProgress, type Progress } from './progress.ts';
import { runDay } from './run-day.ts';
import { csvLine, LEVEL_ZH } from './format.ts';
import { ensureJurisdictions, loadJurisdictionFile, readTree } from './jurisdictions/index.ts';

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** What the entry point wires in from api/ (pipeline never imports api: api → pipeline → models). */
export interface ServerHooks {
  startServer(o: {
    db: Db;
    config: Config;
    port?: number;
    host?: string;
    triggerRun?: (day: string) => Promise<{ jobId: number | null } | void>;
    /** Runs an admin write between scheduled jobs (the scheduler's queue). */
    exclusive?: <T>(name: string, fn: () => Promise<T>) => Promise<T>;
    /** Serve the admin verbs on this Unix socket (mode 0600) for the CLI. */
    adminSocket?: string;
  }): Promise<{ url: string; close(): Promise<void> }>;
}

let hooks: ServerHooks | undefined;

const defaultIo: Io = {
  out: (l) => process.stdout.write(`${l}\n`),
  err: (l) => process.stderr.write(`${l}\n`),
};

interface Verb {
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(values: Record<string, unknown>, positionals: string[], io: Io): Promise<number>;
}

const dbOption = { db: { type: 'string' as const } };
const configOption = { config: { type: 'string' as const } };

/**
 * Runs one of the operations verbs (pipeline/ops/admin-ops.ts: backup.create, held.*, db.*)
 * through runAdminVerb — the running server's admin socket, or the database opened here — and
 * prints its lines.
 */
async function runAdmin(
  values: Record<string, unknown>,
  verb: string,
  args: Record<string, unknown>,
  io: Io,
): Promise<number> {
  // a backup or a compaction of a big database takes minutes: wait for it
  const { result, served } = await adminVerb(values, verb, args, { timeoutMs: 24 * 3600_000 });
  if (served) io.err(`  (done by the server that holds ${dbPath(values)})`);
  for (const l of (result as AdminReply).lines) io.out(l);
  return 0;
}
const helpOption = { help: { type: 'boolean' as const, short: 'h' } };
const trainOptions = {
  'negative-rate': { type: 'string' as const },
  threads: { type: 'string' as const },
};

function dbPath(values: Record<string, unknown>): string {
  return (values['db'] as string | undefined) ?? loadConfig().dbPath;
}

function configOf(values: Record<string, unknown>): Config {
  return loadConfig(process.env, values['config'] as string | undefined);
}

async function withOpenDb<T>(
  values: Record<string, unknown>,
  fn: (db: Db) => Promise<T>,
): Promise<T> {
  const db = await openMigratedDb(dbPath(values), duckdbSettings(configOf(values)));
  try {
    return await fn(db);
  } finally {
    db.close();
  }
}

/** Opens the database with its tree of offices: the configured file, else the sample city's. */
async function withTreeDb<T>(
  values: Record<string, unknown>,
  io: Io,
  fn: (db: Db) => Promise<T>,
): Promise<T> {
  return withOpenDb(values, async (db) => {
    await ensureTree(db, loadConfig().jurisdictionsFile, io);
    return fn(db);
  });
}

async function ensureTree(db: Db, file: string | null, io: Io): Promise<void> {
  const loaded = await ensureJurisdictions(db, file);
  if (loaded?.changed)
    io.err(
      `jurisdictions: loaded ${loaded.nodes} offices and ${loaded.agencies} agencies from ${loaded.file}`,
    );
}

const VERBS: Record<string, Verb> = {
  init: {
    summary: 'create or migrate the database',
    usage: 'dafei init [--db PATH]',
    options: { ...dbOption },
    async run(values, _pos, io) {
      const path = dbPath(values);
      await withTreeDb(values, io, () => Promise.resolve());
      io.out(`database ready: ${path}`);
      return 0;
    },
  },
  ingest: {
    summary: 'load a feed from a file, a drop folder or an http(s) URL',
    usage: `dafei ingest [--db PATH] FEED SOURCE [--encoding gbk] [--mapping M]

  FEED     ${FEED_NAMES.join(' | ')}
  SOURCE   a file (.ndjson, .jsonl, .csv, optionally .gz), a drop folder (each new file once),
           or an http(s) URL (sent ?since= the time of the last successful pull)
  --encoding gbk   for CSV exported by Excel on Chinese Windows (GBK/GB18030)
  --mapping M      the source is in another layout (CSV or .xlsx): a mapping template id or a
                   mapping file turns its columns into the feed's (see dafei mapping --help);
                   an .xlsx without --mapping must have the contract's column names

Prints one line: read N, accepted N, duplicate N, corrected N, quarantined N`,
    options: {
      ...dbOption,
      ...configOption,
      encoding: { type: 'string' },
      mapping: { type: 'string' },
    },
    async run(values, positionals, io) {
      const [feed, source, ...rest] = positionals;
      if (feed === undefined || source === undefined || rest.length > 0) {
        throw new UsageError('ingest needs exactly FEED and SOURCE');
      }
      if (!isFeedName(feed))
        throw new UsageError(`unknown feed '${feed}' (one of ${FEED_NAMES.join(', ')})`);
      const encoding = values['encoding'] as string | undefined;
      if (encoding !== undefined && !/^(utf-?8|gbk|gb2312|gb18030|cp936)$/i.test(encoding)) {
        throw new UsageError(`unknown encoding '${encoding}' (use utf-8 or gbk)`);
      }
      const config = configOf(values);
      const mappingRef = values['mapping'] as string | undefined;
      const mapping = mappingRef === undefined ? undefined : loadMapping(mappingRef);
      if (mapping && mapping.feed !== feed)
        throw new UsageError(`mapping '${mappingRef}' is for ${mapping.feed}, not ${feed}`);
      const result = await withOpenDb(values, (db) =>
        ingest(db, {
          feed,
          source,
          ...(encoding ? { encoding } : {}),
          ...ingestPolicy(config, db.path),
          ...(config.sources.find((s) => s.source === source)?.headers
            ? { headers: config.sources.find((s) => s.source === source)!.headers! }
            : {}),
          ...(mapping ? { mapping } : {}),
          onBatch: (b) =>
            io.err(
              `  batch ${b.batchId} ${b.source}: ${formatCounts(b)} (${b.seconds.toFixed(1)} s)`,
            ),
          onHeld: (h) =>
            io.err(
              `  batch ${h.batchId} ${h.source} HELD, not applied: ${h.reason} (dafei held release ${h.batchId} | discard ${h.batchId})`,
            ),
          onRejected: (r) =>
            io.err(
              `  ${r.file} could not be read and was ${r.movedTo ? `moved to ${r.movedTo}` : 'left in place (could not be moved), never to be taken again'}: ${r.reason}`,
            ),
        }),
      );
      if (
        result.kind === 'folder' &&
        result.batches.length + result.held.length + result.rejected.length === 0
      )
        io.err(`  no new files in ${source}`);
      io.out(formatCounts(result));
      // something needs a person: not a silent success
      return result.held.length + result.rejected.length > 0 ? 1 : 0;
    },
  },
  mapping: {
    summary: 'infer or check a mapping of another layout (CSV, XLSX) to a feed; list templates',
    usage: MAPPING_USAGE,
    options: { ...MAPPING_OPTIONS },
    run: runMapping,
  },
  train: {
    summary:
      'train on outcomes decided on or before DATE, register a model version, print its metrics',
    usage: `dafei train [--db PATH] [--until DATE] [--activate] [--negative-rate auto|all|RATE] [--threads N]

  --until DATE            outcomes decided on or before DATE are used (default: the last day with data)
  --activate              make the new version active (the first model ever trained always is)
  --negative-rate R       share of negatives without ads or complaints kept in the training set
                          (those with ads or complaints: 4 × R; every row of a confirmed enterprise
                          is kept; kept rows are weighted back). 'auto' (default): about 250,000
                          examples, no sampling below that; 'all': the full training set
  --threads N             worker threads growing the trees (default: every core)`,
    options: {
      ...dbOption,
      until: { type: 'string' },
      activate: { type: 'boolean' },
      ...trainOptions,
    },
    async run(values, _pos, io) {
      const until = optionalDay(values, 'until');
      const r = await withOpenDb(values, (db) =>
        trainAndRegister(db, {
          ...(until ? { until } : {}),
          ...(values['activate'] ? { activate: true } : {}),
          ...trainingFlags(values),
          onProgress: (m) => io.err(`  ${m}`),
          onTree: treeProgress(),
        }),
      );
      if (r.evaluation) io.out(formatEvaluation(r.evaluation, true));
      const s = r.sampling;
      io.out(
        `model version ${r.version} registered (${r.examples} examples, ${r.positives} positive${s && (s.easyRate < 1 || s.hardRate < 1) ? `; negatives sampled at ${s.easyRate}, with ads or complaints at ${s.hardRate}` : ''})${r.active ? ', active' : ' as a challenger: dafei models activate ' + r.version}`,
      );
      return 0;
    },
  },
  evaluate: {
    summary:
      'evaluation over time: train up to DATE, test on the days after it, beside the baselines',
    usage: `dafei evaluate [--db PATH] --until DATE [--to DATE] [--retrain-every DAYS] [--negative-rate auto|all|RATE] [--threads N]

  (--negative-rate and --threads: as for dafei train, for every model of the walk forward)`,
    options: {
      ...dbOption,
      until: { type: 'string' },
      to: { type: 'string' },
      'retrain-every': { type: 'string' },
      ...trainOptions,
    },
    async run(values, _pos, io) {
      const until = requireDay(values, 'until');
      const to = optionalDay(values, 'to');
      const every = values['retrain-every'] === undefined ? 30 : Number(values['retrain-every']);
      if (!Number.isInteger(every) || every < 0)
        throw new UsageError('--retrain-every must be a whole number of days');
      const r = await withOpenDb(values, (db) =>
        evaluateOverTime(db, {
          until,
          ...(to ? { to } : {}),
          retrainEveryDays: every,
          ...trainingFlags(values),
          onProgress: (m) => io.err(`  ${m}`),
          onTree: treeProgress(),
        }),
      );
      io.out(formatEvaluation(r));
      return 0;
    },
  },
  run: {
    summary: 'features + scores + publish the list for DATE',
    usage: 'dafei run [--db PATH] --date DATE',
    options: { ...dbOption, date: { type: 'string' } },
    async run(values, _pos, io) {
      const day = requireDay(values, 'date');
      const r = await withOpenDb(values, (db) => runDay(db, day));
      io.out(
        `${day}: ${r.published ? `published revision ${r.revision}` : `unchanged (revision ${r.revision} has this data and model)`}; ` +
          `${r.listed} listed of ${r.enterprises} (${r.scorer}${r.modelVersion ? ` v${r.modelVersion}` : ''}); ` +
          `new ${r.changes.new}, up ${r.changes.level_up}, down ${r.changes.level_down}, dropped ${r.changes.dropped} (${r.seconds.toFixed(1)} s)`,
      );
      return 0;
    },
  },
  backfill: {
    summary: 'run every day in a range, in order (resumable)',
    usage: 'dafei backfill [--db PATH] --from DATE --to DATE [--force]',
    options: {
      ...dbOption,
      from: { type: 'string' },
      to: { type: 'string' },
      force: { type: 'boolean' },
    },
    async run(values, _pos, io) {
      const from = requireDay(values, 'from');
      const to = requireDay(values, 'to');
      if (from > to) throw new UsageError(`--from ${from} is after --to ${to}`);
      const r = await withOpenDb(values, (db) =>
        backfill(db, { from, to, force: values['force'] === true }),
      );
      io.out(
        `backfill ${from} … ${to}: ${r.ran} days run, ${r.skipped} already listed, ${r.seconds.toFixed(1)} s`,
      );
      return 0;
    },
  },
  alerts: {
    summary: "print a day's alert list",
    usage: 'dafei alerts [--db PATH] --date DATE [--limit N] [--format table|csv|ndjson]',
    options: {
      ...dbOption,
      date: { type: 'string' },
      limit: { type: 'string' },
      format: { type: 'string' },
    },
    async run(values, _pos, io) {
      const day = requireDay(values, 'date');
      const format = (values['format'] as string | undefined) ?? 'table';
      if (!['table', 'csv', 'ndjson'].includes(format))
        throw new UsageError(`unknown format '${format}' (table, csv or ndjson)`);
      const limit = values['limit'] === undefined ? undefined : Number(values['limit']);
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 1))
        throw new UsageError('--limit must be a positive whole number');
      return withOpenDb(values, async (db) => {
        const revision = await currentRevisionOf(db, day);
        if (revision === undefined) {
          io.err(
            `dafei alerts: no list has been published for ${day} (run: dafei run --date ${day})`,
          );
          return 1;
        }
        // the same reader as the API, page by page, pinned to the day's current revision
        const rows: AlertRow[] = [];
        for (let after: number | undefined; rows.length < (limit ?? Infinity);) {
          const page = await listAlerts(db, {
            day,
            revision,
            limit: Math.min(200, (limit ?? Infinity) - rows.length),
            ...(after === undefined ? {} : { afterRank: after }),
          });
          rows.push(...page.items);
          if (!page.has_more || page.items.length === 0) break;
          after = page.items.at(-1)!.rank;
        }
        const words = (r: AlertRow) => r.reasons.map((x) => x.text);
        if (format === 'ndjson') {
          for (const r of rows)
            io.out(
              JSON.stringify({
                date: r.day,
                rank: r.rank,
                uscc: r.uscc,
                name: r.name,
                score: r.score,
                level: r.level,
                reasons: words(r),
                district: r.district,
                rule_score: r.rule_score,
                revision: r.revision,
              }),
            );
        } else if (format === 'csv') {
          io.out(
            csvLine(['date', 'rank', 'uscc', 'name', 'district', 'score', 'level', 'reasons']),
          );
          for (const r of rows)
            io.out(
              csvLine([
                r.day,
                r.rank,
                r.uscc,
                r.name,
                r.district,
                r.score.toFixed(4),
                r.level,
                words(r).join('；'),
              ]),
            );
        } else {
          for (const r of rows) {
            io.out(
              `${String(r.rank).padStart(4)}  ${LEVEL_ZH[r.level] ?? r.level}  ${r.score.toFixed(3)}  ${r.uscc}  ${r.name ?? ''}  ${words(r).slice(0, 2).join('；')}`,
            );
          }
          io.err(`${rows.length} alerts on ${day}`);
        }
        return 0;
      });
    },
  },
  models: {
    summary: 'list model versions; activate one; roll back',
    usage: `dafei models [--db PATH] list | activate VERSION | rollback`,
    options: { ...dbOption },
    async run(values, positionals, io) {
      const [action = 'list', arg] = positionals;
      return withOpenDb(values, async (db) => {
        if (action === 'list') {
          for (const m of await listModels(db)) {
            const ev = (
              m.metrics as {
                evaluation?: { scorers?: { model?: { precisionAt50?: number } } };
              } | null
            )?.evaluation;
            const p50 = ev?.scorers?.model?.precisionAt50;
            io.out(
              `${m.active ? '*' : ' '} v${m.version}  trained until ${m.trained_until}  window ${m.window_from} … ${m.window_to}  precision@50 ${p50 === undefined ? '–' : p50.toFixed(2)}  ${m.created_at}`,
            );
          }
          return 0;
        }
        if (action === 'activate') {
          const v = Number(arg);
          if (!Number.isInteger(v)) throw new UsageError('activate needs a VERSION number');
          await activateModel(db, v);
          io.out(`model version ${v} is active`);
          return 0;
        }
        if (action === 'rollback') {
          const v = await rollbackModel(db);
          io.out(
            v === null
              ? 'rolled back: the rule index ranks alone'
              : `rolled back to model version ${v}`,
          );
          return 0;
        }
        throw new UsageError(`unknown models action '${action}' (list, activate, rollback)`);
      });
    },
  },
  serve: {
    summary: 'API + dashboard + scheduler in one process',
    usage: `dafei serve [--db PATH] [--port 8787] [--host 127.0.0.1] [--config FILE]

  The scheduler pulls the configured sources, publishes the daily list (06:00 Asia/Shanghai) and
  trains a weekly challenger; see dafei.config.example.json. The command line reaches the server
  through its admin socket (<database>.admin.sock): dafei backup, held, db, user, token, audit. A fatal database
  error (a full disk) makes /healthz answer 503 and the process exit 1 for its supervisor.`,
    options: {
      ...dbOption,
      port: { type: 'string' },
      host: { type: 'string' },
      config: { type: 'string' },
    },
    async run(values, _pos, io) {
      const config = loadConfig(process.env, values['config'] as string | undefined);
      const db = await openMigratedDb(dbPath(values), duckdbSettings(config));
      try {
        await assertNoDemoPasswords(db);
      } catch (err) {
        db.close();
        throw err;
      }
      if (await isDemoDb(db))
        io.err(
          `warning: ${db.path} is a demo database (made by dafei demo): its accounts have the published demo password`,
        );
      await ensureTree(db, config.jurisdictionsFile, io);
      // a fatal database error (disk full, an invalidated database) ends the process with 1 after
      // a grace period in which /healthz answers 503, so that a supervisor restarts it
      let fatal: ((err: Error) => void) | undefined;
      const fatalError = new Promise<Error>((resolve) => (fatal = resolve));
      const unsubscribe = onDbFatal((path, err) => {
        if (path === db.path) fatal?.(err);
      });
      const scheduler = createScheduler({
        db,
        config,
        log: io.err,
        extraJobs: notifyJobs(db, config),
      });
      // the command line reaches this server through the admin socket (accounts, tokens, the
      // audit log, backups, held batches, db stats)
      const socket = adminSocketPath(db.path, config.adminSocket);
      const server = await startServer(values, config, db, {
        triggerRun: async (day) => ({ jobId: (await scheduler.trigger('run', day)).jobId }),
        exclusive: (name, fn) => scheduler.exclusive(name, fn),
        ...(socket ? { adminSocket: socket } : {}),
      });
      io.out(
        `dafei serving ${server.url} (database ${db.path}); jobs: ${scheduler.jobs.join(', ')}${socket ? `; admin socket ${socket}` : ''}`,
      );
      await scheduler.start();
      const stop = await Promise.race([untilSignal().then(() => null), fatalError]);
      unsubscribe();
      if (stop) {
        io.err(
          `dafei serve: fatal database error, exiting in ${config.fatal_exit_delay_seconds} s so that a supervisor restarts it: ${stop.message}`,
        );
        // whatever happens below, the process ends
        setTimeout(() => process.exit(1), (config.fatal_exit_delay_seconds + 10) * 1000).unref();
        void scheduler.stop().catch(() => undefined);
        await new Promise((r) => setTimeout(r, config.fatal_exit_delay_seconds * 1000));
        await server.close().catch(() => undefined);
        return 1;
      }
      io.err('stopping…');
      await server.close();
      await scheduler.stop();
      db.close();
      return 0;
    },
  },
  user: {
    summary: 'dashboard users: list, create, disable, enable, unlock, reset-password, reset-totp',
    usage: `dafei user list|create|disable|enable|unlock|reset-password|reset-totp [--db PATH] [--username NAME] [--role ${ROLES.join('|')}] [--jurisdiction CODE]

  create           --username NAME --role ROLE [--jurisdiction CODE]; the password comes from
                   $DAFEI_PASSWORD or stdin, or with --one-time a one-time password is printed
                   (changed at the first login); --jurisdiction: the office whose area the user
                   sees (dafei jurisdictions list), none = the whole tree
  disable          ends the user's sessions and tokens at once
  unlock           lifts a lockout after failed logins
  reset-password   prints a one-time password; the user's sessions and tokens end
  reset-totp       turns TOTP off (lost device); the user enrols again at the next login

While \`dafei serve\` runs, these go to it over its admin socket (<db>.admin.sock); otherwise
they open the database.`,
    options: {
      ...dbOption,
      username: { type: 'string' },
      role: { type: 'string' },
      jurisdiction: { type: 'string' },
      'one-time': { type: 'boolean' },
    },
    async run(values, positionals, io) {
      const [action, ...rest] = positionals;
      const actions = [
        'list',
        'create',
        'disable',
        'enable',
        'unlock',
        'reset-password',
        'reset-totp',
      ];
      if (action === undefined || !actions.includes(action) || rest.length > 0)
        throw new UsageError(`user needs one of: ${actions.join(', ')}`);
      if (action === 'list') {
        const users = (await runAdminVerb(values, 'user.list', {})) as {
          username: string;
          role: string;
          disabled_at: string | null;
          locked_at: string | null;
          totp: boolean;
          last_login_at: string | null;
          active_tokens: number;
        }[];
        for (const u of users)
          io.out(
            `${u.username.padEnd(20)} ${u.role.padEnd(15)} ${u.disabled_at ? 'disabled' : u.locked_at ? 'LOCKED' : 'active'}${u.totp ? ' totp' : ''}  last login ${u.last_login_at ?? '–'}  ${u.active_tokens} active token(s)`,
          );
        return 0;
      }
      const username = values['username'] as string | undefined;
      if (!username) throw new UsageError(`user ${action} needs --username`);
      if (action === 'create') {
        const role = values['role'] as string | undefined;
        if (!role) throw new UsageError('user create needs --role');
        const password = values['one-time']
          ? undefined
          : (process.env['DAFEI_PASSWORD'] ?? (await readStdin()).replace(/\r?\n$/, ''));
        const jurisdiction = values['jurisdiction'] as string | undefined;
        const r = (await runAdminVerb(values, 'user.create', {
          username,
          role,
          ...(password === undefined ? {} : { password }),
          ...(jurisdiction ? { jurisdiction } : {}),
        })) as { one_time_password?: string };
        io.err(`user ${username} (${role}, ${jurisdiction ?? 'whole tree'}) created`);
        if (r.one_time_password) {
          io.err('one-time password (shown once; to be changed at the first login):');
          io.out(r.one_time_password);
        }
        return 0;
      }
      const r = (await runAdminVerb(values, `user.${action}`, { username })) as {
        revoked?: number;
        one_time_password?: string;
      };
      io.err(
        `user ${username}: ${action} done${r.revoked === undefined ? '' : `; ${r.revoked} session(s)/token(s) revoked`}`,
      );
      if (r.one_time_password) {
        io.err('one-time password (shown once; to be changed at the next login):');
        io.out(r.one_time_password);
      }
      return 0;
    },
  },
  token: {
    summary: 'API tokens: list, create (expiring, shown once), revoke',
    usage: `dafei token list|create|revoke [--db PATH] [--name NAME --role ${ROLES.join('|')} [--days N] [--user NAME] [--jurisdiction CODE]] [--id ID] [--active]

  create   prints the token once (stored only as a hash); it expires after --days (default 90);
           --jurisdiction: the office whose area it sees (dafei jurisdictions list), none = the
           whole tree (a user's token has the user's office)
  revoke   --id ID: ends a token or a session at once
While \`dafei serve\` runs, these go to it over its admin socket.`,
    options: {
      ...dbOption,
      name: { type: 'string' },
      role: { type: 'string' },
      days: { type: 'string' },
      user: { type: 'string' },
      jurisdiction: { type: 'string' },
      id: { type: 'string' },
      active: { type: 'boolean' },
    },
    async run(values, positionals, io) {
      const [action, ...rest] = positionals;
      if (rest.length > 0 || !['list', 'create', 'revoke'].includes(action ?? ''))
        throw new UsageError('token needs one of: list, create, revoke');
      if (action === 'list') {
        const tokens = (await runAdminVerb(values, 'token.list', {
          active: values['active'] === true,
        })) as {
          token_id: number;
          name: string;
          role: string;
          kind: string;
          expires_at: string | null;
          last_used_at: string | null;
          revoked_at: string | null;
        }[];
        for (const t of tokens)
          io.out(
            `${String(t.token_id).padStart(5)}  ${t.kind.padEnd(7)} ${t.role.padEnd(15)} ${t.name.padEnd(24)} expires ${t.expires_at ?? '–'}  last used ${t.last_used_at ?? '–'}${t.revoked_at ? `  revoked ${t.revoked_at}` : ''}`,
          );
        return 0;
      }
      if (action === 'revoke') {
        const id = Number(values['id']);
        if (!Number.isInteger(id) || id < 1) throw new UsageError('token revoke needs --id ID');
        await runAdminVerb(values, 'token.revoke', { id });
        io.out(`token ${id} revoked`);
        return 0;
      }
      const name = values['name'] as string | undefined;
      const role = values['role'] as string | undefined;
      if (!name || !role) throw new UsageError('token create needs --name and --role');
      const days = values['days'] === undefined ? undefined : Number(values['days']);
      const t = (await runAdminVerb(values, 'token.create', {
        name,
        role,
        ...(days === undefined ? {} : { days }),
        ...(values['user'] ? { username: values['user'] } : {}),
        ...(values['jurisdiction'] ? { jurisdiction: values['jurisdiction'] } : {}),
      })) as {
        tokenId: number;
        token: string;
        name: string;
        role: string;
        expiresAt: string;
        jurisdiction: string | null;
      };
      io.err(
        `token ${t.tokenId} for ${t.name} (${t.role}, ${t.jurisdiction ?? 'whole tree'}), expires ${t.expiresAt}; it is shown once and stored only as a hash:`,
      );
      io.out(t.token);
      return 0;
    },
  },
  jurisdictions: {
    summary: 'list the offices (jurisdiction tree) or load a new jurisdiction file',
    usage: `dafei jurisdictions [--db PATH] list | load FILE

  list        the tree: code, kind, name (indented by level), aliases; then the outside agencies
  load FILE   replace the tree with FILE (see data-samples/jurisdictions.json); refused when an
              account, a token or a referral names an office FILE lacks`,
    options: { ...dbOption },
    async run(values, positionals, io) {
      const [action = 'list', file, ...rest] = positionals;
      if (rest.length > 0) throw new UsageError('too many arguments');
      if (action === 'load') {
        if (!file) throw new UsageError('jurisdictions load needs a FILE');
        const r = await withOpenDb(values, (db) => loadJurisdictionFile(db, file));
        io.out(
          r.changed
            ? `loaded ${r.nodes} offices and ${r.agencies} agencies from ${r.file}`
            : `${r.file} is already loaded (${r.nodes} offices)`,
        );
        return 0;
      }
      if (action !== 'list') throw new UsageError(`unknown action '${action}' (list, load)`);
      const tree = await withTreeDb(values, io, (db) => readTree(db));
      for (const n of tree.ordered()) {
        io.out(
          `${n.code.padEnd(8)} ${n.kind.padEnd(8)} ${'  '.repeat(n.depth)}${n.name}${n.aliases.length ? `（${n.aliases.join('、')}）` : ''}`,
        );
      }
      for (const a of tree.agencies) io.out(`${a.id.padEnd(8)} agency   ${a.name}`);
      return 0;
    },
  },
  audit: {
    summary: 'the audit log: verify its hash chain, export it',
    usage: `dafei audit verify|export [--db PATH] [--out FILE] [--from ISO] [--to ISO]

  verify   walks the hash chain; exit 1 naming the first altered, removed or inserted entry
  export   writes every entry (with its hashes) as NDJSON to --out FILE (a new file)`,
    options: {
      ...dbOption,
      out: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
    },
    async run(values, positionals, io) {
      const [action, ...rest] = positionals;
      if (rest.length > 0 || !['verify', 'export'].includes(action ?? ''))
        throw new UsageError('audit needs one of: verify, export');
      if (action === 'export') {
        const out = values['out'] as string | undefined;
        if (!out) throw new UsageError('audit export needs --out FILE');
        const path = isAbsolute(out) ? out : resolvePath(out);
        const r = (await runAdminVerb(values, 'audit.export', {
          path,
          ...(values['from'] ? { from: values['from'] } : {}),
          ...(values['to'] ? { to: values['to'] } : {}),
        })) as { rows: number };
        io.out(`${r.rows} audit entries written to ${path}`);
        return 0;
      }
      const v = (await runAdminVerb(values, 'audit.verify', {})) as {
        ok: boolean;
        checked: number;
        unchained: number;
        head: string | null;
        broken?: {
          audit_id: number;
          logged_at: string;
          actor: string;
          action: string;
          reason: string;
        };
      };
      const legacy =
        v.unchained > 0
          ? ` (${v.unchained} entries from before the chain began are not covered)`
          : '';
      if (v.ok) {
        io.out(`audit log intact: ${v.checked} entries verified${legacy}; head ${v.head ?? '–'}`);
        return 0;
      }
      const b = v.broken!;
      io.err(
        `audit log ALTERED at entry ${b.audit_id} (${b.logged_at}, ${b.actor}, ${b.action}): ${b.reason}; ${v.checked} entries before it verified${legacy}`,
      );
      return 1;
    },
  },
  backup: {
    summary: 'a consistent online backup (asks the running server, or reads the file directly)',
    usage: `dafei backup [--db PATH] --to DIR [--keep N] [--config FILE]

  Writes DIR/dafei-<UTC time>/ (dafei.duckdb + manifest.json, written last) and keeps the newest
  N complete backups (default backup.keep of the config, 7). While \`dafei serve\` holds the
  database, the server takes the backup (through its admin socket <db>.admin.sock) and goes on
  serving.`,
    options: { ...dbOption, ...configOption, to: { type: 'string' }, keep: { type: 'string' } },
    run: (values, _pos, io) =>
      runAdmin(
        values,
        'backup.create',
        {
          ...(values['to'] === undefined ? {} : { to: values['to'] }),
          ...(values['keep'] === undefined ? {} : { keep: values['keep'] }),
        },
        io,
      ),
  },
  restore: {
    summary: 'restore a backup into a new database file and verify it',
    usage: `dafei restore --from DIR --db NEWPATH

  DIR is a backup folder, or a folder of backups (the newest complete one is taken). NEWPATH must
  not exist. Every table's row count and every published list's fingerprint are checked against
  the manifest; an incomplete or damaged backup is refused (exit 1).`,
    options: { ...dbOption, from: { type: 'string' } },
    async run(values, _pos, io) {
      const from = values['from'] as string | undefined;
      const db = values['db'] as string | undefined;
      if (!from || !db) throw new UsageError('restore needs --from DIR and --db NEWPATH');
      io.out(formatRestore(await restore({ from, db })));
      return 0;
    },
  },
  held: {
    summary: 'batches held for an admin: list, release (apply) or discard',
    usage: `dafei held [--db PATH] list [--all] | release BATCH | discard BATCH`,
    options: { ...dbOption, ...configOption, all: { type: 'boolean' } },
    async run(values, positionals, io) {
      const [action = 'list', batch, ...rest] = positionals;
      if (rest.length > 0) throw new UsageError('too many arguments');
      if (action === 'list')
        return runAdmin(values, 'held.list', { all: values['all'] === true }, io);
      if (action === 'release' || action === 'discard') {
        if (batch === undefined) throw new UsageError(`held ${action} needs a BATCH number`);
        return runAdmin(values, `held.${action}`, { batch }, io);
      }
      throw new UsageError(`unknown held action '${action}' (list, release, discard)`);
    },
  },
  db: {
    summary:
      'database upkeep: stats (what takes the space), compact (apply the retention policy now)',
    usage: `dafei db [--db PATH] stats | compact [--config FILE]`,
    options: { ...dbOption, ...configOption },
    async run(values, positionals, io) {
      const [action, ...rest] = positionals;
      if (rest.length > 0) throw new UsageError('too many arguments');
      if (action === 'stats') return runAdmin(values, 'db.stats', {}, io);
      if (action === 'compact') return runAdmin(values, 'db.compact', {}, io);
      throw new UsageError(`db needs an action: stats or compact`);
    },
  },
  demo: {
    summary:
      'load the sample city, train, backfill and serve the dashboard on :8787 (what npm start runs)',
    usage: 'dafei demo [--db PATH] [--port 8787] [--no-serve]',
    options: { ...dbOption, port: { type: 'string' }, 'no-serve': { type: 'boolean' } },
    async run(values, _pos, io) {
      const config = loadConfig();
      const db = await openMigratedDb(dbPath(values), duckdbSettings(config));
      try {
        await ensureTree(db, config.jurisdictionsFile, io);
        return await runDemo(db, io, {
          serve: values['no-serve']
            ? undefined
            : (triggerRun) =>
                startServer(
                  { ...values, port: values['port'] ?? String(config.port) },
                  config,
                  db,
                  { triggerRun },
                ),
          untilStopped: untilSignal,
        });
      } finally {
        db.close();
      }
    },
  },
};

/**
 * Runs an admin verb (pipeline/auth/admin-verbs.ts): through the admin socket of a running
 * `dafei serve` when one answers, else on the database opened here (audited as the CLI's user).
 */
async function runAdminVerb(
  values: Record<string, unknown>,
  verb: string,
  args: Record<string, unknown>,
): Promise<unknown> {
  return (await adminVerb(values, verb, args)).result;
}

/** runAdminVerb, saying whether the running server did it. */
async function adminVerb(
  values: Record<string, unknown>,
  verb: string,
  args: Record<string, unknown>,
  o: { timeoutMs?: number } = {},
): Promise<{ result: unknown; served: boolean }> {
  const path = dbPath(values);
  const config = configOf(values);
  const socket = adminSocketPath(path, config.adminSocket);
  if (socket) {
    const answer = await callAdminSocket(socket, verb, args, o);
    if (answer) return { result: answer.result, served: true };
  }
  const result = await withOpenDb(values, async (db) => {
    // accounts and tokens name offices of the tree
    await ensureJurisdictions(db, config.jurisdictionsFile);
    const actor = cliActor();
    const ctx: AdminContext = {
      db,
      now: () => new Date(),
      actor,
      role: 'admin',
      security: config.security,
      audit: (e) => writeAudits(db, [{ ...e, actor, role: 'admin', at: new Date() }]),
      invalidateTokens: () => undefined,
    };
    return registerOpsVerbs(accountVerbs(), { config }).run(verb, args, ctx);
  });
  return { result, served: false };
}

async function startServer(
  values: Record<string, unknown>,
  config: Config,
  db: Db,
  jobs: Pick<Parameters<ServerHooks['startServer']>[0], 'triggerRun' | 'exclusive' | 'adminSocket'>,
): Promise<{ url: string; close(): Promise<void> }> {
  if (!hooks) throw new AppError('usage', 'this entry point cannot serve HTTP (run bin/dafei.js)');
  const port = values['port'] === undefined ? config.port : Number(values['port']);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port '${String(values['port'])}' is not a port`);
  return hooks.startServer({
    db,
    config,
    port,
    host: (values['host'] as string | undefined) ?? config.host,
    ...jobs,
  });
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** --negative-rate and --threads as training options. */
function trainingFlags(
  values: Record<string, unknown>,
): Pick<TrainingOptions, 'sampling' | 'threads'> {
  const out: Pick<TrainingOptions, 'sampling' | 'threads'> = {};
  const rate = values['negative-rate'] as string | undefined;
  if (rate === 'all') out.sampling = false;
  else if (rate !== undefined && rate !== 'auto') {
    const r = Number(rate);
    if (!(r > 0 && r <= 1))
      throw new UsageError(
        `--negative-rate must be auto, all or a number in (0, 1], got '${rate}'`,
      );
    out.sampling = { negativeRate: r };
  }
  const threads = values['threads'] as string | undefined;
  if (threads !== undefined) {
    const n = Number(threads);
    if (!Number.isInteger(n) || n < 1) throw new UsageError('--threads must be a whole number ≥ 1');
    out.threads = n;
  }
  return out;
}

/** A progress bar with an ETA over each forest's trees (one per model trained). */
function treeProgress(): (done: number, total: number) => void {
  let bar: Progress | null = null;
  return (done, total) => {
    if (done === 1) bar = createProgress('  trees', total);
    bar?.tick();
    if (done === total) bar?.done();
  };
}

function optionalDay(values: Record<string, unknown>, name: string): string | undefined {
  const v = values[name] as string | undefined;
  if (v !== undefined && !isDay(v))
    throw new UsageError(`--${name} '${v}' is not a date (YYYY-MM-DD)`);
  return v;
}

function requireDay(values: Record<string, unknown>, name: string): string {
  const v = optionalDay(values, name);
  if (v === undefined) throw new UsageError(`--${name} DATE is required`);
  return v;
}

function mainHelp(): string {
  const width = Math.max(...Object.keys(VERBS).map((v) => v.length));
  return [
    '打非云 · Dafei — early warning of illegal fundraising',
    '',
    'Usage: dafei <verb> [options]   (dafei <verb> --help for its options)',
    '',
    ...Object.entries(VERBS).map(([name, v]) => `  ${name.padEnd(width)}  ${v.summary}`),
    '',
    'The database is --db, else $DAFEI_DB, else ./var/dafei.duckdb.',
  ].join('\n');
}

export async function main(
  argv: string[],
  io: Io = defaultIo,
  serverHooks?: ServerHooks,
): Promise<number> {
  hooks = serverHooks;
  const [verbName, ...args] = argv;
  if (verbName === undefined || verbName === '--help' || verbName === '-h' || verbName === 'help') {
    (verbName === undefined ? io.err : io.out)(mainHelp());
    return verbName === undefined ? 2 : 0;
  }
  const verb = VERBS[verbName];
  if (!verb) {
    io.err(`dafei: unknown verb '${verbName}'. Run dafei --help for the list.`);
    return 2;
  }
  try {
    let parsed;
    try {
      parsed = parseArgs({
        args,
        options: { ...verb.options, ...helpOption },
        allowPositionals: true,
        strict: true,
      });
    } catch (err) {
      throw new UsageError((err as Error).message.split('\n')[0]!, { cause: err });
    }
    if (parsed.values['help']) {
      io.out(`${verb.usage}\n`);
      return 0;
    }
    return await verb.run(parsed.values, parsed.positionals, io);
  } catch (err) {
    if (err instanceof UsageError || (err instanceof AppError && err.code === 'usage')) {
      io.err(`dafei ${verbName}: ${err.message}\nusage: ${verb.usage.split('\n')[0]}`);
      return 2;
    }
    if (err instanceof AppError) {
      io.err(`dafei ${verbName}: ${err.message}`);
      return 1;
    }
    io.err(`dafei ${verbName}: unexpected error: ${(err as Error).stack ?? String(err)}`);
    return 1;
  }
}
