/**
 * Configuration: environment variables (only this module reads process.env) and the optional
 * config file (`--config PATH`, else $DAFEI_CONFIG, else ./dafei.config.json when it exists) that
 * declares feed sources, schedules and level thresholds. See dafei.config.example.json.
 */
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { AppError } from './errors.ts';
import { FEED_NAMES } from './feeds/specs.ts';
import { DEFAULT_THRESHOLDS } from './modeling/score.ts';

export class ConfigError extends AppError {
  constructor(message: string) {
    super('config_invalid', message);
  }
}

const cronExpr = z.string().regex(/^\S+( \S+){4,5}$/, 'a cron expression of 5 or 6 fields');
const thresholds = z
  .object({
    red: z.number().min(0).max(1),
    orange: z.number().min(0).max(1),
    yellow: z.number().min(0).max(1),
  })
  .strict()
  .refine((t) => t.yellow <= t.orange && t.orange <= t.red, 'need yellow ≤ orange ≤ red');

export const SourceSchema = z
  .object({
    name: z.string().min(1),
    feed: z.enum(FEED_NAMES),
    /** a file, a drop folder or an http(s) URL */
    source: z.string().min(1),
    cron: cronExpr,
    encoding: z.enum(['utf-8', 'gbk']).optional(),
    /** seconds to wait before each retry of a transient failure (HTTP 5xx, network) */
    retry_seconds: z.array(z.number().positive()).max(10).default([30, 120, 600]),
  })
  .strict();

export const FileConfigSchema = z
  .object({
    daily_run: z
      .object({
        cron: cronExpr.default('0 6 * * *'),
        catch_up_days: z.number().int().min(0).max(366).default(30),
      })
      .strict()
      .default({ cron: '0 6 * * *', catch_up_days: 30 }),
    training: z
      .object({ cron: cronExpr.default('0 3 * * 1'), auto_promote: z.boolean().default(false) })
      .strict()
      .default({ cron: '0 3 * * 1', auto_promote: false }),
    levels: z.object({ model: thresholds, rules: thresholds }).strict().default(DEFAULT_THRESHOLDS),
    sources: z.array(SourceSchema).default([]),
    /** The deployment's jurisdiction file (offices); default: the sample city's. */
    jurisdictions: z.string().min(1).optional(),
  })
  .strict();

export type FileConfig = z.infer<typeof FileConfigSchema>;
export type SourceConfig = z.infer<typeof SourceSchema>;

export interface Config extends FileConfig {
  /** DuckDB file. `--db` wins, then $DAFEI_DB, then ./var/dafei.duckdb. */
  readonly dbPath: string;
  readonly port: number;
  readonly host: string;
  /** The config file read, if any. */
  readonly configFile: string | null;
  /**
   * The jurisdiction file (the tree of offices) to load: $DAFEI_JURISDICTIONS, then
   * `jurisdictions` of the config file; null = keep the database's, or the sample city's default.
   */
  readonly jurisdictionsFile: string | null;
}

/** Reads env and the config file. Throws one ConfigError listing every problem. */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  configPath?: string,
): Config {
  const problems: string[] = [];
  const port = env['DAFEI_PORT'] === undefined ? 8787 : Number(env['DAFEI_PORT']);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    problems.push(`DAFEI_PORT '${env['DAFEI_PORT']}' is not a port number`);
  }
  const file =
    configPath ??
    env['DAFEI_CONFIG'] ??
    (existsSync('dafei.config.json') ? 'dafei.config.json' : null);
  let fileConfig: FileConfig = FileConfigSchema.parse({});
  if (file !== null) {
    try {
      const parsed = FileConfigSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
      if (parsed.success) fileConfig = parsed.data;
      else
        problems.push(
          ...parsed.error.issues.map(
            (i) => `${file}: ${i.path.join('.') || '(top)'}: ${i.message}`,
          ),
        );
    } catch (err) {
      problems.push(`${file}: ${(err as Error).message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  return Object.freeze({
    ...fileConfig,
    dbPath: env['DAFEI_DB'] || './var/dafei.duckdb',
    port,
    host: env['DAFEI_HOST'] || '127.0.0.1',
    configFile: file,
    jurisdictionsFile: env['DAFEI_JURISDICTIONS'] || fileConfig.jurisdictions || null,
  });
}
