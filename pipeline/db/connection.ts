import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  DuckDBInstance,
  JsonDuckDBValueConverter,
  type DuckDBConnection,
  type DuckDBDataChunk,
  type DuckDBMaterializedResult,
  type DuckDBPreparedStatement,
  type DuckDBValue,
} from '@duckdb/node-api';
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
  /**
   * Streams a query's result chunk by chunk (about 2,048 rows each), read column by column:
   * numbers go straight into typed arrays, with no object per row (feature matrices). Same rule
   * as `stream`: run no other statement on this Db until the iteration ends.
   */
  streamChunks(sql: string, params?: SqlParams): AsyncIterable<DbChunk>;
  /** First row or undefined. */
  one<T extends object = Row>(sql: string, params?: SqlParams): Promise<T | undefined>;
  /** Runs `fn` inside BEGIN … COMMIT; rolls back and rethrows on error. Not re-entrant. */
  transaction<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  /**
   * Another connection to the same database (same process, same file). Each connection has its
   * own transactions: a reader on one never sees another's uncommitted work. Close it when done.
   */
  fork(): Promise<Db>;
  /**
   * Writes the write-ahead log into the database file (FORCE CHECKPOINT: waits for the running
   * transactions of other connections). Bulk writers call it (via settleBulkWrite) after committing: with DuckDB 1.5.6,
   * rows appended by a large transaction in several statements (more than a row group, 122,880
   * rows) may stay invisible to the process that wrote them until a checkpoint, although they are
   * committed and in the log (reproduced by pipeline/db/checkpoint.test.ts).
   */
  checkpoint(): Promise<void>;
  close(): void;
}

/** One chunk of a streamed result (Db.streamChunks). */
export interface DbChunk {
  readonly rowCount: number;
  /**
   * Writes numeric column `column` to target[offset + i·stride] for each row i (NULL → NaN).
   * The column must be a number type (cast DECIMAL to DOUBLE in SQL).
   */
  numbers(
    column: number,
    target: Float32Array | Float64Array,
    offset: number,
    stride: number,
  ): void;
  /** A column's values as strings (cast dates to VARCHAR in SQL); NULL → null. */
  strings(column: number): (string | null)[];
}

/** A streamed result chunk, read through its column vectors. */
function chunkReader(chunk: DuckDBDataChunk, what: string): DbChunk {
  return {
    rowCount: chunk.rowCount,
    numbers(column, target, offset, stride) {
      const vector = chunk.getColumnVector(column);
      const n = chunk.rowCount;
      for (let i = 0, p = offset; i < n; i++, p += stride) {
        const v = vector.getItem(i);
        if (typeof v === 'number') target[p] = v;
        else if (v === null) target[p] = Number.NaN;
        else if (typeof v === 'bigint') target[p] = Number(v);
        else throw new DbError('db_failed', `[db] ${what}: column ${column} is not a number`);
      }
    },
    strings(column) {
      return chunk.getColumnValues(column).map((v) => (v === null ? null : String(v)));
    },
  };
}

export interface OpenDbOptions {
  readOnly?: boolean;
  /** DuckDB memory_limit, e.g. '4GB'. */
  memoryLimit?: string;
  threads?: number;
}

const LOCK_RE =
  /Could not set lock on file "([^"]+)": Conflicting lock is held in (.+?) \(PID (\d+)\)/;

/**
 * Errors after which the database cannot be trusted to go on: DuckDB invalidates the database
 * after a fatal error (every later statement fails), and a full disk fails every commit.
 */
const FATAL_RE =
  /FATAL Error|database has been invalidated|No space left on device|Input\/output error/;

const fatalByPath = new Map<string, DbError>();
const fatalListeners = new Set<(path: string, err: DbError) => void>();

/** The fatal error of the database at `path` in this process, if one happened. */
export function dbFatalError(path: string): DbError | undefined {
  return fatalByPath.get(path);
}

/** Calls `fn` once per database, on its first fatal error. Returns the unsubscribe function. */
export function onDbFatal(fn: (path: string, err: DbError) => void): () => void {
  fatalListeners.add(fn);
  return () => fatalListeners.delete(fn);
}

function noteFatal(path: string, err: DbError): void {
  if (fatalByPath.has(path)) return;
  fatalByPath.set(path, err);
  for (const fn of fatalListeners) fn(path, err);
}

/** Wraps a DuckDB error into a DbError whose message names the statement's purpose, not its text. */
export function wrapDbError(err: unknown, what: string, path?: string): DbError {
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
  if (FATAL_RE.test(message)) {
    const fatal = new DbError('db_fatal', `[db] ${what}: ${firstLine}`, { cause: err });
    if (path !== undefined) noteFatal(path, fatal);
    return fatal;
  }
  return new DbError('db_failed', `[db] ${what}: ${firstLine}`, { cause: err });
}

function summarise(sql: string): string {
  return sql.replace(/\s+/g, ' ').trim().slice(0, 80);
}

/** Prepared statements kept per connection (least recently used dropped first). */
export const STATEMENT_CACHE_SIZE = 128;

/**
 * Rows of a materialized result as JSON-safe objects, read synchronously (a materialized result
 * holds all its chunks; `runAndReadAll()` would fetch each one through the thread pool).
 * Same conversion and duplicate-column naming as `getRowObjectsJson()`.
 */
function rowObjectsJson(result: DuckDBMaterializedResult): Record<string, unknown>[] {
  const names = result.deduplicatedColumnNames();
  const rows: Record<string, unknown>[] = [];
  const chunks = result.chunkCount;
  for (let c = 0; c < chunks; c++) {
    const chunk = result.getChunk(c);
    const n = chunk.rowCount;
    for (let i = 0; i < n; i++) {
      const row: Record<string, unknown> = {};
      chunk.visitRowValues(i, (value, _row, col, type) => {
        row[names[col]!] = JsonDuckDBValueConverter(value, type, JsonDuckDBValueConverter);
      });
      rows.push(row);
    }
  }
  return rows;
}

interface CachedStatement {
  stmt: DuckDBPreparedStatement;
  busy: boolean;
}

class DuckDb implements Db {
  readonly path: string;
  readonly #instance: DuckDBInstance;
  readonly #conn: DuckDBConnection;
  readonly #owner: boolean;
  #inTransaction = false;
  /**
   * Parameterised statements prepared once and reused: parsing and planning a statement costs
   * more than running a point lookup. Keyed by SQL text; a statement in use (two calls at once on
   * this connection) is not shared: the second call prepares a one-off.
   */
  readonly #statements = new Map<string, CachedStatement>();
  /** SQL texts that cannot be prepared as one statement (several statements): run the old way. */
  readonly #unpreparable = new Set<string>();

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

  /** Runs `sql` with `params`, through a cached prepared statement when it can be prepared. */
  async #execute(sql: string, params: SqlParams | undefined): Promise<DuckDBMaterializedResult> {
    if (params === undefined || this.#unpreparable.has(sql)) {
      return params === undefined ? this.#conn.run(sql) : this.#conn.run(sql, params);
    }
    let cached = this.#statements.get(sql);
    if (cached) {
      // most recently used last
      this.#statements.delete(sql);
      this.#statements.set(sql, cached);
    } else {
      let stmt: DuckDBPreparedStatement;
      try {
        stmt = await this.#conn.prepare(sql);
      } catch (err) {
        // several statements in one text (allowed: all but the last run without parameters)
        if (/multiple statements|more than one statement/i.test(String(err))) {
          this.#unpreparable.add(sql);
          return this.#conn.run(sql, params);
        }
        throw err;
      }
      cached = this.#statements.get(sql);
      if (cached)
        stmt.destroySync(); // prepared meanwhile by a concurrent call
      else {
        cached = { stmt, busy: false };
        this.#statements.set(sql, cached);
        if (this.#statements.size > STATEMENT_CACHE_SIZE) {
          for (const [k, v] of this.#statements) {
            if (v.busy) continue;
            this.#statements.delete(k);
            v.stmt.destroySync();
            break;
          }
        }
      }
    }
    if (cached.busy) return this.#conn.run(sql, params);
    cached.busy = true;
    try {
      cached.stmt.clearBindings();
      cached.stmt.bind(params);
      return await cached.stmt.run();
    } catch (err) {
      // never keep a statement whose last use failed: the next call prepares it afresh
      if (this.#statements.get(sql) === cached) this.#statements.delete(sql);
      cached.stmt.destroySync();
      throw err;
    } finally {
      cached.busy = false;
    }
  }

  async run(sql: string, params?: SqlParams): Promise<void> {
    try {
      await this.#execute(sql, params);
    } catch (err) {
      throw wrapDbError(err, summarise(sql), this.path);
    }
  }

  async all<T extends object = Row>(sql: string, params?: SqlParams): Promise<T[]> {
    try {
      return rowObjectsJson(await this.#execute(sql, params)) as T[];
    } catch (err) {
      throw wrapDbError(err, summarise(sql), this.path);
    }
  }

  async *stream<T extends object = Row>(sql: string, params?: SqlParams): AsyncIterable<T[]> {
    let result;
    try {
      result =
        params === undefined ? await this.#conn.stream(sql) : await this.#conn.stream(sql, params);
    } catch (err) {
      throw wrapDbError(err, summarise(sql), this.path);
    }
    try {
      for await (const rows of result.yieldRowObjectJson()) yield rows as T[];
    } catch (err) {
      throw wrapDbError(err, summarise(sql), this.path);
    }
  }

  async *streamChunks(sql: string, params?: SqlParams): AsyncIterable<DbChunk> {
    const what = summarise(sql);
    let result;
    try {
      result =
        params === undefined ? await this.#conn.stream(sql) : await this.#conn.stream(sql, params);
    } catch (err) {
      throw wrapDbError(err, what);
    }
    for (;;) {
      let chunk: DuckDBDataChunk | null;
      try {
        chunk = await result.fetchChunk();
      } catch (err) {
        throw wrapDbError(err, what);
      }
      if (chunk === null || chunk.rowCount === 0) return;
      yield chunkReader(chunk, what);
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

  async checkpoint(): Promise<void> {
    if (this.#inTransaction) throw new Error('checkpoint inside a transaction');
    await this.run('FORCE CHECKPOINT');
  }

  /** Closes this connection; the first connection also closes the database. */
  close(): void {
    // the connection destroys the statements it prepared (cached ones included)
    this.#statements.clear();
    this.#conn.closeSync();
    if (this.#owner) this.#instance.closeSync();
  }
}

/** DuckDB's row group: a transaction that wrote fewer rows cannot meet the issue of Db.checkpoint. */
const ROW_GROUP = 122_880;

/**
 * Called by a bulk writer after committing \`rows\` rows: checkpoints when the write may have crossed
 * a row group, so that this process sees all of it (see Db.checkpoint).
 */
export async function settleBulkWrite(db: Db, rows: number): Promise<void> {
  if (rows > ROW_GROUP) await db.checkpoint();
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
