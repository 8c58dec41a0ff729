/** Stable codes of the failures a user can act on. Broken invariants stay plain `Error`. */
export type ErrorCode =
  | 'usage'
  | 'config_invalid'
  | 'db_failed'
  /** the database engine cannot go on (invalidated after a fatal error, disk full): restart */
  | 'db_fatal'
  | 'db_locked'
  | 'migration_failed'
  | 'ingest_failed'
  | 'source_unreadable'
  | 'not_found'
  | 'model_failed'
  /** the request clashes with the current state (a day already queued, a batch no longer held) */
  | 'conflict'
  | 'forbidden'
  /** a source waits for an admin: a batch of it is held */
  | 'source_held'
  /** a backup that is incomplete, corrupt or does not verify */
  | 'backup_invalid'
  /** an audit entry cannot be put on record (the journal's disk is full or failing) */
  | 'audit_unavailable';

export class AppError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

export class UsageError extends AppError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('usage', message, options);
  }
}

export class DbError extends AppError {}

export class IngestError extends AppError {}
