import { describe, expect, it } from 'vitest';
import { openDb, withDb, migrate, loadMigrations, type Db } from './index.ts';
import { SUPERSEDED_CHECKSUMS } from './migrate.ts';
import { dataColumns, FEED_NAMES, FEEDS, META_COLUMNS } from '../feeds/specs.ts';

describe('migrations', () => {
  it('apply once, in order, with a ledger', async () => {
    const db = await openDb(':memory:');
    try {
      const names = loadMigrations().map((m) => m.name);
      expect(await migrate(db)).toEqual(names);
      expect(await migrate(db)).toEqual([]);
      const ledger = await db.all<{ name: string }>(`SELECT name FROM _migrations ORDER BY name`);
      expect(ledger.map((l) => l.name)).toEqual(names);
    } finally {
      db.close();
    }
  });

  it('refuse a migration edited after it was applied', async () => {
    const db = await openDb(':memory:');
    try {
      const ms = loadMigrations();
      await migrate(db, ms);
      const edited = ms.map((m, i) => (i === 0 ? { ...m, checksum: 'edited' } : m));
      await expect(migrate(db, edited)).rejects.toThrow(/was changed after it was applied/);
    } finally {
      db.close();
    }
  });

  it('roll back a failing migration whole', async () => {
    const db = await openDb(':memory:');
    try {
      const bad = [
        {
          name: '0001_bad.sql',
          checksum: 'x',
          sql: 'CREATE TABLE t1 (a INT); SELECT * FROM nowhere;',
        },
      ];
      await expect(migrate(db, bad)).rejects.toThrow(/migration 0001_bad.sql failed: .*nowhere/);
      expect(
        await db.all(`SELECT * FROM information_schema.tables WHERE table_name = 't1'`),
      ).toEqual([]);
    } finally {
      db.close();
    }
  });

  it('apply to a database that holds data, each one on top of the ones before it', async () => {
    // A deployment upgrades a database that has been in use: every table holds rows. (DuckDB cannot
    // commit a transaction that deletes rows of a table and then alters it; 0012 once did.)
    const ms = loadMigrations();
    for (let k = 1; k < ms.length; k++) {
      const db = await openDb(':memory:');
      try {
        await migrate(db, ms.slice(0, k));
        const filled = await fillEveryTable(db);
        expect(filled.failed, `tables left empty before ${ms[k]!.name}`).toEqual([]);
        await expect(migrate(db, ms.slice(0, k + 1))).resolves.toEqual([ms[k]!.name]);
      } finally {
        db.close();
      }
    }
  });

  it('accept the earlier text of a migration corrected after merge', async () => {
    const db = await openDb(':memory:');
    try {
      const ms = loadMigrations();
      await migrate(db, ms);
      for (const [name, [checksum]] of Object.entries(SUPERSEDED_CHECKSUMS)) {
        await db.run(`UPDATE _migrations SET checksum = $checksum WHERE name = $name`, {
          name,
          checksum: checksum!,
        });
      }
      expect(await migrate(db, ms)).toEqual([]);
      await db.run(`UPDATE _migrations SET checksum = 'other' WHERE name = '0012_operations.sql'`);
      await expect(migrate(db, ms)).rejects.toThrow(/0012_operations.sql was changed/);
    } finally {
      db.close();
    }
  });

  it('create feed tables that match the feed specs', async () => {
    await withDb(async (db) => {
      for (const feed of FEED_NAMES) {
        const cols = await db.all<{ column_name: string; column_type: string }>(
          `SELECT column_name, data_type AS column_type FROM information_schema.columns
           WHERE table_name = $t ORDER BY ordinal_position`,
          { t: `${feed}_history` },
        );
        const expected = [
          ...dataColumns(FEEDS[feed]).map((c) => [
            c.name,
            c.sqlType === 'TIMESTAMPTZ' ? 'TIMESTAMP WITH TIME ZONE' : c.sqlType,
          ]),
          ...META_COLUMNS.map((m) => [m, m === '_batch' || m === '_line' ? 'BIGINT' : 'VARCHAR']),
        ];
        expect(cols.map((c) => [c.column_name, c.column_type])).toEqual(expected);
      }
    });
  });
});

describe('database errors', () => {
  it('are wrapped with the statement, without leaking as plain errors', async () => {
    await withDb(async (db) => {
      const err = await db.all('SELECT * FROM no_such_table').catch((e: unknown) => e);
      expect(err).toMatchObject({ name: 'DbError', code: 'db_failed' });
      expect((err as Error).message).toMatch(/^\[db\] SELECT \* FROM no_such_table: Catalog Error/);
    });
  });

  it('a second writer on the same file is told who holds it', async () => {
    const { tmpDir } = await import('../feeds/_fixtures.ts');
    const { spawnSync } = await import('node:child_process');
    const path = `${tmpDir()}/locked.duckdb`;
    const db = await openDb(path);
    try {
      // DuckDB locks files per process: a second process must fail clearly
      const r = spawnSync(process.execPath, ['bin/dafei.js', 'init', '--db', path], {
        encoding: 'utf8',
      });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/database .*locked\.duckdb is held by another process \(PID \d+/);
    } finally {
      db.close();
    }
  });
});

/** One made-up row in every table (a value of each column's type), as a database in use has. */
async function fillEveryTable(db: Db): Promise<{ failed: string[] }> {
  const cols = await db.all<{ table_name: string; column_name: string; data_type: string }>(
    `SELECT table_name, column_name, data_type FROM duckdb_columns()
     WHERE NOT internal AND schema_name = 'main' AND table_name <> '_migrations'
       AND table_name IN (SELECT table_name FROM duckdb_tables())
     ORDER BY table_name, column_index`,
  );
  const byTable = new Map<string, string[]>();
  for (const c of cols) {
    const list = byTable.get(c.table_name) ?? [];
    list.push(`${sampleValue(c.data_type)}::${c.data_type}`);
    byTable.set(c.table_name, list);
  }
  const failed: string[] = [];
  for (const [table, values] of byTable) {
    try {
      await db.run(`INSERT INTO "${table}" VALUES (${values.join(', ')})`);
    } catch (err) {
      failed.push(`${table}: ${(err as Error).message}`);
    }
  }
  return { failed };
}

function sampleValue(type: string): string {
  if (type.endsWith('[]')) return '[]';
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UBIGINT|UINTEGER|DOUBLE|FLOAT|DECIMAL)/.test(type))
    return '1';
  if (type === 'BOOLEAN') return 'true';
  if (type === 'DATE') return "'2026-01-01'";
  if (type.startsWith('TIMESTAMP')) return "'2026-01-01 00:00:00'";
  if (type === 'JSON') return `'{}'`;
  if (type === 'BLOB') return `'x'`;
  return "'x'";
}
