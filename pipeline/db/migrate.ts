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
 * Earlier texts of migrations corrected after merge, by name. A correction is made only when the
 * earlier text could not apply to some databases and leaves every database it did apply to in the
 * same state as the corrected one; a database that applied it is accepted as it is.
 *   0011_accounts.sql: added two columns with defaults to api_users and then more, and altered
 *   api_tokens after updating it, which DuckDB cannot commit when the tables hold rows.
 *   0012_operations.sql: deleted the rows of api_score_history before altering it (the same).
 * Both applied only to databases where those tables were empty, where the corrected texts give the
 * same columns, defaults and rows.
 */
export const SUPERSEDED_CHECKSUMS: Readonly<Record<string, readonly string[]>> = {
  '0011_accounts.sql': ['e9493c3423b9843859245620eee1483997c77332303d21f18ab4968942be703b'],
  '0012_operations.sql': ['55341eb0e1c01b653f56c8f02b2e4fa3454ba08c20470bc8c9e5b45759001296'],
};

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
      if (seen !== m.checksum && !SUPERSEDED_CHECKSUMS[m.name]?.includes(seen)) {
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
