/**
 * The audit journal: how the server puts an entry on record before it answers, without waiting for
 * a DuckDB commit. `append()` writes the entries as lines of `<database>.audit-journal` (one
 * write, on this thread): from then on a killed or crashed server process loses none of them.
 * fdatasync follows within `syncMs` in the background, for every line written meanwhile; `sync()`
 * waits for it, which the server does for the entries of requests that change something (a
 * change is not answered before its entry is on disk), not for reads. A mover inserts the lines into
 * audit_log (the hash chain, ./audit.ts) in one transaction every `intervalMs`, which also records
 * the last line moved (audit_journal_moved). When every line is moved the file is emptied. Opening
 * the database (openMigratedDb) replays a journal left by a process that stopped without moving
 * it: every line not yet moved is inserted, once, with the time it was written.
 *
 * Why, measured at 200 requests/s (bench/api-load.ts): a GET /v1/alerts waited 4–5 ms on average,
 * up to 30 ms, for its own INSERT … COMMIT — most of its time — and the INSERTs took more CPU than
 * the requests; then, with the journal, for fdatasync (DEFAULT_SYNC_MS says what that cost).
 *
 * A power cut (not a process crash) can lose the entries of reads answered in the last `syncMs`
 * before it; a failed fdatasync refuses every audited request (503) until the mover has put the
 * lines into the database.
 *
 * Lines: {"j": journal id, "s": seq, "h": hash, "e": entry}. `h` is sha256 over the previous
 * line's hash and this line's j, s and e (the first line of a journal links to ""), so an edited,
 * removed or inserted line is found at replay (it is still moved, and an `audit.journal_broken`
 * entry names it). A last line cut short (a power cut in the middle of its write reaching the
 * disk) is dropped, and an `audit.journal_torn` entry says so.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fdatasync,
  ftruncateSync,
  openSync,
  readFileSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { promisify } from 'node:util';
import type { Db } from '../db/index.ts';
import { AppError } from '../errors.ts';
import { forgetAuditHead, lostChainRace, writeAudits, type AuditEntry } from './audit.ts';

/**
 * How often the mover inserts the journal's lines into audit_log: one transaction per move,
 * whatever its size. Measured at 200 requests/s: moving every 200 ms (and again at once for the
 * lines appended during a move) cost the server 2.3–3.4 ms of CPU per request; once a second,
 * 1.3–1.5 ms.
 */
export const DEFAULT_INTERVAL_MS = 1000;

/**
 * At most how long a written line waits for fdatasync: the loss window of a power cut for the
 * entries of reads, which are answered once written (a change waits for its entry's sync). Measured
 * at 200 requests/s (bench/api-load.ts): waiting for fdatasync before each answer put the p99 of
 * GET /v1/alerts at 15.9–28.4 ms, because under load one sync in a few hundred took 10–30 ms (0.2 ms
 * when quiet); with a sync every 50 ms in the background, 7.9–14.6 ms in 12 rounds.
 */
export const DEFAULT_SYNC_MS = 50;

/** Journals open in this process (their files are not leftovers to replay). */
const live = new Set<string>();

/** fdatasync on the thread pool: the event loop serves other requests meanwhile. */
const datasync = promisify(fdatasync);

/** The journal of a database file. */
export function auditJournalPath(dbPath: string): string {
  return `${dbPath}.audit-journal`;
}

/** Whether `db` can have a journal (a file; an in-memory database has nothing to keep on disk). */
export function journalled(db: Db): boolean {
  return db.path !== ':memory:' && db.path !== '';
}

interface StoredEntry extends Omit<AuditEntry, 'at'> {
  /** epoch ms */
  at: number;
}

interface Line {
  j: string;
  s: number;
  h: string;
  e: StoredEntry;
}

function lineHash(prev: string, j: string, s: number, e: StoredEntry): string {
  return createHash('sha256')
    .update(prev + '\n' + JSON.stringify([j, s, e]), 'utf8')
    .digest('hex');
}

const toStored = (e: AuditEntry): StoredEntry => ({ ...e, at: (e.at ?? new Date()).getTime() });
const toEntry = (e: StoredEntry): AuditEntry => ({ ...e, at: new Date(e.at) });

/**
 * Inserts `lines` (of one journal, in order) into audit_log and records the last one as moved, in
 * one transaction; retried when another writer took the chain's next id meanwhile.
 */
async function moveLines(
  db: Db,
  lines: readonly Line[],
  extra: AuditEntry[] = [],
  prune = true,
): Promise<void> {
  const last = lines[lines.length - 1]!;
  for (let attempt = 0; ; attempt++) {
    try {
      await db.transaction(async (tx) => {
        forgetAuditHead(tx);
        await writeAudits(tx, [...lines.map((l) => toEntry(l.e)), ...extra]);
        if (prune)
          await tx.run(`DELETE FROM audit_journal_moved WHERE journal <> $j`, { j: last.j });
        await tx.run(
          `INSERT OR REPLACE INTO audit_journal_moved (journal, seq, line_hash, moved_at)
           VALUES ($j, $s, $h, now())`,
          { j: last.j, s: last.s, h: last.h },
        );
      });
      return;
    } catch (err) {
      if (attempt >= 3 || !lostChainRace(err)) throw err;
    }
  }
}

export interface ReplayResult {
  /** Lines found in the journal (whole ones). */
  lines: number;
  /** Lines inserted into audit_log now (the others had been moved before). */
  moved: number;
  /** A last line cut short, dropped. */
  torn: boolean;
  /** The first line whose link does not hold, if any (1-based line number). */
  broken?: { line: number; reason: string };
}

/**
 * Moves what a journal left behind into audit_log, then removes the file. Called when a database
 * is opened for writing, before anything else can append to the journal.
 */
export async function replayAuditJournal(db: Db): Promise<ReplayResult> {
  const path = auditJournalPath(db.path);
  const result: ReplayResult = { lines: 0, moved: 0, torn: false };
  // a journal this process is writing is its mover's to move, not a leftover
  if (!journalled(db) || live.has(path) || !existsSync(path)) return result;
  const text = readFileSync(path, 'utf8');
  const raw = text.split('\n');
  // the last element is "" after a final newline, or a line cut short
  const tail = raw.pop()!;
  if (tail !== '') result.torn = true;
  const lines: Line[] = [];
  for (let i = 0; i < raw.length; i++) {
    let l: Partial<Line> | undefined;
    try {
      l = JSON.parse(raw[i]!) as Partial<Line>;
    } catch {
      // reported below
    }
    if (
      typeof l?.j === 'string' &&
      Number.isSafeInteger(l.s) &&
      typeof l.h === 'string' &&
      typeof l.e === 'object' &&
      l.e !== null
    )
      lines.push(l as Line);
    else result.broken ??= { line: i + 1, reason: 'not a line of an audit journal' };
  }
  result.lines = lines.length;
  const done = new Map(
    (
      await db.all<{ j: string; s: number; h: string }>(
        `SELECT journal AS j, seq::DOUBLE AS s, line_hash AS h FROM audit_journal_moved`,
      )
    ).map((r) => [r.j, r]),
  );
  const broken = (line: number, reason: string) => (result.broken ??= { line, reason });
  // each line links to the one before it in its journal; the first line of a file links to the
  // last line moved (the file was emptied after it) or starts the journal
  const todo: Line[] = [];
  const last = new Map<string, Line>();
  for (const [i, l] of lines.entries()) {
    const moved = done.get(l.j);
    const prev = last.get(l.j);
    let expect: string | undefined;
    if (prev) {
      if (l.s !== prev.s + 1) broken(i + 1, `line ${l.s} of its journal follows line ${prev.s}`);
      expect = prev.h;
    } else if (l.s === 1) expect = '';
    else if (moved && l.s === moved.s + 1) expect = moved.h;
    else if (!moved || l.s > moved.s)
      broken(i + 1, `the lines of its journal before ${l.s} are missing`);
    if (expect !== undefined && l.h !== lineHash(expect, l.j, l.s, l.e))
      broken(i + 1, 'its hash does not follow from the line before and its content');
    if (moved && l.s === moved.s && l.h !== moved.h)
      broken(i + 1, 'it differs from the line moved into audit_log before');
    last.set(l.j, l);
    if (!moved || l.s > moved.s) todo.push(l);
  }
  const extra: AuditEntry[] = [];
  if (result.broken)
    extra.push({
      actor: 'system:audit',
      role: null,
      action: 'audit.journal_broken',
      target: path,
      detail: { ...result.broken, lines: result.lines },
    });
  if (result.torn)
    extra.push({
      actor: 'system:audit',
      role: null,
      action: 'audit.journal_torn',
      target: path,
      detail: {
        dropped_bytes: Buffer.byteLength(tail),
        reason: 'a last line cut short by a crash (never acknowledged)',
      },
    });
  // one transaction per journal id, in file order
  const ids = [...new Set(todo.map((l) => l.j))];
  for (const [k, j] of ids.entries())
    await moveLines(
      db,
      todo.filter((l) => l.j === j),
      k === ids.length - 1 ? extra : [],
    );
  if (ids.length === 0 && extra.length > 0) {
    forgetAuditHead(db);
    await writeAudits(db, extra);
  }
  result.moved = todo.length;
  unlinkSync(path);
  return result;
}

/**
 * Runs `fn` once at a time: a call while it runs gets the run under way. (`slot ??= fn()` with a
 * `finally` inside fn would not do: a run that finishes without awaiting clears the slot before it
 * is assigned, which then holds a settled promise for good.)
 */
function single(fn: () => Promise<void>): {
  run: () => Promise<void>;
  current: () => Promise<void> | undefined;
} {
  let running: Promise<void> | undefined;
  const run = (): Promise<void> => {
    if (!running) {
      const p = fn();
      running = p;
      const clear = () => {
        if (running === p) running = undefined;
      };
      p.then(clear, clear);
    }
    return running;
  };
  return { run, current: () => running };
}

export interface AuditJournal {
  /**
   * Writes the entries into the journal file and resolves: they are on record against a killed or
   * crashed server process, and reach the disk at the next sync (within `syncMs`). Rejects
   * (AppError audit_unavailable) if they cannot be written, and then nothing of them is on record;
   * also after a failed fdatasync, until the mover has put every line into the database.
   */
  append(entries: readonly AuditEntry[]): Promise<void>;
  /**
   * Resolves when every line written so far is on disk (fdatasync'd; lines written meanwhile share
   * the call); rejects (audit_unavailable) if the disk refused.
   */
  sync(): Promise<void>;
  /** Resolves when every entry appended so far is in audit_log. */
  flush(): Promise<void>;
  /** Flushes, removes the file and closes it. Appending after close() throws. */
  close(): Promise<void>;
  /**
   * Stops at once without moving anything, leaving the file as a killed process would (for the
   * next open to replay). For tests of that replay.
   */
  abandon(): void;
}

export interface AuditJournalOptions {
  /** How often the mover inserts the lines into audit_log (DEFAULT_INTERVAL_MS). */
  intervalMs?: number;
  /** At most how long a written line waits for fdatasync (DEFAULT_SYNC_MS). */
  syncMs?: number;
  log?: (message: string, err?: unknown) => void;
  /** fdatasync itself: replaced by tests of a disk that refuses or stalls. */
  datasync?: (fd: number) => Promise<void>;
}

/**
 * Opens a new journal for `db` (call replayAuditJournal first: openMigratedDb does). The file is
 * created on the first append.
 */
export function openAuditJournal(db: Db, o: AuditJournalOptions = {}): AuditJournal {
  const path = auditJournalPath(db.path);
  if (live.has(path)) throw new Error(`[audit] ${path} is already open in this process`);
  live.add(path);
  const interval = o.intervalMs ?? DEFAULT_INTERVAL_MS;
  const syncMs = o.syncMs ?? DEFAULT_SYNC_MS;
  const fsync = o.datasync ?? datasync;
  const j = randomUUID();
  let fd: number | undefined;
  /** Bytes of whole lines in the file. */
  let size = 0;
  let seq = 0;
  let hash = '';
  /** The last line known to be on disk (fdatasync'd, or moved into the database). */
  let synced = 0;
  let syncTimer: NodeJS.Timeout | undefined;
  /** Set when fdatasync failed: appends are refused until every line is in the database. */
  let syncFailed: unknown;
  /** Written, not yet moved. */
  let waiting: Line[] = [];
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let failures = 0;
  /** Whether the rows of earlier journals were removed from audit_journal_moved (first move). */
  let pruned = false;

  const unavailable = (err: unknown, what: string) =>
    new AppError(
      'audit_unavailable',
      `[audit] cannot ${what} the audit journal ${path}: ${(err as Error).message}`,
      { cause: err },
    );
  /** Writes the lines of `entries` into the file (one write; this thread, nothing awaited). */
  const write = (entries: readonly AuditEntry[]): void => {
    if (syncFailed !== undefined) throw unavailable(syncFailed, 'sync');
    const lines: Line[] = [];
    let h = hash;
    let s = seq;
    for (const e of entries) {
      const stored = toStored(e);
      s++;
      h = lineHash(h, j, s, stored);
      lines.push({ j, s, h, e: stored });
    }
    const bytes = Buffer.from(lines.map((l) => JSON.stringify(l) + '\n').join(''), 'utf8');
    try {
      // its entries name people and addresses: readable by the server's user only
      fd ??= openSync(path, 'a', 0o600);
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    } catch (err) {
      // nothing of this batch is on record: cut what was written, so the next line starts whole
      try {
        if (fd !== undefined) ftruncateSync(fd, size);
      } catch {
        // the replay drops a line cut short
      }
      throw unavailable(err, 'write');
    }
    size += bytes.length;
    seq = s;
    hash = h;
    waiting.push(...lines);
    if (!syncTimer) {
      syncTimer = setTimeout(() => {
        syncTimer = undefined;
        // a failure is logged and refuses the next appends (syncing)
        syncing.run().catch(() => undefined);
      }, syncMs);
      syncTimer.unref();
    }
    schedule(interval);
  };
  /** One fdatasync of what is written now (joins the one under way, if any). */
  const syncing = single(async () => {
    const target = seq;
    try {
      if (fd !== undefined && synced < target) await fsync(fd);
      synced = Math.max(synced, target);
    } catch (err) {
      if (closed) return;
      syncFailed ??= err;
      o.log?.(
        'fdatasync of the audit journal failed: audited requests are refused until its lines are in the database',
        err,
      );
      throw unavailable(err, 'sync');
    }
  });
  /** Moves the lines waiting now; one move at a time. Rejects if it cannot. */
  const moving = single(async () => {
    // the lines waiting now; those written meanwhile wait for the next move (under a steady
    // load, one transaction per interval rather than one after another)
    let left = waiting.length;
    while (left > 0) {
      const batch = waiting.slice(0, Math.min(left, 1000));
      await moveLines(db, batch, [], !pruned);
      pruned = true;
      waiting = waiting.slice(batch.length);
      left -= batch.length;
      // in the database (its commit is durable): on disk, whatever became of fdatasync
      synced = Math.max(synced, batch[batch.length - 1]!.s);
    }
    // every line is in audit_log (writes happen on this thread, never across this await-free
    // check): start the file again, and take lines again if a sync had failed
    if (waiting.length === 0 && fd !== undefined && size > 0) {
      ftruncateSync(fd, 0);
      size = 0;
      syncFailed = undefined;
    }
  });
  const schedule = (delay: number): void => {
    if (timer || moving.current() || closed) return;
    timer = setTimeout(() => {
      timer = undefined;
      moving
        .run()
        .then(() => {
          failures = 0;
        })
        .catch((err: unknown) => {
          // the lines stay in the journal (and waiting): retried, and replayed at the next start
          failures++;
          o.log?.('moving audit entries from the journal into the database failed', err);
        })
        .finally(() => {
          if (waiting.length > 0) schedule(Math.min(30_000, interval * 2 ** failures));
        });
    }, delay);
    timer.unref();
  };

  return {
    append(entries) {
      // what write() throws becomes the rejection
      return new Promise<void>((resolve) => {
        if (closed) throw new Error('[audit] the audit journal is closed');
        if (entries.length > 0) write(entries);
        resolve();
      });
    },
    async sync() {
      const target = seq;
      while (synced < target) {
        if (syncFailed !== undefined) throw unavailable(syncFailed, 'sync');
        await syncing.run();
      }
    },
    async flush() {
      if (timer) {
        clearTimeout(timer);
        timer = undefined;
      }
      const target = seq;
      // a move under way (its failure is the timer's to report), then the lines written so far
      await moving.current()?.catch(() => undefined);
      while (waiting.length > 0 && waiting[0]!.s <= target) await moving.run();
      if (waiting.length > 0) schedule(interval);
    },
    abandon() {
      closed = true;
      clearTimeout(timer);
      clearTimeout(syncTimer);
      timer = syncTimer = undefined;
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
      live.delete(path);
    },
    async close() {
      if (closed) return;
      closed = true;
      // every line moves; then no sync may still use the file
      try {
        await this.flush();
      } finally {
        live.delete(path);
        clearTimeout(syncTimer);
        syncTimer = undefined;
        await syncing.current()?.catch(() => undefined);
      }
      if (fd !== undefined) {
        closeSync(fd);
        fd = undefined;
        if (waiting.length === 0 && existsSync(path)) unlinkSync(path);
      }
    },
  };
}
