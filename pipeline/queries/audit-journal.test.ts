/**
 * The audit journal on a real DuckDB file: entries are in the file when append() resolves and on
 * disk when sync() does (fdatasync within the sync interval without it; a failed fdatasync refuses
 * appends until the lines are in the database), moved into the hash chain exactly once — by the mover, or by the replay when the database is next opened
 * after a process stopped without moving them (a crash before the move, between the move and the
 * file being emptied, in the middle of a line) — and an edited line is named.
 */
import {
  existsSync,
  fdatasyncSync,
  mkdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openMigratedDb, type Db } from '../db/index.ts';
import { tmpDir } from '../feeds/_fixtures.ts';
import type { AppError } from '../errors.ts';
import { verifyAuditChain, type AuditEntry } from './audit.ts';
import { auditJournalPath, openAuditJournal, replayAuditJournal } from './audit-journal.ts';

const entry = (i: number): AuditEntry => ({
  actor: `user ${i}`,
  role: 'regulator',
  action: 'alert.list',
  target: '2026-03-01',
  status: 200,
  detail: { rows: i, q: '张三' },
  clientIp: '127.0.0.1',
  userAgent: 'test',
  requestId: `r${i}`,
  at: new Date(Date.UTC(2026, 2, 1, 2, 0, i)),
});

const open: Db[] = [];
afterEach(() => {
  for (const d of open.splice(0)) d.close();
});
async function openDb(path: string): Promise<Db> {
  const db = await openMigratedDb(path);
  open.push(db);
  return db;
}
function closeDb(db: Db): void {
  open.splice(open.indexOf(db), 1);
  db.close();
}
/**
 * A journal of `n` entries left behind by a process that died (nothing moved), its lines then
 * changed by `edit` while no server ran; returns the database's path.
 */
async function leftBehind(n: number, edit: (lines: string[]) => string[]): Promise<string> {
  const path = `${tmpDir()}/j.duckdb`;
  const db = await openDb(path);
  const j = openAuditJournal(db, { intervalMs: 60_000 });
  await j.append(Array.from({ length: n }, (_, i) => entry(i + 1)));
  j.abandon();
  closeDb(db);
  const file = auditJournalPath(path);
  writeFileSync(file, edit(readFileSync(file, 'utf8').split('\n')).join('\n'));
  return path;
}

/** The real fdatasync, counting its calls; while `failing`, it refuses (an I/O error). */
function countingDisk() {
  const disk = {
    calls: 0,
    failing: false,
    datasync: (fd: number): Promise<void> => {
      disk.calls++;
      if (disk.failing) return Promise.reject(new Error('EIO: i/o error, fdatasync'));
      fdatasyncSync(fd);
      return Promise.resolve();
    },
  };
  return disk;
}

const logged = (db: Db) =>
  db.all<{ actor: string; action: string; at: string }>(
    `SELECT actor, action, strftime(logged_at AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S') AS at
       FROM audit_log ORDER BY audit_id`,
  );

describe('audit journal', () => {
  it('puts entries in the file before append() resolves, and moves them into the chain once', async () => {
    const path = `${tmpDir()}/j.duckdb`;
    const db = await openDb(path);
    const j = openAuditJournal(db, { intervalMs: 60_000 });
    await j.append([entry(1), entry(2)]);
    await j.append([entry(3)]);
    // in the file already, three lines; nothing in audit_log until the move
    expect(readFileSync(auditJournalPath(path), 'utf8').trim().split('\n')).toHaveLength(3);
    // entries name people: the file is the server user's alone
    expect(statSync(auditJournalPath(path)).mode & 0o777).toBe(0o600);
    expect(await logged(db)).toHaveLength(0);
    await j.flush();
    expect((await logged(db)).map((r) => r.actor)).toEqual(['user 1', 'user 2', 'user 3']);
    // the time of each entry is the time it was written, not the time it was moved
    expect((await logged(db))[0]!.at).toBe('2026-03-01T02:00:01');
    // everything moved: the file is emptied, and removed on close
    expect(readFileSync(auditJournalPath(path), 'utf8')).toBe('');
    await j.append([entry(4)]);
    await j.close();
    expect(existsSync(auditJournalPath(path))).toBe(false);
    expect(await logged(db)).toHaveLength(4);
    expect((await verifyAuditChain(db)).ok).toBe(true);
    await expect(j.append([entry(5)])).rejects.toThrow(/closed/);
  });

  it('answers append() without waiting for fdatasync; sync() waits, one call for the lines written meanwhile', async () => {
    const path = `${tmpDir()}/j.duckdb`;
    const db = await openDb(path);
    // fdatasync, held until the test lets it go
    const calls: number[] = [];
    const held: (() => void)[] = [];
    const datasync = async (fd: number) => {
      calls.push(fd);
      await new Promise<void>((resolve) => held.push(resolve));
      fdatasyncSync(fd);
    };
    const j = openAuditJournal(db, { intervalMs: 60_000, syncMs: 60_000, datasync });
    await j.append([entry(1)]); // resolves with no fdatasync at all
    expect(calls).toHaveLength(0);
    let first = false;
    const s1 = j.sync().then(() => (first = true));
    // written while the first sync runs: not covered by it
    await j.append([entry(2)]);
    await j.append([entry(3)]);
    let second = false;
    const s2 = j.sync().then(() => (second = true));
    await new Promise((r) => setTimeout(r, 20));
    expect([first, second, calls.length]).toEqual([false, false, 1]);
    held.shift()!();
    await s1;
    expect(second).toBe(false);
    // one more fdatasync for lines 2 and 3 together
    await vi.waitFor(() => expect(calls).toHaveLength(2));
    held.shift()!();
    await s2;
    // nothing written since: no call
    await j.sync();
    expect(calls).toHaveLength(2);
    await j.close();
    expect(await logged(db)).toHaveLength(3);
  });

  it('syncs written lines within the interval without being asked, once for a burst', async () => {
    const path = `${tmpDir()}/j.duckdb`;
    const db = await openDb(path);
    const disk = countingDisk();
    const j = openAuditJournal(db, { intervalMs: 60_000, syncMs: 30, datasync: disk.datasync });
    for (let i = 1; i <= 5; i++) await j.append([entry(i)]);
    expect(disk.calls).toBe(0);
    await vi.waitFor(() => expect(disk.calls).toBe(1), { timeout: 2_000 });
    await j.sync(); // already on disk
    expect(disk.calls).toBe(1);
    await j.close();
  });

  it('syncs again after a sync found nothing to do', async () => {
    const path = `${tmpDir()}/j.duckdb`;
    const db = await openDb(path);
    const disk = countingDisk();
    const j = openAuditJournal(db, { intervalMs: 60_000, syncMs: 20, datasync: disk.datasync });
    await j.append([entry(1)]);
    await j.sync();
    expect(disk.calls).toBe(1);
    // the interval's sync, armed by the append, finds line 1 on disk already
    await new Promise((r) => setTimeout(r, 80));
    expect(disk.calls).toBe(1);
    await j.append([entry(2)]);
    await j.sync();
    expect(disk.calls).toBe(2);
    await j.close();
  });

  it('after a failed fdatasync, refuses appends until its lines are in the database', async () => {
    const path = `${tmpDir()}/j.duckdb`;
    const db = await openDb(path);
    const disk = countingDisk();
    disk.failing = true;
    const log: string[] = [];
    const j = openAuditJournal(db, {
      intervalMs: 60_000,
      syncMs: 60_000,
      datasync: disk.datasync,
      log: (m) => log.push(m),
    });
    await j.append([entry(1)]);
    const refused = await j.sync().then(
      () => undefined,
      (err: unknown) => err as AppError,
    );
    expect(refused?.code).toBe('audit_unavailable');
    expect(refused?.message).toMatch(/cannot sync the audit journal .*EIO/);
    expect(log).toEqual([expect.stringMatching(/fdatasync of the audit journal failed/)]);
    // nothing more is taken: the line before may not be on disk
    await expect(j.append([entry(2)])).rejects.toMatchObject({ code: 'audit_unavailable' });
    disk.failing = false;
    // the mover puts line 1 into the database (a durable commit): the journal takes lines again
    await j.flush();
    expect((await logged(db)).map((r) => r.actor)).toEqual(['user 1']);
    await j.append([entry(3)]);
    await j.sync();
    await j.close();
    expect((await logged(db)).map((r) => r.actor)).toEqual(['user 1', 'user 3']);
    expect((await verifyAuditChain(db)).ok).toBe(true);
  });

  it('replays at the next open what a stopped process had not moved, once', async () => {
    const path = `${tmpDir()}/j.duckdb`;
    let db = await openDb(path);
    const j = openAuditJournal(db, { intervalMs: 60_000 });
    await j.append([entry(1), entry(2)]);
    const moved = readFileSync(auditJournalPath(path), 'utf8');
    await j.flush();
    // the process stops after a move but before emptying the file: the moved lines are still
    // there, followed by lines never moved
    await j.append([entry(3)]);
    await j.append([entry(4), entry(5)]);
    const unmoved = readFileSync(auditJournalPath(path), 'utf8');
    j.abandon(); // as if the process had died
    closeDb(db);
    writeFileSync(auditJournalPath(path), moved + unmoved);

    db = await openDb(path);
    expect((await logged(db)).map((r) => r.actor)).toEqual([
      'user 1',
      'user 2',
      'user 3',
      'user 4',
      'user 5',
    ]);
    expect(existsSync(auditJournalPath(path))).toBe(false);
    expect((await verifyAuditChain(db)).ok).toBe(true);
    // opening again finds nothing to replay
    expect(await replayAuditJournal(db)).toEqual({ lines: 0, moved: 0, torn: false });
  });

  it('drops a last line cut short by a crash, and says so in the log', async () => {
    // after the last newline, the start of a line whose write never finished
    const path = await leftBehind(2, (lines) => [...lines.slice(0, -1), '{"j":"x","s":3,"h":"ab']);
    const db = await openDb(path);
    const rows = await logged(db);
    expect(rows.map((r) => r.action)).toEqual(['alert.list', 'alert.list', 'audit.journal_torn']);
    expect((await verifyAuditChain(db)).ok).toBe(true);
  });

  it('names a line edited while the server was down, and still moves every line', async () => {
    const path = await leftBehind(3, (lines) =>
      lines.map((l, i) => (i === 1 ? l.replace('"user 2"', '"someone else"') : l)),
    );
    const db = await openDb(path);
    const rows = await db.all<{ actor: string; action: string; detail: string | null }>(
      `SELECT actor, action, detail::VARCHAR AS detail FROM audit_log ORDER BY audit_id`,
    );
    expect(rows.map((r) => r.actor)).toEqual(['user 1', 'someone else', 'user 3', 'system:audit']);
    expect(rows[3]!.action).toBe('audit.journal_broken');
    expect(JSON.parse(rows[3]!.detail!)).toMatchObject({ line: 2 });
  });

  it('a removed line is named too', async () => {
    const path = await leftBehind(3, (lines) => lines.filter((_, i) => i !== 1));
    const db = await openDb(path);
    const broken = await db.one<{ detail: string }>(
      `SELECT detail::VARCHAR AS detail FROM audit_log WHERE action = 'audit.journal_broken'`,
    );
    expect(JSON.parse(broken!.detail)).toMatchObject({ line: 2 });
  });

  it('an append that cannot reach the disk rejects, and nothing of it is on record', async () => {
    const path = `${tmpDir()}/j.duckdb`;
    const db = await openDb(path);
    // the journal's path is taken by a directory: the file cannot be opened
    mkdirSync(auditJournalPath(path));
    const j = openAuditJournal(db, { intervalMs: 60_000 });
    await expect(j.append([entry(1)])).rejects.toThrow(/cannot write the audit journal/);
    await j.flush();
    expect(await logged(db)).toHaveLength(0);
  });

  it('leaves a journal this process is writing to its mover, and refuses a second one', async () => {
    const path = `${tmpDir()}/j.duckdb`;
    const db = await openDb(path);
    const j = openAuditJournal(db, { intervalMs: 60_000 });
    await j.append([entry(1)]);
    expect(() => openAuditJournal(db)).toThrow(/already open/);
    // not a leftover: replaying now would move the line twice and remove a file in use
    expect(await replayAuditJournal(db)).toEqual({ lines: 0, moved: 0, torn: false });
    expect(existsSync(auditJournalPath(path))).toBe(true);
    await j.close();
    expect(await logged(db)).toHaveLength(1);
    // closed: a new journal may open
    await openAuditJournal(db).close();
  });

  it('moves on its own after the interval, beside another writer of the chain', async () => {
    const path = `${tmpDir()}/j.duckdb`;
    const db = await openDb(path);
    const other = await db.fork();
    open.push(other);
    const j = openAuditJournal(db, { intervalMs: 20 });
    const { writeAudits } = await import('./audit.ts');
    for (let i = 0; i < 10; i++) {
      await j.append([entry(i)]);
      await writeAudits(other, [{ ...entry(100 + i), actor: 'scheduler' }]);
      await new Promise((r) => setTimeout(r, 5));
    }
    await expect.poll(async () => (await logged(db)).length, { timeout: 5_000 }).toBe(20);
    expect((await verifyAuditChain(db)).ok).toBe(true);
    await j.close();
  });
});
