/** Shared zod schemas: days, USCCs, limits, cursors, problems. */
import { z } from 'zod';
import { isValidUscc, normaliseUscc } from '../pipeline/feeds/index.ts';
import { LEVELS } from '../pipeline/queries/index.ts';
import { ApiError } from './errors.ts';

export const MAX_LIMIT = 200;

export const Day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
  .refine((s) => {
    const d = new Date(`${s}T00:00:00Z`);
    return (
      !Number.isNaN(d.getTime()) &&
      d.toISOString().slice(0, 10) === s &&
      s >= '2000-01-01' &&
      s <= '2099-12-31'
    );
  }, 'is not a calendar date between 2000 and 2099')
  .meta({ description: 'Asia/Shanghai calendar day', example: '2026-03-01' });

export const Uscc = z
  .string()
  .max(40)
  .transform((s) => normaliseUscc(s))
  .refine(isValidUscc, 'is not a valid 统一社会信用代码 (18 characters, valid check character)')
  .meta({ description: '统一社会信用代码', example: '91440400MA4W8XKQ7Y' });

export const Limit = (dflt: number) =>
  z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_LIMIT)
    .default(dflt)
    .meta({ description: `page size, 1–${MAX_LIMIT}` });

export const Level = z.enum(LEVELS);

export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.string(),
    detail: z.string(),
    issues: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .meta({ description: 'bad_request: each invalid field' }),
    from: z.string().optional().meta({ description: 'conflict: the current workflow state' }),
    to: z.string().optional().meta({ description: 'conflict: the state asked for' }),
    scope: z
      .string()
      .optional()
      .meta({ description: 'forbidden: the one step this session must take first' }),
    retry_after: z
      .number()
      .optional()
      .meta({ description: 'too_many_requests: seconds until the next attempt' }),
  })
  .meta({ id: 'Problem' });

/** Opaque keyset cursors: base64url JSON, at most 256 characters, validated by `shape`. */
export const Cursor = z
  .string()
  .max(256, 'cursor is too long')
  .regex(/^[A-Za-z0-9_-]+$/, 'is not a cursor');

export function encodeCursor(v: unknown): string {
  return Buffer.from(JSON.stringify(v), 'utf8').toString('base64url');
}

export function decodeCursor<S extends z.ZodType>(cursor: string, shape: S): z.output<S> {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new ApiError('bad_request', 'cursor is not one this API issued');
  }
  const r = shape.safeParse(v);
  if (!r.success) throw new ApiError('bad_request', 'cursor is not one this API issued');
  return r.data;
}

/** `day:uscc` — the id of an alert. */
export const AlertId = z
  .string()
  .max(64)
  .regex(
    /^\d{4}-\d{2}-\d{2}:[0-9A-Za-z]{18}$/,
    'must be DAY:USCC, e.g. 2026-03-01:91440400MA4W8XKQ7Y',
  )
  .transform((s, ctx) => {
    const day = s.slice(0, 10);
    const uscc = normaliseUscc(s.slice(11));
    if (!Day.safeParse(day).success) {
      ctx.addIssue({ code: 'custom', message: 'day is not a calendar date' });
      return z.NEVER;
    }
    if (!isValidUscc(uscc)) {
      ctx.addIssue({ code: 'custom', message: 'uscc is not a valid 统一社会信用代码' });
      return z.NEVER;
    }
    return { day, uscc };
  })
  .meta({ description: 'alert id: `YYYY-MM-DD:USCC` (list day and enterprise)' });

/** An office of the jurisdiction tree (GB/T 2260 division code or a functional zone's code). */
export const JurisdictionCode = z
  .string()
  .regex(/^\d{2,12}$/, 'must be an office code of the jurisdiction tree, e.g. 440402')
  .meta({ description: 'office code (GET /v1/jurisdictions)', example: '440402' });
