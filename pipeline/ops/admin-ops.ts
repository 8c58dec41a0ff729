/**
 * The administration operations the command line runs — inside the running server through the
 * admin socket, or directly on the database when no server holds it. One implementation for both,
 * so `dafei backup` behaves the same either way.
 */
import { join } from 'node:path';
import { ingestPolicy, type FileConfig } from '../config.ts';
import type { Db } from '../db/index.ts';
import { UsageError } from '../errors.ts';
import { discardHeld, formatCounts, listHeld, releaseHeld } from '../feeds/index.ts';
import type { AdminHandler } from './admin-socket.ts';
import { ARCHIVE_DIR, backup, formatBackup } from './backup.ts';
import { applyRetention, formatRetention } from './retention.ts';
import { dbStats, formatStats } from './stats.ts';

export interface AdminOpsDeps {
  db: Db;
  config: Pick<FileConfig, 'backup' | 'retention' | 'limits' | 'hold' | 'files_dir'>;
  now?: () => Date;
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
export function retentionPolicy(
  config: Pick<FileConfig, 'retention' | 'files_dir' | 'limits' | 'hold'>,
  dbPath: string,
) {
  return {
    supersededEntriesDays: config.retention.superseded_entries_days,
    quarantineRawDays: config.retention.quarantine_raw_days,
    auditDays: config.retention.audit_days,
    archiveDir: join(ingestPolicy(config, dbPath).filesDir, ARCHIVE_DIR),
  };
}

export function adminOperations(d: AdminOpsDeps): Record<string, AdminHandler> {
  const now = d.now ?? (() => new Date());
  const exclusive = d.exclusive ?? (<T>(_name: string, fn: () => Promise<T>) => fn());
  const policy = () => ingestPolicy(d.config, d.db.path);
  const ops: Record<string, (args: Record<string, unknown>) => Promise<AdminReply>> = {
    async backup(a) {
      const to = optionalString(a['to'], '--to') ?? d.config.backup.dir;
      if (!to) throw new UsageError('backup needs --to DIR (or backup.dir in the config)');
      const keep =
        a['keep'] === undefined ? d.config.backup.keep : positiveInt(a['keep'], '--keep');
      const r = await backup(d.db, {
        to,
        keep,
        auditArchiveDir: join(policy().filesDir, ARCHIVE_DIR),
        now,
      });
      return { lines: [formatBackup(r)], data: { dir: r.dir } };
    },
    async 'held.list'(a) {
      const rows = await listHeld(d.db, { all: a['all'] === true });
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
    },
    async 'held.release'(a) {
      const batch = positiveInt(a['batch'], 'BATCH');
      const actor = optionalString(a['actor'], 'actor') ?? 'cli';
      const r = await exclusive('held', () =>
        releaseHeld(d.db, batch, {
          actor,
          now,
          limits: policy().limits,
          filesDir: policy().filesDir,
        }),
      );
      return {
        lines: [`batch ${batch} released as batch ${r.batchId}: ${formatCounts(r)}`],
        data: r,
      };
    },
    async 'held.discard'(a) {
      const batch = positiveInt(a['batch'], 'BATCH');
      const actor = optionalString(a['actor'], 'actor') ?? 'cli';
      await exclusive('held', () => discardHeld(d.db, batch, { actor, now }));
      return { lines: [`batch ${batch} discarded: nothing of it is applied; its source goes on`] };
    },
    async 'db.stats'() {
      const s = await dbStats(d.db);
      return { lines: formatStats(s), data: s };
    },
    async 'db.compact'() {
      const r = await exclusive('retention', () =>
        applyRetention(d.db, retentionPolicy(d.config, d.db.path), now()),
      );
      return { lines: [formatRetention(r)], data: r };
    },
  };
  return ops;
}
