import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DbError } from '../errors.ts';
import type { Db } from './connection.ts';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../sql/migrations/', import.meta.url));

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

/**
 * Applies pending forward-only migrations in name order, each in its own transaction, and records
 * (name, checksum, applied_at) in `_migrations`. A migration that was edited after it was applied
 * is an error: migrations are never changed after merge.
 */
export async function migrate(db: Db, migrations = loadMigrations()): Promise<string[]> {
  await db.run(
    `CREATE TABLE IF NOT EXISTS _migrations (name VARCHAR PRIMARY KEY, checksum VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)`,
  );
  const applied = new Map(
    (
      await db.all<{ name: string; checksum: string }>(`SELECT name, checksum FROM _migrations`)
    ).map((r) => [r.name, r.checksum]),
  );
  const done: string[] = [];
  for (const m of migrations) {
    const seen = applied.get(m.name);
    if (seen !== undefined) {
      if (seen !== m.checksum) {
        throw new DbError(
          'migration_failed',
          `migration ${m.name} was changed after it was applied (checksum differs); add a new migration instead`,
        );
      }
      continue;
    }
    try {
      await db.transaction(async (tx) => {
        await tx.run(m.sql);
        await tx.run(`INSERT INTO _migrations VALUES ($name, $checksum, now())`, {
          name: m.name,
          checksum: m.checksum,
        });
      });
    } catch (err) {
      throw new DbError(
        'migration_failed',
        `migration ${m.name} failed: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    done.push(m.name);
  }
  return done;
}
