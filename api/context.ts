/** What every handler gets: dependencies (typed Hono Variables) and the caller. */
import type { Config } from '../pipeline/config.ts';
import type { Principal } from '../pipeline/auth/index.ts';
import type { SerialDb } from './serial-db.ts';
import type { Metrics } from './metrics.ts';
import type {
  AlertReader,
  EntityEventsKeeper,
  ScoreHistoryKeeper,
} from '../pipeline/queries/index.ts';
import type { AuditWriter } from './audit.ts';
import type { JurisdictionKeeper } from './scope.ts';
import type { TokenVerifier } from './auth.ts';
import type { LoginGuard } from '../pipeline/auth/index.ts';
import type { PersonalDataGuard } from './privacy.ts';

export interface AppDeps {
  db: SerialDb;
  config: Config;
  now: () => Date;
  metrics: Metrics;
  /** Cached reader of published lists. */
  alerts: AlertReader;
  /** Keeps the per-enterprise score read model fresh (0006). */
  scores: ScoreHistoryKeeper;
  /** Keeps the per-enterprise event read model fresh (0007). */
  events: EntityEventsKeeper;
  /** Group-committing audit log writer. */
  audit: AuditWriter;
  /** The tree of offices (api/scope.ts). */
  jurisdictions: JurisdictionKeeper;
  /** Verifies bearer tokens (cached for 5 s; `invalidate()` after any revocation). */
  tokens: TokenVerifier;
  /** Failed logins by address and by unknown user name (this process). */
  loginGuard: LoginGuard;
  /** The personal-data catalogue applied to responses (api/privacy.ts). */
  privacy: PersonalDataGuard;
  /** Starts a daily run for `day` (YYYY-MM-DD); absent = runs cannot be triggered (503). */
  triggerRun: ((day: string) => Promise<{ jobId: number | null } | void>) | undefined;
  /** Runs an admin write between scheduled jobs (the scheduler's queue); absent = directly. */
  exclusive: (<T>(name: string, fn: () => Promise<T>) => Promise<T>) | undefined;
  log: (message: string, err?: unknown) => void;
}

export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
  requestId: string;
  /** Reached over https (directly, or as a trusted proxy says). */
  https: boolean;
}

export interface AppEnv {
  Variables: {
    deps: AppDeps;
    principal: Principal | undefined;
    /** The matched route template, e.g. /v1/alerts/{id} (for metrics). */
    route: string;
    /** Who is asking, for the audit log: address (behind a trusted proxy: the forwarded one), user agent, request id. */
    client: ClientInfo;
  };
}
