/**
 * The operations verbs of the admin socket (pipeline/admin-socket): `backup.create`, `held.list`,
 * `held.release`, `held.discard`, `db.stats`, `db.compact`. The command line runs them inside the
 * running `dafei serve` through its socket, or on the database it opens when no server holds it:
 * one implementation for both. Each answers lines for the terminal and data for programs, and
 * writes an audit entry.
 */
import { join } from 'node:path';
import type { AdminRegistry } from '../admin-socket/index.ts';
import type { AdminContext } from '../auth/admin-verbs.ts';
import { ingestPolicy, type FileConfig } from '../config.ts';
import type { Db } from '../db/index.ts';
import { UsageError } from '../errors.ts';
import { discardHeld, formatCounts, listHeld, releaseHeld } from '../feeds/index.ts';
import { ARCHIVE_DIR, backup, formatBackup, type BackupResult } from './backup.ts';
import { applyRetention, formatRetention } from './retention.ts';
import { dbStats, formatStats } from './stats.ts';

type OpsConfig = Pick<FileConfig, 'backup' | 'retention' | 'limits' | 'hold' | 'files_dir'>;

export interface OpsVerbDeps {
  config: OpsConfig;
  /** Runs a writing operation where it cannot interleave with scheduled jobs (the job queue). */
  exclusive?: <T>(name: string, fn: () => Promise<T>) => Promise<T>;
}

/** What every operation answers: lines for the terminal, and data for programs. */
export interface AdminReply {
  lines: string[];
  data?: unknown;
}

function optionalString(v: unknown, name: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v === '') throw new UsageError(`${name} must be a non-empty text`);
  return v;
}

function positiveInt(v: unknown, name: string): number {
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1)
    throw new UsageError(`${name} must be a positive whole number`);
  return n;
}

/** The retention policy of the config, with the archive folder of this database. */
export function retentionPolicy(config: OpsConfig, dbPath: string) {
  return {
    supersededEntriesDays: config.retention.superseded_entries_days,
    quarantineRawDays: config.retention.quarantine_raw_days,
    auditDays: config.retention.audit_days,
    archiveDir: join(ingestPolicy(config, dbPath).filesDir, ARCHIVE_DIR),
  };
}

/** A backup as the config says (backup.dir, backup.keep, the audit archives), or into `to`. */
export function backupFromConfig(
  db: Db,
  config: OpsConfig,
  o: { to?: string; keep?: number; now?: () => Date } = {},
): Promise<BackupResult> {
  const to = o.to ?? config.backup.dir;
  if (!to) throw new UsageError('backup needs --to DIR (or backup.dir in the config)');
  return backup(db, {
    to,
    keep: o.keep ?? config.backup.keep,
    auditArchiveDir: join(ingestPolicy(config, db.path).filesDir, ARCHIVE_DIR),
    ...(o.now ? { now: o.now } : {}),
  });
}

/** Adds the operations verbs to an admin registry (the server's, or the CLI's own). */
export function registerOpsVerbs<R extends AdminRegistry<AdminContext>>(
  registry: R,
  d: OpsVerbDeps,
): R {
  const exclusive = d.exclusive ?? (<T>(_name: string, fn: () => Promise<T>) => fn());
  const audited =
    (
      action: string,
      fn: (args: Record<string, unknown>, ctx: AdminContext) => Promise<AdminReply>,
    ) =>
    async (args: Record<string, unknown>, ctx: AdminContext): Promise<AdminReply> => {
      const reply = await fn(args, ctx);
      await ctx.audit({
        action,
        target:
          typeof args['batch'] === 'string' || typeof args['batch'] === 'number'
            ? String(args['batch'])
            : null,
        status: 200,
      });
      return reply;
    };
  registry.add(
    'backup.create',
    'a consistent backup into DIR (backup.dir), keeping the newest N',
    audited('backup.create', async (a, ctx) => {
      const to = optionalString(a['to'], '--to');
      // the audit entries the server holds in its journal go into the copy
      await ctx.flushAudit?.();
      const r = await backupFromConfig(ctx.db, d.config, {
        ...(to ? { to } : {}),
        ...(a['keep'] === undefined ? {} : { keep: positiveInt(a['keep'], '--keep') }),
        now: () => ctx.now(),
      });
      return { lines: [formatBackup(r)], data: { dir: r.dir } };
    }),
  );
  registry.add(
    'held.list',
    'batches held for an admin (all: with the decided ones)',
    audited('held.list', async (a, ctx) => {
      const rows = await listHeld(ctx.db, { all: a['all'] === true });
      return {
        lines:
          rows.length === 0
            ? ['no batch is held']
            : rows.map(
                (h) =>
                  `batch ${h.batch_id}  ${h.status}  ${h.feed}  ${h.source}  held ${h.held_at}: ${h.reason}` +
                  (h.decided_by ? `  (${h.status} by ${h.decided_by} ${h.decided_at})` : ''),
              ),
        data: rows,
      };
    }),
  );
  registry.add(
    'held.release',
    'apply a held batch as it is',
    audited('held.release', async (a, ctx) => {
      const batch = positiveInt(a['batch'], 'BATCH');
      const policy = ingestPolicy(d.config, ctx.db.path);
      const r = await exclusive('held', () =>
        releaseHeld(ctx.db, batch, {
          actor: ctx.actor,
          now: () => ctx.now(),
          limits: policy.limits,
          filesDir: policy.filesDir,
        }),
      );
      return {
        lines: [`batch ${batch} released as batch ${r.batchId}: ${formatCounts(r)}`],
        data: r,
      };
    }),
  );
  registry.add(
    'held.discard',
    'apply nothing of a held batch; its source goes on past it',
    audited('held.discard', async (a, ctx) => {
      const batch = positiveInt(a['batch'], 'BATCH');
      await exclusive('held', () =>
        discardHeld(ctx.db, batch, { actor: ctx.actor, now: () => ctx.now() }),
      );
      return { lines: [`batch ${batch} discarded: nothing of it is applied; its source goes on`] };
    }),
  );
  registry.add(
    'db.stats',
    'what takes the space',
    audited('db.stats', async (_a, ctx) => {
      const s = await dbStats(ctx.db);
      return { lines: formatStats(s), data: s };
    }),
  );
  registry.add(
    'db.compact',
    'apply the retention policy now',
    audited('db.compact', async (_a, ctx) => {
      const r = await exclusive('retention', () =>
        applyRetention(ctx.db, retentionPolicy(d.config, ctx.db.path), ctx.now()),
      );
      return { lines: [formatRetention(r)], data: r };
    }),
  );
  return registry;
}
