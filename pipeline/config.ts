/**
 * Configuration: environment variables (only this module reads process.env) and the optional
 * config file (`--config PATH`, else $DAFEI_CONFIG, else ./dafei.config.json when it exists) that
 * declares feed sources, schedules and level thresholds. See dafei.config.example.json.
 */
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { z } from 'zod';
import { AppError } from './errors.ts';
import { FEED_NAMES } from './feeds/specs.ts';
import { defaultFilesDir, type HoldPolicy, type IngestLimits } from './feeds/index.ts';
import { loadMapping } from './feeds/mapping/index.ts';
import { DEFAULT_THRESHOLDS } from './modeling/score.ts';
import { ROLES } from './auth/index.ts';

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
    /** a mapping template id or a mapping file: the source's own layout (CSV, XLSX) → the feed */
    mapping: z.string().min(1).optional(),
    /** seconds to wait before each retry of a transient failure (HTTP 5xx, network) */
    retry_seconds: z.array(z.number().positive()).max(10).default([30, 120, 600]),
    /**
     * HTTP request headers, e.g. {"Authorization": "Bearer ${ADS_TOKEN}"}: `${NAME}` is replaced by
     * the environment variable NAME when the config is loaded (credentials stay out of the file).
     */
    headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/, 'a header name'), z.string()).optional(),
  })
  .strict();

const MiB = 1 << 20;
const GiB = 1 << 30;

/** What a source may send: beyond these the line is quarantined or the source refused. */
export const LimitsSchema = z
  .object({
    /** A longer line is quarantined (its first 64 KiB kept) without being held whole in memory. */
    max_line_bytes: z.number().int().min(1024).default(MiB),
    /** A gzip that expands to more is refused (a zip bomb). */
    max_gzip_output_bytes: z
      .number()
      .int()
      .min(MiB)
      .default(20 * GiB),
    /** An HTTP response body larger than this is refused. */
    http_max_bytes: z
      .number()
      .int()
      .min(1024)
      .default(2 * GiB),
    http_timeout_seconds: z.number().positive().default(300),
  })
  .strict();

/** When a batch is held back for an admin instead of applied. */
export const HoldSchema = z
  .object({
    /** Held when more than this fraction of its lines is quarantined (0.2 = 20 %). */
    quarantine_fraction: z.number().min(0).max(1).default(0.2),
    /** ... and it has at least this many lines (a 3-line file with one typo is applied). */
    min_lines: z.number().int().min(1).default(20),
  })
  .strict();

/** Notifications (pipeline/notify): pushes and the digest's SMTP server (links use security.public_url). */
export const NotificationsSchema = z
  .object({
    /** When the daily digest goes out (Asia/Shanghai). */
    digest_cron: cronExpr.default('30 7 * * *'),
    /** How often pending pushes are sent and dispositions screened. */
    deliver_cron: cronExpr.default('* * * * *'),
    /** Seconds before each retry of a failed push; after the last one it is dead (dead-letter list). */
    retry_seconds: z.array(z.number().positive()).max(10).default([30, 120, 600, 3600, 21600]),
    timeout_seconds: z.number().positive().max(60).default(10),
    /** The digest's SMTP server; its password comes from $DAFEI_SMTP_PASSWORD, never from this file. */
    smtp: z
      .object({
        host: z.string().min(1),
        port: z.number().int().min(1).max(65535).default(25),
        /** TLS from the start (port 465); otherwise STARTTLS when the server offers it. */
        secure: z.boolean().default(false),
        user: z.string().min(1).optional(),
        from: z.string().min(3),
      })
      .strict()
      .optional(),
  })
  .strict();
/** Accounts, sessions and login protection (docs/security.md). */
export const SecuritySchema = z
  .object({
    /** The URL users reach the server at; https → Secure cookies and HSTS. */
    public_url: z.url().nullable().default(null),
    /** Addresses of reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed. */
    trusted_proxies: z.array(z.string().min(1)).max(20).default([]),
    /** A session ends after this long without a request… */
    session_idle_minutes: z
      .number()
      .int()
      .min(1)
      .max(24 * 60)
      .default(30),
    /** …and this long after the login, whatever happens. */
    session_hours: z.number().min(0.25).max(72).default(12),
    /** Lifetime of a new API token unless given. */
    token_days: z.number().int().min(1).max(3650).default(90),
    /** Roles that must use TOTP (RFC 6238) at login. */
    mfa_roles: z.array(z.enum(ROLES)).default(['admin']),
    login: z
      .object({
        /** Consecutive failures of an account before back-off starts (the next one gets 429). */
        free_failures: z.number().int().min(1).max(100).default(5),
        /** Consecutive failures that lock an account until an admin unlocks it. */
        lockout_after: z.number().int().min(2).max(1000).default(10),
        /** Failures from one address within the window before that address gets 429. */
        address_failures: z.number().int().min(1).max(10000).default(30),
        address_window_minutes: z.number().int().min(1).max(1440).default(10),
        /** Longest back-off between attempts on one account. */
        max_backoff_minutes: z.number().int().min(1).max(1440).default(15),
      })
      .strict()
      .prefault({}),
    /** scrypt cost of new password hashes; older hashes are rehashed at the next login. */
    scrypt: z
      .object({
        N: z
          .number()
          .int()
          .min(2 ** 10)
          .max(2 ** 20)
          .refine((n) => (n & (n - 1)) === 0, 'a power of two')
          .default(2 ** 17),
        r: z.number().int().min(1).max(32).default(8),
        p: z.number().int().min(1).max(16).default(1),
      })
      .strict()
      .prefault({}),
  })
  .strict();
export type SecurityConfig = z.infer<typeof SecuritySchema>;

export const FileConfigSchema = z
  .object({
    daily_run: z
      .object({
        cron: cronExpr.default('0 6 * * *'),
        catch_up_days: z.number().int().min(0).max(366).default(30),
        /** minutes to wait before each retry of a failed daily run */
        retry_minutes: z.array(z.number().positive()).max(10).default([5, 30, 120]),
        /** how often missed or failed days are looked for while serving */
        catch_up_cron: cronExpr.default('15 * * * *'),
      })
      .strict()
      .default({
        cron: '0 6 * * *',
        catch_up_days: 30,
        retry_minutes: [5, 30, 120],
        catch_up_cron: '15 * * * *',
      }),
    training: z
      .object({ cron: cronExpr.default('0 3 * * 1'), auto_promote: z.boolean().default(false) })
      .strict()
      .default({ cron: '0 3 * * 1', auto_promote: false }),
    levels: z.object({ model: thresholds, rules: thresholds }).strict().default(DEFAULT_THRESHOLDS),
    sources: z.array(SourceSchema).default([]),
    limits: LimitsSchema.default(LimitsSchema.parse({})),
    hold: HoldSchema.default(HoldSchema.parse({})),
    backup: z
      .object({
        /** where `dafei serve` writes its scheduled backups (none when absent) */
        dir: z.string().min(1).optional(),
        cron: cronExpr.default('30 2 * * *'),
        /** complete backups kept; older ones are deleted after a new one is complete */
        keep: z.number().int().min(1).max(1000).default(7),
      })
      .strict()
      .default({ cron: '30 2 * * *', keep: 7 }),
    retention: z
      .object({
        cron: cronExpr.default('45 4 * * *'),
        /** superseded revisions older than this keep only their listed entries */
        superseded_entries_days: z.number().int().min(0).default(30),
        /** quarantine raw text older than this is replaced by a marker */
        quarantine_raw_days: z.number().int().min(0).default(180),
        /** audit entries older than this go to Parquet in the files folder (kept) */
        audit_days: z.number().int().min(0).default(365),
      })
      .strict()
      .default({
        cron: '45 4 * * *',
        superseded_entries_days: 30,
        quarantine_raw_days: 180,
        audit_days: 365,
      }),
    duckdb: z
      .object({
        /** e.g. "8GB"; default half of this machine's memory */
        memory_limit: z
          .string()
          .regex(/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i, 'a size such as 8GB')
          .optional(),
        /** default: this machine's cores */
        threads: z.number().int().min(1).max(1024).optional(),
      })
      .strict()
      .default({}),
    /**
     * Where held batches' copies and audit archives are kept; default `<database>.files/` beside
     * the database file.
     */
    files_dir: z.string().min(1).optional(),
    /** Seconds `dafei serve` keeps answering /healthz 503 after a fatal database error, then exits 1. */
    fatal_exit_delay_seconds: z.number().min(0).max(300).default(3),
    notifications: NotificationsSchema.default(NotificationsSchema.parse({})),
    /** The deployment's jurisdiction file (offices); default: the sample city's. */
    jurisdictions: z.string().min(1).optional(),
    security: SecuritySchema.prefault({}),
    intake: z
      .object({
        /** where the upload page keeps uploaded files until they are ingested */
        upload_dir: z.string().min(1).default('./var/uploads'),
        /** largest upload accepted, in MB */
        max_upload_mb: z.number().positive().max(10_240).default(200),
      })
      .strict()
      .default({ upload_dir: './var/uploads', max_upload_mb: 200 }),
  })
  .strict();

export type FileConfig = z.infer<typeof FileConfigSchema>;
export type SourceConfig = z.infer<typeof SourceSchema>;
export type LimitsConfig = z.infer<typeof LimitsSchema>;
export type HoldConfig = z.infer<typeof HoldSchema>;

/** DuckDB settings: from the config, else half of this machine's memory and all its cores. */
export function duckdbSettings(c: Pick<FileConfig, 'duckdb'>): {
  memoryLimit: string;
  threads: number;
} {
  return {
    memoryLimit: c.duckdb.memory_limit ?? `${Math.max(1, Math.floor(totalmem() / 2 / MiB))}MB`,
    threads: c.duckdb.threads ?? availableParallelism(),
  };
}

/** Where held batches and audit archives are kept (see FileConfig.files_dir). */
export function filesDir(c: Pick<FileConfig, 'files_dir'>, dbPath: string): string {
  return c.files_dir ?? defaultFilesDir(dbPath);
}

/** The ingest options that come from the config: limits, the hold policy, the files folder. */
export function ingestPolicy(
  c: Pick<FileConfig, 'limits' | 'hold' | 'files_dir'>,
  dbPath: string,
): { limits: IngestLimits; hold: HoldPolicy; filesDir: string } {
  return {
    limits: {
      maxLineBytes: c.limits.max_line_bytes,
      maxGzipBytes: c.limits.max_gzip_output_bytes,
      httpMaxBytes: c.limits.http_max_bytes,
      httpTimeoutMs: c.limits.http_timeout_seconds * 1000,
    },
    hold: { fraction: c.hold.quarantine_fraction, minLines: c.hold.min_lines },
    filesDir: filesDir(c, dbPath),
  };
}

/** Replaces `${NAME}` in source headers with environment variables; lists the missing ones. */
function expandHeaders(
  config: FileConfig,
  env: Record<string, string | undefined>,
  problems: string[],
): FileConfig {
  return {
    ...config,
    sources: config.sources.map((s) => {
      if (!s.headers) return s;
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(s.headers)) {
        headers[k] = v.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
          const value = env[name];
          if (value === undefined) {
            problems.push(`source ${s.name}: header ${k} needs the environment variable ${name}`);
            return '';
          }
          return value;
        });
      }
      return { ...s, headers };
    }),
  };
}

export interface Config extends FileConfig {
  /** DuckDB file. `--db` wins, then $DAFEI_DB, then ./var/dafei.duckdb. */
  readonly dbPath: string;
  readonly port: number;
  readonly host: string;
  /** The config file read, if any. */
  readonly configFile: string | null;
  /** The SMTP password of notifications.smtp.user ($DAFEI_SMTP_PASSWORD). */
  readonly smtpPassword: string | null;
  /**
   * The jurisdiction file (the tree of offices) to load: $DAFEI_JURISDICTIONS, then
   * `jurisdictions` of the config file; null = keep the database's, or the sample city's default.
   */
  readonly jurisdictionsFile: string | null;
  /** The admin socket ($DAFEI_ADMIN_SOCKET); null = `<db path>.admin.sock`. */
  readonly adminSocket: string | null;
}

/** A source's mapping must load and be for the source's feed. */
function mappingProblems(file: string, sources: readonly SourceConfig[]): string[] {
  const out: string[] = [];
  sources.forEach((s, i) => {
    if (s.mapping === undefined) return;
    try {
      const m = loadMapping(s.mapping);
      if (m.feed !== s.feed)
        out.push(`${file}: sources.${i}.mapping: '${s.mapping}' maps to ${m.feed}, not ${s.feed}`);
    } catch (err) {
      out.push(`${file}: sources.${i}.mapping: ${(err as Error).message}`);
    }
  });
  return out;
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
      if (parsed.success) {
        fileConfig = expandHeaders(parsed.data, env, problems);
        problems.push(...mappingProblems(file, fileConfig.sources));
      } else
        problems.push(
          ...parsed.error.issues.map(
            (i) => `${file}: ${i.path.join('.') || '(top)'}: ${i.message}`,
          ),
        );
    } catch (err) {
      problems.push(`${file}: ${(err as Error).message}`);
    }
  }
  const publicUrl = env['DAFEI_PUBLIC_URL'];
  if (publicUrl !== undefined && publicUrl !== '') {
    if (!/^https?:\/\/[^\s/]+/.test(publicUrl))
      problems.push(`DAFEI_PUBLIC_URL '${publicUrl}' is not an http(s) URL`);
    else
      fileConfig = { ...fileConfig, security: { ...fileConfig.security, public_url: publicUrl } };
  }
  if (problems.length > 0) throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  return Object.freeze({
    ...fileConfig,
    dbPath: env['DAFEI_DB'] || './var/dafei.duckdb',
    port,
    host: env['DAFEI_HOST'] || '127.0.0.1',
    configFile: file,
    smtpPassword: env['DAFEI_SMTP_PASSWORD'] || null,
    jurisdictionsFile: env['DAFEI_JURISDICTIONS'] || fileConfig.jurisdictions || null,
    adminSocket: env['DAFEI_ADMIN_SOCKET'] || null,
  });
}
