/**
 * A server killed with SIGKILL right after answering loses no audit entry: every GET /v1/alerts
 * it answered with personal data has its `alert.list` entry in audit_log when the database is
 * opened again (moved there from the journal, pipeline/queries/audit-journal.ts), on an intact
 * chain. A server stopped normally leaves no journal behind. Real server in a child process, real
 * DuckDB file, HTTP on 127.0.0.1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { openMigratedDb } from '../pipeline/db/index.ts';
import { tmpDir } from '../pipeline/feeds/_fixtures.ts';
import { auditJournalPath, verifyAuditChain } from '../pipeline/queries/index.ts';
import { roleTokens, seedCity } from './_fixtures.ts';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

async function serve(
  path: string,
  journalMs: number,
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'api/_serve-file.ts', path, String(journalMs)],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, DOTENV_CONFIG_QUIET: 'true' } },
  );
  children.push(child);
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the server exited with ${code}`)));
  });
  return { child, url: (JSON.parse(line) as { url: string }).url };
}

async function city(): Promise<{ path: string; tokens: Awaited<ReturnType<typeof roleTokens>> }> {
  const path = `${tmpDir()}/journal.duckdb`;
  const db = await openMigratedDb(path);
  await seedCity(db, { enterprises: 60, days: 2 });
  const tokens = await roleTokens(db);
  db.close();
  return { path, tokens };
}

const listsOf = async (path: string) => {
  const db = await openMigratedDb(path);
  try {
    const n = await db.one<{ n: number }>(
      `SELECT count(*)::INTEGER AS n FROM audit_log WHERE action = 'alert.list' AND actor = 'test-admin'`,
    );
    return { n: n!.n, chain: await verifyAuditChain(db) };
  } finally {
    db.close();
  }
};

describe('audit journal across a killed server', () => {
  it('every answered request is on record after SIGKILL', async () => {
    const { path, tokens } = await city();
    // a mover interval longer than the test: nothing reaches audit_log before the kill
    const { child, url } = await serve(path, 600_000);
    const statuses = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        fetch(`${url}/v1/alerts?limit=${1 + (i % 5)}`, {
          headers: { authorization: `Bearer ${tokens.admin}` },
        }).then(async (r) => {
          await r.arrayBuffer();
          return r.status;
        }),
      ),
    );
    expect(statuses.every((s) => s === 200)).toBe(true);
    // answered, so on disk in the journal (one line per entry), and not moved yet
    const lines = readFileSync(auditJournalPath(path), 'utf8').trim().split('\n');
    expect(lines.filter((l) => l.includes('"alert.list"'))).toHaveLength(40);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    const after = await listsOf(path);
    expect(after.n).toBe(40);
    expect(after.chain.ok).toBe(true);
    expect(existsSync(auditJournalPath(path))).toBe(false);
  });

  it('a server stopped normally moves its journal and removes it', async () => {
    const { path, tokens } = await city();
    const { child, url } = await serve(path, 600_000);
    for (let i = 0; i < 5; i++) {
      const r = await fetch(`${url}/v1/alerts?limit=2`, {
        headers: { authorization: `Bearer ${tokens.admin}` },
      });
      expect(r.status).toBe(200);
    }
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    expect(child.exitCode).toBe(0);
    expect(existsSync(auditJournalPath(path))).toBe(false);
    const after = await listsOf(path);
    expect(after.n).toBe(5);
    expect(after.chain.ok).toBe(true);
  });
});
