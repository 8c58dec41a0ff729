/**
 * Configuration: environment variables (only this module reads process.env) and the optional
 * config file (`--config PATH`, else $DAFEI_CONFIG, else ./dafei.config.json when it exists) that
 * declares feed sources, schedules and level thresholds. See dafei.config.example.json.
 */
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { AppError } from './errors.ts';
import { FEED_NAMES } from './feeds/specs.ts';
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
      })
      .strict()
      .default({ cron: '0 6 * * *', catch_up_days: 30 }),
    training: z
      .object({ cron: cronExpr.default('0 3 * * 1'), auto_promote: z.boolean().default(false) })
      .strict()
      .default({ cron: '0 3 * * 1', auto_promote: false }),
    levels: z.object({ model: thresholds, rules: thresholds }).strict().default(DEFAULT_THRESHOLDS),
    sources: z.array(SourceSchema).default([]),
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
        fileConfig = parsed.data;
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
