/** What every handler gets: dependencies (typed Hono Variables) and the caller. */
import type { Config } from '../pipeline/config.ts';
import type { Principal } from '../pipeline/auth/index.ts';
import type { SerialDb } from './serial-db.ts';
import type { Metrics } from './metrics.ts';

export interface AppDeps {
  db: SerialDb;
  config: Config;
  now: () => Date;
  metrics: Metrics;
  /** Starts a daily run for `day` (YYYY-MM-DD); absent = runs cannot be triggered (503). */
  triggerRun: ((day: string) => Promise<unknown>) | undefined;
  log: (message: string, err?: unknown) => void;
}

export interface AppEnv {
  Variables: {
    deps: AppDeps;
    principal: Principal | undefined;
    /** The matched route template, e.g. /v1/alerts/{id} (for metrics). */
    route: string;
  };
}
