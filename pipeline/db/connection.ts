import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { DbError } from '../errors.ts';

export type SqlParams = Record<string, DuckDBValue> | DuckDBValue[];
export type Row = Record<string, unknown>;

/** The narrow database interface the rest of the pipeline sees. Only `pipeline/db` touches DuckDB. */
export interface Db {
  readonly path: string;
  /** Runs a statement (or several, without parameters). */
  run(sql: string, params?: SqlParams): Promise<void>;
  /** Runs a query and returns its rows as JSON-safe objects (BIGINT and DECIMAL become strings). */
  all<T extends object = Row>(sql: string, params?: SqlParams): Promise<T[]>;
  /**
   * Streams a query's rows in chunks (about 2,048 rows each) without holding the whole result.
   * Run no other statement on this Db until the iteration ends.
   */
  stream<T extends object = Row>(sql: string, params?: SqlParams): AsyncIterable<T[]>;
  /** First row or undefined. */
  one<T extends object = Row>(sql: string, params?: SqlParams): Promise<T | undefined>;
  /** Runs `fn` inside BEGIN … COMMIT; rolls back and rethrows on error. Not re-entrant. */
  transaction<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  /**
   * Another connection to the same database (same process, same file). Each connection has its
   * own transactions: a reader on one never sees another's uncommitted work. Close it when done.
   */
  fork(): Promise<Db>;
  close(): void;
}

export interface OpenDbOptions {
  readOnly?: boolean;
  /** DuckDB memory_limit, e.g. '4GB'. */
  memoryLimit?: string;
  threads?: number;
}

const LOCK_RE = /Could not set lock on file "([^"]+)": Conflicting lock is held in (.+?) \(PID (\d+)\)/;

/** Wraps a DuckDB error into a DbError whose message names the statement's purpose, not its text. */
export function wrapDbError(err: unknown, what: string): DbError {
  const message = err instanceof Error ? err.message : String(err);
  const lock = LOCK_RE.exec(message);
  if (lock) {
    return new DbError(
      'db_locked',
      `database ${lock[1]} is held by another process (PID ${lock[3]}, probably \`dafei serve\`); stop it or use its API`,
      { cause: err },
    );
  }
  const firstLine = message.split('\n')[0] ?? message;
  return new DbError('db_failed', `[db] ${what}: ${firstLine}`, { cause: err });
}

function summarise(sql: string): string {
  return sql.replace(/\s+/g, ' ').trim().slice(0, 80);
}

class DuckDb implements Db {
  readonly path: string;
  readonly #instance: DuckDBInstance;
  readonly #conn: DuckDBConnection;
  readonly #owner: boolean;
  #inTransaction = false;

  constructor(path: string, instance: DuckDBInstance, conn: DuckDBConnection, owner: boolean) {
    this.path = path;
    this.#instance = instance;
    this.#conn = conn;
    this.#owner = owner;
  }

  async fork(): Promise<Db> {
    const db = new DuckDb(this.path, this.#instance, await this.#instance.connect(), false);
    await db.run(`SET TimeZone = 'Asia/Shanghai'`);
    return db;
  }

  async run(sql: string, params?: SqlParams): Promise<void> {
    try {
      if (params === undefined) await this.#conn.run(sql);
      else await this.#conn.run(sql, params);
    } catch (err) {
      throw wrapDbError(err, summarise(sql));
    }
  }

  async all<T extends object = Row>(sql: string, params?: SqlParams): Promise<T[]> {
    try {
      const reader =
        params === undefined
          ? await this.#conn.runAndReadAll(sql)
          : await this.#conn.runAndReadAll(sql, params);
      return reader.getRowObjectsJson() as T[];
    } catch (err) {
      throw wrapDbError(err, summarise(sql));
    }
  }

  async *stream<T extends object = Row>(sql: string, params?: SqlParams): AsyncIterable<T[]> {
    let result;
    try {
      result = params === undefined ? await this.#conn.stream(sql) : await this.#conn.stream(sql, params);
    } catch (err) {
      throw wrapDbError(err, summarise(sql));
    }
    try {
      for await (const rows of result.yieldRowObjectJson()) yield rows as T[];
    } catch (err) {
      throw wrapDbError(err, summarise(sql));
    }
  }

  async one<T extends object = Row>(sql: string, params?: SqlParams): Promise<T | undefined> {
    const rows = await this.all<T>(sql, params);
    return rows[0];
  }

  async transaction<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    if (this.#inTransaction) throw new Error('nested transaction');
    this.#inTransaction = true;
    try {
      await this.run('BEGIN TRANSACTION');
      try {
        const result = await fn(this);
        await this.run('COMMIT');
        return result;
      } catch (err) {
        try {
          await this.#conn.run('ROLLBACK');
        } catch {
          // the transaction may already be aborted; the original error matters
        }
        throw err;
      }
    } finally {
      this.#inTransaction = false;
    }
  }

  /** Closes this connection; the first connection also closes the database. */
  close(): void {
    this.#conn.closeSync();
    if (this.#owner) this.#instance.closeSync();
  }
}

/** Opens (creating if needed) a DuckDB database file, or ':memory:'. */
export async function openDb(path: string, options: OpenDbOptions = {}): Promise<Db> {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const config: Record<string, string> = {};
  if (options.readOnly) config['access_mode'] = 'READ_ONLY';
  if (options.memoryLimit) config['memory_limit'] = options.memoryLimit;
  if (options.threads) config['threads'] = String(options.threads);
  // Only the extensions built into the binary exist here: never try to download one.
  config['autoinstall_known_extensions'] = 'false';
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(path, config);
  } catch (err) {
    throw wrapDbError(err, `open ${path}`);
  }
  const conn = await instance.connect();
  const db = new DuckDb(path, instance, conn, true);
  await db.run(`SET TimeZone = 'Asia/Shanghai'`);
  return db;
}
