/**
 * `dafei audit verify`: the audit log is a hash chain; on a fresh log it passes, and after one
 * row is edited in the database file (as anyone holding the file could) it fails naming that row.
 * Also: a removed row, and `dafei audit export`.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, type Io } from './cli.ts';
import { openDb, openMigratedDb } from './db/index.ts';
import { writeAudits } from './queries/audit.ts';

let dir: string;
let path: string;

function capture(): Io & { outs: string[]; errs: string[] } {
  const outs: string[] = [];
  const errs: string[] = [];
  return { outs, errs, out: (l) => outs.push(l), err: (l) => errs.push(l) };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dafei-audit-'));
  path = join(dir, 'audit.duckdb');
  const db = await openMigratedDb(path);
  // two processes' worth of entries, written in batches as the API's group commit does
  for (let b = 0; b < 3; b++) {
    await writeAudits(
      db,
      Array.from({ length: 4 }, (_, i) => ({
        actor: `user:reviewer${i}`,
        role: 'regulator',
        action: 'alert.read',
        target: `2026-03-31:91440400MA5${b}${i}XXXX`,
        status: 200,
        detail: { revision: 1, q: '汇富' },
        clientIp: '10.1.2.3',
        userAgent: 'Mozilla/5.0',
        requestId: `req-${b}-${i}`,
        at: new Date(Date.UTC(2026, 2, 31, 1, b, i)),
      })),
    );
  }
  db.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('dafei audit verify', () => {
  it('passes on a fresh log', async () => {
    const io = capture();
    expect(await main(['audit', 'verify', '--db', path], io)).toBe(0);
    expect(io.outs.join('\n')).toMatch(/audit log intact: 1[2-9] entries verified/);
  });

  it('exports every entry with its hashes', async () => {
    const io = capture();
    const out = join(dir, 'export.ndjson');
    expect(await main(['audit', 'export', '--db', path, '--out', out], io)).toBe(0);
    const lines = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.length).toBeGreaterThanOrEqual(12);
    expect(lines[0]).toMatchObject({
      audit_id: '1',
      actor: 'user:reviewer0',
      client_ip: '10.1.2.3',
    });
    expect(lines[1]!['prev_hash']).toBe(lines[0]!['entry_hash']);
  });

  it('fails naming the row edited in the database file', async () => {
    const db = await openDb(path);
    await db.run(`UPDATE audit_log SET target = '2026-03-31:SOMETHINGELSE' WHERE audit_id = 7`);
    db.close();
    const io = capture();
    expect(await main(['audit', 'verify', '--db', path], io)).toBe(1);
    const msg = io.errs.join('\n');
    expect(msg).toMatch(/ALTERED at entry 7 \(/);
    expect(msg).toMatch(/user:reviewer2, alert\.read\): its content was altered/);
    expect(msg).toMatch(/6 entries before it verified/);
  });

  it('names the gap when a row is removed', async () => {
    const db = await openDb(path);
    await db.run(
      `UPDATE audit_log SET target = '2026-03-31:91440400MA51' || '2XXXX' WHERE audit_id = 7`,
    );
    await db.run(`DELETE FROM audit_log WHERE audit_id = 3`);
    db.close();
    const io = capture();
    expect(await main(['audit', 'verify', '--db', path], io)).toBe(1);
    expect(io.errs.join('\n')).toMatch(/entry 4 .*entries 3…3 are missing/);
  });
});
