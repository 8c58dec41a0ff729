/**
 * The API's group-committing audit writer (api/audit.ts): requests handled in one turn of the
 * event loop share one INSERT; entries arriving while it runs share the next; the chain holds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMigratedDb, type Db, type SqlParams } from '../pipeline/db/index.ts';
import { verifyAuditChain } from '../pipeline/queries/index.ts';
import { createAuditWriter } from './audit.ts';

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
});
