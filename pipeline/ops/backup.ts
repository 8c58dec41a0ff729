/**
 * `dafei backup`: a consistent online snapshot of the database into `<root>/dafei-<UTC time>/`.
 *
 * - Consistent and online: one transaction on a connection of its own reads the snapshot
 *   (DuckDB's MVCC): `COPY FROM DATABASE` into a new DuckDB file, the row count of every table and
 *   the fingerprint of every published list. Reads and a daily run go on meanwhile; what they
 *   commit after the snapshot began is not in the backup, and nothing half-written is.
 * - Checked before it is declared complete: the copy is re-read and must match the counts and
 *   fingerprints taken from the source.
 * - The manifest (`manifest.json`: counts, fingerprints, sha256 of the file) is written last,
 *   atomically (temporary file, fsync, rename, fsync of the folder). A folder without it is an
 *   incomplete backup that `dafei restore` refuses.
 * - Retention: after a backup is complete, only the newest `keep` complete ones are kept; an
 *   incomplete folder older than the newest complete backup is deleted too.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  copyFileSync,
  createReadStream,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { ident, literal, type Db } from '../db/index.ts';
import { AppError } from '../errors.ts';
import { compareFacts, currentDatabase, databaseFacts, type DatabaseFacts } from './fingerprint.ts';

export const MANIFEST = 'manifest.json';
export const BACKUP_FILE = 'dafei.duckdb';
export const ARCHIVE_DIR = 'audit-archive';
export const BACKUP_FORMAT = 'dafei-backup/1';
/** The name of one backup's folder: dafei-<UTC time>[-n]. */
export const BACKUP_NAME = /^dafei-\d{8}T\d{6}Z(-\d+)?$/;

export interface BackupManifest extends DatabaseFacts {
  format: typeof BACKUP_FORMAT;
  created_at: string;
  finished_at: string;
  /** The database file backed up. */
  source: string;
  duckdb_version: string;
  migrations: string[];
  file: string;
  bytes: number;
  sha256: string;
  /** Jobs that were queued or running when the snapshot was taken (their work is not in it). */
  running_jobs: { run_id: number; job: string; target: string | null; status: string }[];
  /** Audit archives (Parquet) copied beside the database, with their sha256. */
  audit_archives: { file: string; bytes: number; sha256: string }[];
}

export interface BackupOptions {
  /** The folder that holds backups (one sub-folder each). */
  to: string;
  /** Complete backups kept in `to` after this one (default: all). */
  keep?: number;
  /** Folder of the audit archives to copy (`<files dir>/audit-archive`), if any. */
  auditArchiveDir?: string;
  now?: () => Date;
}

export interface BackupResult {
  dir: string;
  manifest: BackupManifest;
  /** Folders deleted by retention. */
  pruned: string[];
  seconds: number;
}

export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Writes `text` to `path` durably: a temporary file, fsync, rename, fsync of the folder. */
export function writeDurably(dir: string, name: string, text: string): void {
  const tmp = join(dir, `.${name}.tmp`);
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, join(dir, name));
  const dfd = openSync(dir, 'r');
  try {
    fsyncSync(dfd);
  } finally {
    closeSync(dfd);
  }
}

function stamp(at: Date): string {
  return at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/** Backup folders in `root`, oldest first, and whether each is complete. */
export function listBackups(root: string): { name: string; dir: string; complete: boolean }[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && BACKUP_NAME.test(d.name))
    .map((d) => ({
      name: d.name,
      dir: join(root, d.name),
      complete: existsSync(join(root, d.name, MANIFEST)),
    }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Keeps the newest `keep` complete backups; deletes incomplete ones older than the newest complete. */
export function pruneBackups(root: string, keep: number): string[] {
  const all = listBackups(root);
  const complete = all.filter((b) => b.complete);
  const newest = complete.at(-1)?.name;
  const drop = [
    ...complete.slice(0, Math.max(0, complete.length - keep)),
    ...all.filter((b) => !b.complete && newest !== undefined && b.name < newest),
  ];
  for (const b of drop) rmSync(b.dir, { recursive: true, force: true });
  return drop.map((b) => b.dir).sort();
}

let running: Promise<unknown> | undefined;
let attachments = 0;

export async function backup(db: Db, o: BackupOptions): Promise<BackupResult> {
  // one backup at a time per process (a scheduled one and a requested one may meet)
  while (running) await running.catch(() => undefined);
  const p = backupNow(db, o);
  running = p;
  try {
    return await p;
  } finally {
    running = undefined;
  }
}

async function backupNow(db: Db, o: BackupOptions): Promise<BackupResult> {
  const t0 = performance.now();
  const now = o.now ?? (() => new Date());
  const created = now();
  const root = resolve(o.to);
  mkdirSync(root, { recursive: true });
  let name = `dafei-${stamp(created)}`;
  for (let i = 1; existsSync(join(root, name)); i++) name = `dafei-${stamp(created)}-${i}`;
  const dir = join(root, name);
  mkdirSync(dir);
  const file = join(dir, BACKUP_FILE);
  const conn = await db.fork();
  // attached databases are seen by every connection of the instance: unique names, always detached
  const alias = `dafei_backup_${++attachments}`;
  const check = `${alias}_check`;
  try {
    const source = await currentDatabase(conn);
    // the snapshot: copy, counts, fingerprints and running jobs in one transaction
    const snap = await conn.transaction(async (tx) => {
      await tx.run(`ATTACH ${literal(file)} AS ${ident(alias)}`);
      await tx.run(`COPY FROM DATABASE ${ident(source)} TO ${ident(alias)}`);
      const facts = await databaseFacts(tx, source);
      const runningJobs = await tx.all<BackupManifest['running_jobs'][number]>(
        `SELECT run_id::INTEGER AS run_id, job, target, status FROM ${ident(source)}.main.job_runs
         WHERE status IN ('running', 'queued') ORDER BY run_id`,
      );
      const migrations = (
        await tx.all<{ name: string }>(
          `SELECT name FROM ${ident(source)}.main._migrations ORDER BY name`,
        )
      ).map((r) => r.name);
      return { facts, runningJobs, migrations };
    });
    await conn.run(`DETACH ${ident(alias)}`);
    // the copy must hold exactly what the snapshot held
    await conn.run(`ATTACH ${literal(file)} AS ${ident(check)} (READ_ONLY)`);
    const copied = await databaseFacts(conn, check);
    await conn.run(`DETACH ${ident(check)}`);
    const problems = compareFacts(snap.facts, copied);
    if (problems.length > 0) {
      throw new AppError(
        'backup_invalid',
        `backup ${dir} does not match its source: ${problems.slice(0, 5).join('; ')}`,
      );
    }
    const archives: BackupManifest['audit_archives'] = [];
    if (o.auditArchiveDir && existsSync(o.auditArchiveDir)) {
      const target = join(dir, ARCHIVE_DIR);
      mkdirSync(target);
      for (const f of readdirSync(o.auditArchiveDir)
        .filter((n) => n.endsWith('.parquet'))
        .sort()) {
        copyFileSync(join(o.auditArchiveDir, f), join(target, f));
        archives.push({
          file: f,
          bytes: statSync(join(target, f)).size,
          sha256: await sha256File(join(target, f)),
        });
      }
    }
    const version = (await conn.one<{ v: string }>(`SELECT version() AS v`))!.v;
    const manifest: BackupManifest = {
      format: BACKUP_FORMAT,
      created_at: created.toISOString(),
      finished_at: now().toISOString(),
      source: db.path,
      duckdb_version: version,
      migrations: snap.migrations,
      file: BACKUP_FILE,
      bytes: statSync(file).size,
      sha256: await sha256File(file),
      running_jobs: snap.runningJobs,
      audit_archives: archives,
      ...snap.facts,
    };
    writeDurably(dir, MANIFEST, `${JSON.stringify(manifest, null, 1)}\n`);
    const pruned = o.keep === undefined ? [] : pruneBackups(root, o.keep);
    return { dir, manifest, pruned, seconds: (performance.now() - t0) / 1000 };
  } catch (err) {
    // an incomplete folder (no manifest) is refused by restore; leave it for inspection
    throw err instanceof AppError
      ? err
      : new AppError('backup_invalid', `backup into ${dir} failed: ${(err as Error).message}`, {
          cause: err,
        });
  } finally {
    for (const a of [alias, check])
      await conn.run(`DETACH DATABASE IF EXISTS ${ident(a)}`).catch(() => undefined);
    conn.close();
  }
}

/** One line about a finished backup. */
export function formatBackup(r: BackupResult): string {
  const rows = Object.values(r.manifest.tables).reduce((a, b) => a + b, 0);
  return (
    `backup ${r.dir}: ${Object.keys(r.manifest.tables).length} tables, ${rows} rows, ` +
    `${r.manifest.lists.length} published lists, ${(r.manifest.bytes / 2 ** 20).toFixed(1)} MiB, ` +
    `${r.seconds.toFixed(1)} s${r.pruned.length ? `; removed ${r.pruned.length} older` : ''}`
  );
}
