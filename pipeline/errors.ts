/** Stable codes of the failures a user can act on. Broken invariants stay plain `Error`. */
export type ErrorCode =
  | 'usage'
  | 'config_invalid'
  | 'db_failed'
  | 'db_locked'
  | 'migration_failed'
  | 'ingest_failed'
  | 'source_unreadable'
  | 'not_found'
  | 'conflict'
  | 'forbidden'
  | 'model_failed';

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
