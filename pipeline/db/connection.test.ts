import { describe, expect, it } from 'vitest';
import { openDb, withDb } from './index.ts';

describe('Db statements', () => {
  it('reuses a prepared statement with other parameters, and converts rows like getRowObjectsJson', async () => {
    await withDb(async (db) => {
      const sql = `SELECT $n::BIGINT * 2 AS twice, $s::VARCHAR AS s, 1.5::DECIMAL(4, 2) AS d, NULL AS z, [1, 2] AS l`;
      expect(await db.all(sql, { n: 1, s: 'a' })).toEqual([
        { twice: '2', s: 'a', d: '1.50', z: null, l: [1, 2] },
      ]);
      expect(await db.one(sql, { n: 21, s: 'b' })).toEqual({
        twice: '42',
        s: 'b',
        d: '1.50',
        z: null,
        l: [1, 2],
      });
      // duplicate column names get a suffix, as getRowObjectsJson() does
      expect(await db.one(`SELECT $a::INTEGER AS x, 2 AS x`, { a: 1 })).toEqual({ x: 1, 'x:1': 2 });
      // more than 2,048 rows: several chunks
      const rows = await db.all<{ i: string }>(`SELECT range AS i FROM range($n::BIGINT)`, {
        n: 5000,
      });
      expect(rows.length).toBe(5000);
      expect(rows[4999]).toEqual({ i: '4999' });
    });
  });

  it('gives concurrent calls of the same statement their own parameters', async () => {
    await withDb(async (db) => {
      const got = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          db.one<{ v: number }>(`SELECT $v::INTEGER + 0 AS v`, { v: i }),
        ),
      );
      expect(got.map((r) => r!.v)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    });
  });

  it('runs several statements with parameters for the last, and recovers from a failed statement', async () => {
    await withDb(async (db) => {
      await db.run(`CREATE TABLE t (x INTEGER); INSERT INTO t VALUES ($x)`, { x: 7 });
      await db.run(`CREATE TABLE u (x INTEGER); INSERT INTO u VALUES ($x)`, { x: 8 });
      expect(await db.all(`SELECT x FROM t WHERE x = $x`, { x: 7 })).toEqual([{ x: 7 }]);
      await expect(db.all(`SELECT x FROM t WHERE x = $x`, { y: 7 })).rejects.toThrow();
      expect(await db.all(`SELECT x FROM t WHERE x = $x`, { x: 7 })).toEqual([{ x: 7 }]);
      // a statement prepared before a table is replaced sees the new table
      await db.run(`DROP TABLE t; CREATE TABLE t (x INTEGER, y VARCHAR)`);
      await db.run(`INSERT INTO t VALUES ($x, 'new')`, { x: 7 });
      expect(await db.all(`SELECT x FROM t WHERE x = $x`, { x: 7 })).toEqual([{ x: 7 }]);
      await expect(db.all(`SELECT x FROM nowhere WHERE x = $x`, { x: 1 })).rejects.toThrow(
        /Catalog Error/,
      );
    });
  });

  it('sees committed writes of another connection through a statement prepared before them', async () => {
    const db = await openDb(':memory:');
    try {
      await db.run(`CREATE TABLE t (x INTEGER)`);
      const other = await db.fork();
      try {
        const q = `SELECT count(*)::INTEGER AS n FROM t WHERE x >= $min`;
        expect(await other.one(q, { min: 0 })).toEqual({ n: 0 });
        await db.run(`INSERT INTO t VALUES ($x)`, { x: 1 });
        expect(await other.one(q, { min: 0 })).toEqual({ n: 1 });
      } finally {
        other.close();
      }
    } finally {
      db.close();
    }
  });
});
