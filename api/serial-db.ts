/**
 * How the API shares DuckDB. pipeline/db gives one connection per Db; measured on this machine, a
 * query issued while a `stream()` is being read silently ends that stream after its first chunk,
 * and a statement issued while a `transaction()` is open joins that transaction (and is rolled
 * back with it). So each connection does one thing at a time: one statement, one transaction or
 * one whole stream. To use both cores, the pool forks up to `size` connections (`db.fork()`, same
 * database, own transactions) and hands each call the first idle one, queueing FIFO when all are
 * busy. startServer() gives the API its own fork, so the scheduler's transactions on the main
 * connection never interleave with API reads. close() lets the statements running or queued
 * finish (a request's, or a cache's background refresh: pipeline/refresh-ahead.ts) and closes each
 * connection when it is next idle; calls made after close() fail.
 */
import type { Db, DbChunk, Row, SqlParams } from '../pipeline/db/index.ts';
import { DbError } from '../pipeline/errors.ts';

const SERIAL = Symbol('dafei.serialDb');

export interface SerialDb extends Db {
  readonly [SERIAL]: true;
  /** Runs `fn` holding one connection (for several statements that must not interleave). */
  exclusive<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  /** Calls waiting for a connection (for /metrics). */
  readonly waiting: number;
  /** Connections open in the pool. */
  readonly connections: number;
}

export function isSerialDb(db: Db): db is SerialDb {
  return (db as Partial<SerialDb>)[SERIAL] === true;
}

/** Default pool size: one connection per core is what DuckDB can use; a third hides I/O waits. */
export const POOL_SIZE = 3;

/**
 * Wraps `db` in a pool of at most `size` connections (the first is `db` itself, the others are
 * forked on demand). `close()` closes the forks and `db`. Idempotent on an already wrapped Db.
 */
export function serializeDb(db: Db, size = POOL_SIZE): SerialDb {
  if (isSerialDb(db)) return db;
  const idle: Db[] = [db];
  const all: Db[] = [db];
  const queue: ((c: Db) => void)[] = [];
  let forking = 0;
  let closing = false;
  const closed = () => new DbError('db_failed', '[db] the API database pool is closed');
  /** After close(): closes `c` now that no statement runs on it; `db` (the database) last. */
  const retire = (c: Db): void => {
    if (c !== db) {
      c.close();
      all.splice(all.indexOf(c), 1);
      idle.splice(idle.indexOf(c), 1);
    }
    if (all.length === 1 && forking === 0 && idle.includes(db)) {
      all.length = 0;
      db.close();
    }
  };
  const acquire = async (): Promise<Db> => {
    if (closing) throw closed();
    const c = idle.pop();
    if (c) return c;
    if (all.length + forking < size) {
      forking++;
      let f: Db | undefined;
      try {
        // a call made before close() still runs: the fork closes when it is released
        f = await db.fork();
        all.push(f);
      } catch {
        // cannot fork: wait for a connection instead
      } finally {
        forking--;
      }
      if (f) return f;
      if (closing) {
        retire(db);
        throw closed();
      }
    }
    return new Promise<Db>((resolve) => queue.push(resolve));
  };
  const release = (c: Db): void => {
    const next = queue.shift();
    if (next) next(c);
    else {
      idle.push(c);
      if (closing) retire(c);
    }
  };
  const use = async <T>(fn: (c: Db) => Promise<T>): Promise<T> => {
    const c = await acquire();
    try {
      return await fn(c);
    } finally {
      release(c);
    }
  };
  const wrapped: SerialDb = {
    [SERIAL]: true,
    get path() {
      return db.path;
    },
    get waiting() {
      return queue.length;
    },
    get connections() {
      return all.length;
    },
    run: (sql: string, params?: SqlParams) => use((c) => c.run(sql, params)),
    all: <T extends object = Row>(sql: string, params?: SqlParams) =>
      use((c) => c.all<T>(sql, params)),
    one: <T extends object = Row>(sql: string, params?: SqlParams) =>
      use((c) => c.one<T>(sql, params)),
    transaction: <T>(fn: (tx: Db) => Promise<T>) => use((c) => c.transaction(fn)),
    exclusive: <T>(fn: (inner: Db) => Promise<T>) => use(fn),
    async *stream<T extends object = Row>(sql: string, params?: SqlParams): AsyncIterable<T[]> {
      const c = await acquire();
      try {
        yield* c.stream<T>(sql, params);
      } finally {
        release(c);
      }
    },
    async *streamChunks(sql: string, params?: SqlParams): AsyncIterable<DbChunk> {
      const c = await acquire();
      try {
        yield* c.streamChunks(sql, params);
      } finally {
        release(c);
      }
    },
    fork: () => db.fork(),
    checkpoint: () => use((c) => c.checkpoint()),
    close: () => {
      // statements running or queued (a request's, a background refresh's) finish first: each
      // connection closes when it is next idle, never under a running statement
      if (closing) return;
      closing = true;
      for (const c of idle.slice()) retire(c);
    },
  };
  return wrapped;
}
