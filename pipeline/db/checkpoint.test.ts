/**
 * DuckDB 1.5.6 (found at 500,000 enterprises): a transaction that appends more than a row group
 * (122,880 rows) to a table in several statements — here, as an ingest does, a staged block
 * numbered into rounds with CREATE OR REPLACE TEMP TABLE, then classified against the table and
 * appended round by round — commits all its rows (a reopened database sees them), yet the
 * connection that wrote them saw only those of the first append. Db.checkpoint() after such a
 * transaction makes every committed row visible; this test shows it does, on the pattern that
 * triggered it.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tmpDir } from '../feeds/_fixtures.ts';
import { openDb, type Db } from './index.ts';

const N = 130_000;

async function write(db: Db): Promise<void> {
  await db.run(`CREATE TABLE h (k VARCHAR NOT NULL, v VARCHAR, _hash VARCHAR, _line BIGINT)`);
  await db.transaction(async (tx) => {
    for (let b = 0; b < 3; b++) {
      // every 1000th row repeats the previous key: two rounds per block
      await tx.run(
        `CREATE TEMP TABLE _stage AS
         SELECT 'k' || (i + ${b * N} - CASE WHEN i % 1000 = 1 THEN 1 ELSE 0 END) AS k, md5((i // 2)::VARCHAR) AS v,
                md5((i // 2)::VARCHAR) AS _hash, (i + ${b * N})::BIGINT AS _line, 1 AS _round
           FROM range(${N}) t(i)`,
      );
      await tx.run(
        `CREATE OR REPLACE TEMP TABLE _stage AS
         SELECT * EXCLUDE (_round), row_number() OVER (PARTITION BY k ORDER BY _line) AS _round FROM _stage`,
      );
      for (let round = 1; round <= 2; round++) {
        await tx.run(
          `CREATE TEMP TABLE _class AS
           SELECT s.*, CASE WHEN h.k IS NULL THEN 'accepted' WHEN h._hash = s._hash THEN 'duplicate' ELSE 'corrected' END AS c
             FROM _stage s LEFT JOIN h ON h.k = s.k WHERE s._round = ${round}`,
        );
        await tx.run(`INSERT INTO h SELECT k, v, _hash, _line FROM _class WHERE c <> 'duplicate'`);
        await tx.run(`DROP TABLE _class`);
      }
      await tx.run(`DROP TABLE _stage`);
    }
  });
}

const count = async (db: Db) =>
  (await db.one<{ n: number }>(`SELECT count(*)::INTEGER AS n FROM h`))!.n;

describe('Db.checkpoint', () => {
  it('after a large multi-statement transaction, the writer sees every committed row', async () => {
    const path = join(tmpDir('dafei-ckpt-'), 'db.duckdb');
    const db = await openDb(path);
    await write(db);
    await db.checkpoint();
    const seen = await count(db);
    db.close();
    const again = await openDb(path);
    const committed = await count(again);
    again.close();
    expect(committed).toBeGreaterThan(3 * N - 1000);
    expect(seen).toBe(committed);
  }, 60_000);

  it('refuses to run inside a transaction', async () => {
    const db = await openDb(':memory:');
    await expect(db.transaction((tx) => tx.checkpoint())).rejects.toThrow(/inside a transaction/);
    db.close();
  });
});
