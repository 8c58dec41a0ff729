/**
 * Every error leaves the API as `application/problem+json` (RFC 9457):
 * `{ type, title, status, code, detail }`, with a stable `code`. One `onError` and one `notFound`.
 * (CONVENTIONS.md §3 sketches `{ error: { code, message } }`; the issue asks for problem+json,
 * which carries the same code and message as `code` and `detail`.)
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { AppError } from '../pipeline/errors.ts';

export type ApiErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'totp_required'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'account_locked'
  | 'too_many_requests'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'unavailable'
  | 'internal';

const TITLES: Record<ApiErrorCode, string> = {
  bad_request: 'Bad request',
  unauthorized: 'Authentication required',
  totp_required: 'TOTP code required',
  forbidden: 'Forbidden for this role',
  not_found: 'Not found',
  conflict: 'Conflict',
  account_locked: 'Account locked',
  too_many_requests: 'Too many requests',
  payload_too_large: 'Payload too large',
  unsupported_media_type: 'Unsupported media type',
  unavailable: 'Service unavailable',
  internal: 'Internal error',
};

const STATUS: Record<ApiErrorCode, ContentfulStatusCode> = {
  bad_request: 400,
  unauthorized: 401,
  totp_required: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  account_locked: 423,
  too_many_requests: 429,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unavailable: 503,
  internal: 500,
};

export class ApiError extends Error {
  readonly code: ApiErrorCode;
  readonly status: ContentfulStatusCode;
  /** Extra members of the problem body, e.g. validation issues. */
  readonly extra: Record<string, unknown> | undefined;
  /** Extra response headers, e.g. Retry-After. */
  readonly headers: Record<string, string> | undefined;
  constructor(
    code: ApiErrorCode,
    message: string,
    options?: {
      cause?: unknown;
      extra?: Record<string, unknown>;
      headers?: Record<string, string>;
    },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = STATUS[code];
    this.extra = options?.extra;
    this.headers = options?.headers;
  }
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  [k: string]: unknown;
}

export function problemBody(
  code: string,
  status: number,
  detail: string,
  extra?: Record<string, unknown>,
): Problem {
  return {
    type: `urn:dafei:problem:${code}`,
    title: TITLES[code as ApiErrorCode] ?? code,
    status,
    code,
    detail,
    ...extra,
  };
}

export function problemResponse(
  code: string,
  status: number,
  detail: string,
  extra?: Record<string, unknown>,
  headers?: Record<string, string>,
): Response {
  return new Response(JSON.stringify(problemBody(code, status, detail, extra)), {
    status,
    headers: { 'content-type': 'application/problem+json; charset=utf-8', ...headers },
  });
}

/** AppError codes (pipeline/errors.ts) → HTTP. Database failures never show their SQL. */
function fromAppError(err: AppError): Response {
  switch (err.code) {
    case 'not_found':
      return problemResponse('not_found', 404, err.message);
    case 'conflict':
      return problemResponse('conflict', 409, err.message);
    case 'forbidden':
      return problemResponse('forbidden', 403, err.message);
    case 'usage':
      return problemResponse('bad_request', 400, err.message);
    case 'db_locked':
      return problemResponse(
        'unavailable',
        503,
        'the database is held by another process',
        undefined,
        {
          'retry-after': '30',
        },
      );
    case 'ingest_failed':
    case 'source_unreadable':
      return problemResponse(err.code, 422, err.message);
    case 'model_failed':
      return problemResponse('model_failed', 500, err.message);
    case 'source_held':
      return problemResponse('conflict', 409, err.message);
    case 'audit_unavailable':
      // nothing is answered off the record
      return problemResponse(
        'unavailable',
        503,
        'the audit log cannot be written, so the request was refused; the error is in the server log',
        undefined,
        { 'retry-after': '30' },
      );
    case 'db_fatal':
      return problemResponse(
        'unavailable',
        503,
        'the database failed fatally; the server is restarting',
        undefined,
        { 'retry-after': '30' },
      );
    default:
      // db_failed, migration_failed, config_invalid: details stay in the server log
      return problemResponse(
        err.code,
        500,
        'the server could not complete the request; the error is in its log',
      );
  }
}

export type ErrorLogger = (err: unknown, c: Context) => void;

export function createErrorHandler(log: ErrorLogger) {
  return (err: Error, c: Context): Response => {
    if (err instanceof ApiError)
      return problemResponse(err.code, err.status, err.message, err.extra, err.headers);
    if (err instanceof AppError) {
      if (!['not_found', 'usage', 'conflict', 'forbidden'].includes(err.code)) log(err, c);
      return fromAppError(err);
    }
    if (err instanceof HTTPException) {
      const status = err.status;
      const code: ApiErrorCode =
        status === 413
          ? 'payload_too_large'
          : status === 401
            ? 'unauthorized'
            : status === 403
              ? 'forbidden'
              : status === 404
                ? 'not_found'
                : status >= 500
                  ? 'internal'
                  : 'bad_request';
      return problemResponse(code, status, err.message || TITLES[code]);
    }
    log(err, c);
    return problemResponse(
      'internal',
      500,
      'the server could not complete the request; the error is in its log',
    );
  };
}

export function notFoundHandler(c: Context): Response {
  return problemResponse(
    'not_found',
    404,
    `no route for ${c.req.method} ${new URL(c.req.url).pathname}`,
  );
}
