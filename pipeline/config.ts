import { AppError } from './errors.ts';

export interface Config {
  /** DuckDB file. `--db` wins, then $DAFEI_DB, then ./var/dafei.duckdb. */
  readonly dbPath: string;
  readonly port: number;
  readonly host: string;
}

export class ConfigError extends AppError {
  constructor(message: string) {
    super('config_invalid', message);
  }
}

/** The only place that reads process.env. Throws one ConfigError listing every problem. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const problems: string[] = [];
  const port = env['DAFEI_PORT'] === undefined ? 8787 : Number(env['DAFEI_PORT']);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    problems.push(`DAFEI_PORT '${env['DAFEI_PORT']}' is not a port number`);
  }
  if (problems.length > 0) throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  return Object.freeze({
    dbPath: env['DAFEI_DB'] || './var/dafei.duckdb',
    port,
    host: env['DAFEI_HOST'] || '127.0.0.1',
  });
}
