export {
  openDb,
  settleBulkWrite,
  wrapDbError,
  dbFatalError,
  onDbFatal,
  type Db,
  type DbChunk,
  type OpenDbOptions,
  type Row,
  type SqlParams,
} from './connection.ts';
export { migrate, loadMigrations, type Migration } from './migrate.ts';
export { ident, literal, query } from './sql.ts';

import { openDb, type Db, type OpenDbOptions } from './connection.ts';
import { migrate } from './migrate.ts';
import { replayAuditJournal } from '../queries/audit-journal.ts';

/**
 * Opens a database and brings its schema up to date; audit entries a server put on record in its
 * journal but had not moved into audit_log when it stopped are moved now (queries/audit-journal.ts).
 */
export async function openMigratedDb(path: string, options: OpenDbOptions = {}): Promise<Db> {
  const db = await openDb(path, options);
  try {
    await migrate(db);
    if (!options.readOnly) await replayAuditJournal(db);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/** An in-memory, migrated database for `fn`, closed afterwards (tests, tools). */
export async function withDb<T>(fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await openMigratedDb(':memory:');
  try {
    return await fn(db);
  } finally {
    db.close();
  }
}
