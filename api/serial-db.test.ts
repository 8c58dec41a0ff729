import { describe, expect, it } from 'vitest';
import { openMigratedDb } from '../pipeline/db/index.ts';
import { serializeDb } from './serial-db.ts';

describe('the API connection pool', () => {
  it('close() lets a running statement finish, then closes; later calls fail', async () => {
    const pool = serializeDb(await openMigratedDb(':memory:'));
    await pool.run(`CREATE TABLE t AS SELECT range AS i FROM range(10)`);
    // two statements at once: the second runs on a forked connection
    const running = [
      pool.one<{ n: number }>(`SELECT count(*)::INTEGER AS n FROM range(2000000)`),
      pool.one<{ n: number }>(`SELECT sum(i)::INTEGER AS n FROM t`),
    ];
    pool.close();
    expect((await Promise.all(running)).map((r) => r?.n)).toEqual([2_000_000, 45]);
    expect(pool.connections).toBe(0);
    await expect(pool.one(`SELECT 1 AS x`)).rejects.toThrow(/closed/);
  });
});
