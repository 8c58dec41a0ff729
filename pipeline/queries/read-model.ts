/** Keeps a derived table (a read model) fresh: rebuilt in the background when its sources change. */
import type { Db } from '../db/index.ts';
import { refreshAhead } from '../refresh-ahead.ts';

export interface ReadModelKeeper {
  /** Fresh now? If not, a background rebuild is started. */
  ensure(): Promise<boolean>;
  /** Resolves when the read model is fresh (rebuilding it first if needed). */
  warm(): Promise<void>;
  /** Forget the remembered answer (call after writing one of its sources). */
  invalidate(): void;
}

/**
 * A read model stamped with the state of its sources: `table` holds the rows of `buildSql`, and
 * `${table}_state(stamp, built_at, seconds)` the value of `stampSql` when it was built. It is fresh
 * while the stamp still equals `stampSql`.
 */
export interface StampedReadModel {
  table: string;
  /** One scalar that changes whenever a source of the read model changes. */
  stampSql: string;
  /** The SELECT whose rows fill `table`. */
  buildSql: string;
}

/** Whether the read model reflects its sources as they are now. */
export async function readModelFresh(db: Db, m: StampedReadModel): Promise<boolean> {
  const r = await db.one<{ fresh: boolean }>(
    `SELECT coalesce((SELECT stamp FROM ${m.table}_state) = (${m.stampSql}), false) AS fresh`,
  );
  return r?.fresh ?? false;
}

/**
 * Rebuilds the read model in one transaction (readers see the old or the new one). Run it on its
 * own connection (`db.fork()`) so that reads go on meanwhile. Returns seconds taken.
 */
export async function rebuildReadModel(db: Db, m: StampedReadModel): Promise<number> {
  const t0 = performance.now();
  await db.transaction(async (tx) => {
    await tx.run(`DELETE FROM ${m.table}`);
    await tx.run(`INSERT INTO ${m.table} ${m.buildSql}`);
    await tx.run(`DELETE FROM ${m.table}_state`);
    await tx.run(`INSERT INTO ${m.table}_state SELECT (${m.stampSql}), now(), $s`, {
      s: (performance.now() - t0) / 1000,
    });
  });
  return (performance.now() - t0) / 1000;
}

export interface ReadModelOptions {
  name: string;
  fresh(db: Db): Promise<boolean>;
  /** Rebuilds it; runs on a connection of its own (`db.fork()`). */
  rebuild(db: Db): Promise<unknown>;
  /** How long a fresh answer is reused, in ms (default 1,000). */
  ttlMs?: number;
  /** The clock, in ms (tests; default Date.now). */
  now?: () => number;
}

/**
 * `ensure()` answers whether the read model is fresh now and, when it is not, starts one
 * background rebuild on a forked connection (never two at a time), so reads go on meanwhile.
 * A fresh answer is reused for `ttlMs` from the start of its check, and checked again in the
 * background from ¾ of that age on (pipeline/refresh-ahead.ts), so no request waits for the check
 * while the model stays fresh: a change made by another connection still shows within `ttlMs`.
 * A stale answer is not reused: the next call checks again (the rebuild may have landed).
 */
export function createReadModelKeeper(
  db: Db,
  o: ReadModelOptions,
  log: (m: string, err?: unknown) => void,
): ReadModelKeeper {
  let rebuilding: Promise<void> | undefined;
  // one check at a time: requests that arrive meanwhile share its answer, unless invalidate()
  // was called after it started (its answer may predate the write that invalidated it)
  const checked = refreshAhead(() => o.fresh(db), {
    ttlMs: o.ttlMs ?? 1_000,
    ...(o.now ? { now: o.now } : {}),
    onError: (err) => log(`checking whether ${o.name} is fresh failed`, err),
  });
  return {
    async warm() {
      if (!(await this.ensure())) await rebuilding;
    },
    invalidate() {
      checked.invalidate();
    },
    async ensure() {
      if (await checked.get()) return true;
      checked.invalidate();
      rebuilding ??= (async () => {
        const own = await db.fork();
        try {
          await o.rebuild(own);
        } catch (err) {
          log(`rebuilding ${o.name} failed`, err);
        } finally {
          own.close();
          rebuilding = undefined;
        }
      })();
      return false;
    },
  };
}
