import { describe, expect, it } from 'vitest';
import { openDb, withDb, migrate, loadMigrations } from './index.ts';
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
