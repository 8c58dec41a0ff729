import { readFileSync } from 'node:fs';
import { quotedIdentifier, quotedString } from '@duckdb/node-api';

/** A SQL identifier, quoted. Use for names that come from code (feed tables), never user input. */
export const ident = quotedIdentifier;

/** A SQL string literal. Only for values DuckDB cannot take as a parameter (table function paths). */
export const literal = quotedString;

const cache = new Map<string, string>();

/** Loads `pipeline/sql/queries/<name>.sql` once. */
export function query(name: string): string {
  let sql = cache.get(name);
  if (sql === undefined) {
    sql = readFileSync(new URL(`../sql/queries/${name}.sql`, import.meta.url), 'utf8');
    cache.set(name, sql);
  }
  return sql;
}
