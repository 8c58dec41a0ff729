/**
 * The API's group-committing audit writer (api/audit.ts): requests handled in one turn of the
 * event loop share one INSERT; entries arriving while it runs share the next; the chain holds.
 * Over a database file (the audit journal): a read is answered once its entry is written, a
 * request that changes something only once its entry is on disk (fdatasync).
 */
import { fdatasyncSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../pipeline/config.ts';
import { openMigratedDb, type Db, type SqlParams } from '../pipeline/db/index.ts';
import { tmpDir } from '../pipeline/feeds/_fixtures.ts';
import { verifyAuditChain } from '../pipeline/queries/index.ts';
import { createApp } from './app.ts';
import { createAuditWriter } from './audit.ts';
import { roleTokens, seedCity } from './_fixtures.ts';

let db: Db;
let inserts = 0;
/** `db`, counting the audit INSERTs. */
let counting: Db;

beforeAll(async () => {
  db = await openMigratedDb(':memory:');
  counting = new Proxy(db, {
    get(target, prop) {
      if (prop === 'run')
        return (sql: string, params?: SqlParams) => {
          if (sql.includes('INSERT INTO audit_log')) inserts++;
          return target.run(sql, params);
        };
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
});
afterAll(() => db.close());

const entry = (i: number) => ({
  actor: `reader ${i}`,
  role: 'regulator',
  action: 'alert.list',
  target: '2026-03-01',
});

describe('audit writer', () => {
  it('writes a burst in one INSERT, and what arrives meanwhile in the next', async () => {
    const w = createAuditWriter(counting);
    const burst = Array.from({ length: 10 }, (_, i) => w.write(entry(i)));
    await Promise.all(burst);
    expect(inserts).toBe(1);
    // two entries queued while a write runs: one more INSERT for both
    const first = w.write(entry(10));
    await new Promise<void>((resolve) => setImmediate(resolve)); // the write has started
    const during = [w.write(entry(11)), w.write(entry(12))];
    await Promise.all([first, ...during]);
    expect(inserts).toBe(3);
    const v = await verifyAuditChain(db);
    expect(v.ok).toBe(true);
    expect(v.checked).toBe(13);
  });

  it('answers a read once its entry is written, a change once its entry is on disk', async () => {
    const file = await openMigratedDb(`${tmpDir()}/writer.duckdb`);
    try {
      await seedCity(file, { enterprises: 20, days: 2 });
      const tokens = await roleTokens(file);
      // the journal's fdatasync, held until the test lets it go
      const held: (() => void)[] = [];
      const datasync = async (fd: number) => {
        await new Promise<void>((resolve) => held.push(resolve));
        fdatasyncSync(fd);
      };
      const app = createApp({
        db: file,
        config: {
          ...loadConfig({}),
          intake: { upload_dir: mkdtempSync(join(tmpdir(), 'dafei-writer-')), max_upload_mb: 5 },
        },
        auditJournal: { syncMs: 60_000, datasync },
        log: () => undefined,
      });
      // an audited read (personal data): answered with fdatasync still held
      const read = await app.request('/v1/alerts?limit=5', {
        headers: { authorization: `Bearer ${tokens.regulator}` },
      });
      expect(read.status).toBe(200);
      expect(held).toHaveLength(0);
      // an audited change of state (a failed login counts toward a lockout): not answered before
      // its entry is on disk
      let answered = false;
      const login = Promise.resolve(
        app.request('/v1/auth/login', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'nobody', password: 'wrong password' }),
        }),
      ).then((r) => ((answered = true), r));
      await expect.poll(() => held.length).toBe(1);
      await new Promise((r) => setTimeout(r, 20));
      expect(answered).toBe(false);
      held.shift()!();
      expect((await login).status).toBe(401);
      await app.dafei.deps.audit.close();
      const actions = await file.all<{ action: string }>(
        `SELECT action FROM audit_log WHERE action IN ('alert.list', 'auth.login_failed') ORDER BY audit_id`,
      );
      expect(actions.map((r) => r.action)).toEqual(['alert.list', 'auth.login_failed']);
    } finally {
      file.close();
    }
  });
});
