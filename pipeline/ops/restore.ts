/**
 * `dafei restore --from DIR --db NEWPATH`: puts a backup into a new database file, and proves it.
 *
 * - DIR is one backup folder, or a folder of backups (then the newest complete one is taken).
 * - Refused: a folder without a manifest (the backup was interrupted), a file whose sha256 differs
 *   from the manifest (damaged), a NEWPATH that exists (a restore never overwrites).
 * - Verified before NEWPATH appears: the row count of every table and the fingerprint of every
 *   published list equal the manifest's. The copy is verified under a temporary name and renamed
 *   only when it passes; then it is migrated to this version of Dafei.
 * - The audit archives of the backup are copied into the new database's files folder.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { migrate, openDb } from '../db/index.ts';
import { AppError } from '../errors.ts';
import { defaultFilesDir } from '../feeds/index.ts';
import {
  ARCHIVE_DIR,
  BACKUP_FILE,
  BACKUP_FORMAT,
  BACKUP_NAME,
  listBackups,
  MANIFEST,
  sha256File,
  type BackupManifest,
} from './backup.ts';
import { compareFacts, databaseFacts } from './fingerprint.ts';

export interface RestoreOptions {
  from: string;
  db: string;
  /** Files folder of the new database (default `<db>.files`). */
  filesDir?: string;
}

export interface RestoreResult {
  from: string;
  db: string;
  tables: number;
  rows: number;
  lists: number;
  migrated: string[];
  seconds: number;
}

const invalid = (message: string) => new AppError('backup_invalid', message);

/** The backup folder to restore from: `from` itself, or the newest complete one inside it. */
export function pickBackup(from: string): string {
  const dir = resolve(from);
  if (!existsSync(dir)) throw new AppError('not_found', `no backup at ${dir}`);
  if (existsSync(join(dir, MANIFEST))) return dir;
  // a backup's own folder (by its name or its file) without the manifest written last
  if (existsSync(join(dir, BACKUP_FILE)) || BACKUP_NAME.test(basename(dir))) {
    throw invalid(
      `${dir} is an incomplete backup (it has no ${MANIFEST}: the backup was interrupted); refused`,
    );
  }
  const complete = listBackups(dir).filter((b) => b.complete);
  const newest = complete.at(-1);
  if (!newest) throw invalid(`${dir} holds no complete backup`);
  return newest.dir;
}

function readManifest(dir: string): BackupManifest {
  let m: BackupManifest;
  try {
    m = JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as BackupManifest;
  } catch (err) {
    throw invalid(`${join(dir, MANIFEST)} cannot be read: ${(err as Error).message}`);
  }
  if (m.format !== BACKUP_FORMAT)
    throw invalid(`${dir}: unknown backup format ${JSON.stringify(m.format)}`);
  return m;
}

export async function restore(o: RestoreOptions): Promise<RestoreResult> {
  const t0 = performance.now();
  const target = resolve(o.db);
  if (existsSync(target) || existsSync(`${target}.wal`)) {
    throw new AppError('usage', `${target} exists: a restore never overwrites; choose a new path`);
  }
  const dir = pickBackup(o.from);
  const m = readManifest(dir);
  const file = join(dir, m.file);
  if (!existsSync(file)) throw invalid(`${file} is missing`);
  const sha = await sha256File(file);
  if (sha !== m.sha256) {
    throw invalid(`${file} is damaged: its sha256 is ${sha}, the manifest says ${m.sha256}`);
  }
  for (const a of m.audit_archives) {
    const p = join(dir, ARCHIVE_DIR, a.file);
    if (!existsSync(p) || (await sha256File(p)) !== a.sha256)
      throw invalid(`audit archive ${p} is missing or damaged`);
  }
  mkdirSync(resolve(target, '..'), { recursive: true });
  const temp = `${target}.restoring`;
  rmSync(temp, { force: true });
  rmSync(`${temp}.wal`, { force: true });
  copyFileSync(file, temp);
  let migrated: string[];
  try {
    const db = await openDb(temp);
    try {
      const problems = compareFacts(m, await databaseFacts(db));
      if (problems.length > 0) {
        throw invalid(
          `the restored database does not match the backup's manifest (${problems.length} differences): ${problems.slice(0, 5).join('; ')}`,
        );
      }
    } finally {
      db.close();
    }
    renameSync(temp, target);
  } catch (err) {
    rmSync(temp, { force: true });
    rmSync(`${temp}.wal`, { force: true });
    throw err;
  }
  const db = await openDb(target);
  try {
    migrated = await migrate(db);
  } finally {
    db.close();
  }
  if (m.audit_archives.length > 0) {
    const files = join(o.filesDir ?? defaultFilesDir(target), ARCHIVE_DIR);
    mkdirSync(files, { recursive: true });
    for (const f of readdirSync(join(dir, ARCHIVE_DIR)))
      copyFileSync(join(dir, ARCHIVE_DIR, f), join(files, f));
  }
  return {
    from: dir,
    db: target,
    tables: Object.keys(m.tables).length,
    rows: Object.values(m.tables).reduce((a, b) => a + b, 0),
    lists: m.lists.length,
    migrated,
    seconds: (performance.now() - t0) / 1000,
  };
}

export function formatRestore(r: RestoreResult): string {
  return (
    `restored ${r.from} into ${r.db}: ${r.tables} tables, ${r.rows} rows and ${r.lists} published lists verified identical` +
    `${r.migrated.length ? `; migrated ${r.migrated.join(', ')}` : ''} (${r.seconds.toFixed(1)} s)`
  );
}
