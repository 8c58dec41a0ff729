/**
 * A full disk under a running server: `dafei serve` on a database in a small tmpfs; the disk is
 * filled, then a daily run is asked for. The commit fails, the server notices (a fatal database
 * error), /healthz answers 503, the process exits 1 for its supervisor; an audited read is refused
 * (503) because its audit entry cannot be put on record. Given room again, the
 * database opens with every published list intact and takes the next run.
 * Needs to mount a tmpfs (the tests run as root); skipped with a message where that is not allowed.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  openSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createToken } from '../auth/index.ts';
import { openMigratedDb } from '../db/index.ts';
import { auditJournalPath } from '../queries/index.ts';
import { ingest } from '../feeds/index.ts';
import { GOOD, tmpDir, toNdjson, writeFeedFile } from '../feeds/_fixtures.ts';
import { runDay } from '../run-day.ts';
import { databaseFacts } from './fingerprint.ts';

const root = tmpDir('dafei-diskfull-');
const mnt = join(root, 'mnt');
let mounted = false;
let whyNot = '';

beforeAll(() => {
  mkdirSync(mnt);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', mnt], { stdio: 'pipe' });
    mounted = true;
  } catch (err) {
    whyNot = `cannot mount a tmpfs here (${(err as Error).message.split('\n')[0]}); the disk-full test needs root`;
  }
});

afterAll(() => {
  if (mounted) {
    try {
      execFileSync('umount', [mnt]);
    } catch {
      // a server killed by a failed test may still hold a file there for a moment
      execFileSync('umount', ['-l', mnt]);
    }
  }
  rmSync(root, { recursive: true, force: true });
});

/** Resolves with the first line of `stream` matching `re`. */
function lineMatching(
  child: ChildProcess,
  stream: 'stdout' | 'stderr',
  re: RegExp,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    child[stream]!.on('data', (b: Buffer) => {
      buf += b.toString();
      const m = buf.split('\n').find((l) => re.test(l));
      if (m) resolve(m);
    });
    child.once('exit', (code) =>
      reject(new Error(`dafei serve exited (${code}) before printing ${re}:\n${buf}`)),
    );
  });
}

describe('disk full', () => {
  it('no corrupted database, /healthz not ready, exit 1; intact after a restart with room', async (ctx) => {
    if (!mounted) {
      ctx.skip(whyNot);
      return;
    }
    const path = join(mnt, 'dafei.duckdb');
    const db = await openMigratedDb(path);
    const dir = tmpDir();
    for (const feed of ['registrations', 'ads', 'complaints'] as const)
      await ingest(db, {
        feed,
        source: writeFeedFile(dir, `${feed}.ndjson`, toNdjson(GOOD[feed])),
      });
    await runDay(db, '2026-04-01');
    const admin = (await createToken(db, { name: 'disk-admin', role: 'admin' })).token;
    await db.checkpoint();
    const before = await databaseFacts(db);
    db.close();

    const config = join(root, 'dafei.config.json');
    writeFileSync(
      config,
      JSON.stringify({
        daily_run: { catch_up_days: 0 },
        fatal_exit_delay_seconds: 5,
        duckdb: { threads: 1, memory_limit: '256MB' },
      }),
    );
    const child = spawn(
      process.execPath,
      ['bin/dafei.js', 'serve', '--db', path, '--port', '0', '--config', config],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      const serving = await lineMatching(child, 'stdout', /^dafei serving http:\/\/\S+/);
      const url = /(http:\/\/\S+)/.exec(serving)![1]!;
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      // a first read, while there is room: the token's last use is recorded (once a minute)
      const alerts = () =>
        fetch(`${url}/v1/alerts?date=2026-04-01`, {
          headers: { authorization: `Bearer ${admin}` },
        });
      expect((await alerts()).status).toBe(200);
      // …and its audit entry moved from the journal into the database, which empties the journal
      // (a journal with a partly filled page could still take a line on a full disk)
      await vi.waitFor(() => expect(statSync(auditJournalPath(path)).size).toBe(0), {
        timeout: 10_000,
      });

      // fill the disk to the last byte
      const filler = openSync(join(mnt, 'filler'), 'w');
      const block = Buffer.alloc(1 << 16, 0x61);
      try {
        for (;;) writeSync(filler, block);
      } catch (err) {
        expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
      }
      try {
        for (;;) writeSync(filler, block.subarray(0, 512));
      } catch {
        // full
      }
      closeSync(filler);

      // a read with personal data is audited: with no room for its entry, it is refused (503),
      // never answered off the record
      const read = await alerts();
      expect(read.status).toBe(503);
      expect(((await read.json()) as { detail: string }).detail).toMatch(
        /audit log cannot be written/,
      );

      const fatal = lineMatching(child, 'stderr', /fatal database error, exiting in 5 s/);
      const run = await fetch(`${url}/v1/runs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify({ date: '2026-04-02' }),
      });
      // queued (202) or refused because the ledger row itself could not be written (503)
      expect([202, 503]).toContain(run.status);
      await run.body?.cancel();
      expect(await fatal).toMatch(/No space left on device|FATAL/);
      const health = await fetch(`${url}/healthz`);
      expect(health.status).toBe(503);
      expect(((await health.json()) as { detail: string }).detail).toMatch(
        /^not ready: the database failed fatally/,
      );
      expect(await exited).toBe(1);
    } finally {
      child.kill('SIGKILL');
    }

    // a disk with room: the data is there, whole, and the next run works
    execFileSync('mount', ['-o', 'remount,size=256m', mnt]);
    rmSync(join(mnt, 'filler'));
    const again = await openMigratedDb(path);
    try {
      const after = await databaseFacts(again);
      expect(after.lists).toEqual(before.lists);
      for (const t of ['list_revisions', 'list_entries', 'ads_history', 'registrations_history'])
        expect(after.tables[t], t).toBe(before.tables[t]);
      const next = await runDay(again, '2026-04-02');
      expect(next.published).toBe(true);
    } finally {
      again.close();
    }
  }, 120_000);
});
