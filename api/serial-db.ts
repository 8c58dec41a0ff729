/**
 * One DuckDB connection serves the whole process (pipeline/db). Measured on this machine: a query
 * issued while a `stream()` is being read silently ends that stream after its first chunk, and a
 * statement issued while a `transaction()` is open joins that transaction (and is rolled back with
 * it). So every request goes through this FIFO lock: one statement, one transaction or one whole
 * stream at a time. startServer() gives the API its own connection (`db.fork()`), so the
 * scheduler's transactions on the main connection never interleave with API reads.
 */
import type { Db, Row, SqlParams } from '../pipeline/db/index.ts';

const SERIAL = Symbol('dafei.serialDb');

export interface SerialDb extends Db {
  readonly [SERIAL]: true;
  /** Runs `fn` holding the lock (for several statements that must not interleave). */
  exclusive<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  /** Statements waiting for the lock (for /metrics). */
  readonly waiting: number;
}

export function isSerialDb(db: Db): db is SerialDb {
  return (db as Partial<SerialDb>)[SERIAL] === true;
}

/** Wraps `db` so that its statements, transactions and streams never interleave. Idempotent. */
export function serializeDb(db: Db): SerialDb {
  if (isSerialDb(db)) return db;
  let tail: Promise<void> = Promise.resolve();
  let waiting = 0;
  const lock = async (): Promise<() => void> => {
    let release!: () => void;
    const next = new Promise<void>((r) => (release = r));
    const prev = tail;
    tail = prev.then(() => next);
    waiting++;
    await prev;
    waiting--;
    return release;
  };
  const withLock = async <T>(fn: () => Promise<T>): Promise<T> => {
    const release = await lock();
    try {
      return await fn();
    } finally {
      release();
    }
  };
  const wrapped: SerialDb = {
    [SERIAL]: true,
    get path() {
      return db.path;
    },
    get waiting() {
      return waiting;
    },
    run: (sql: string, params?: SqlParams) => withLock(() => db.run(sql, params)),
    all: <T extends object = Row>(sql: string, params?: SqlParams) =>
      withLock(() => db.all<T>(sql, params)),
    one: <T extends object = Row>(sql: string, params?: SqlParams) =>
      withLock(() => db.one<T>(sql, params)),
    transaction: <T>(fn: (tx: Db) => Promise<T>) => withLock(() => db.transaction(fn)),
    exclusive: <T>(fn: (inner: Db) => Promise<T>) => withLock(() => fn(db)),
    async *stream<T extends object = Row>(sql: string, params?: SqlParams): AsyncIterable<T[]> {
      const release = await lock();
      try {
        yield* db.stream<T>(sql, params);
      } finally {
        release();
      }
    },
    fork: () => db.fork(),
    close: () => db.close(),
  };
  return wrapped;
}
