/**
 * The mapping file: how one source layout (a 12345 hotline's Excel, a register extract, an
 * ad-monitoring CSV …) becomes records of one feed of the contract (../shared/FEEDS.md). JSON,
 * checked by the zod schema below; `dafei mapping schema` prints it as JSON Schema and
 * pipeline/feeds/mapping/README.md documents it with examples.
 */
import { z } from 'zod';
import { FEED_NAMES } from '../specs.ts';
import { checkFormat } from './dates.ts';
import { UNIT_FACTORS } from './units.ts';

const formatList = z
  .array(
    z.string().superRefine((f, ctx) => {
      const problem = checkFormat(f);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  )
  .min(1);

const unitName = z.enum(Object.keys(UNIT_FACTORS) as [string, ...string[]]);

const regexText = z.string().superRefine((p, ctx) => {
  try {
    new RegExp(p, 'u');
  } catch (err) {
    ctx.addIssue({
      code: 'custom',
      message: `not a regular expression: ${(err as Error).message}`,
    });
  }
});

/** One step of a field's transforms; applied in order to the source text (null = empty). */
export const TransformSchema = z.union([
  z
    .enum(['trim', 'halfwidth', 'upper', 'lower', 'digits'])
    .describe(
      'trim: white space incl. full-width and NBSP; halfwidth: full-width letters, digits and punctuation to ASCII; digits: keep 0-9 only (phones)',
    ),
  z
    .strictObject({
      date: z.strictObject({ formats: formatList.optional() }).describe('→ YYYY-MM-DD'),
    })
    .describe('a date in one of `formats` (default: year-first formats and Excel serials)'),
  z
    .strictObject({
      datetime: z.strictObject({
        formats: formatList.optional(),
        offset: z
          .string()
          .regex(/^(Z|[+-]\d{2}:\d{2})$/)
          .optional()
          .describe('UTC offset of times written without one (default +08:00, Asia/Shanghai)'),
      }),
    })
    .describe('a date and time → ISO 8601 with offset'),
  z
    .strictObject({
      number: z
        .strictObject({})
        .describe('a number: thousands separators, full-width digits, ¥/元 signs removed'),
    })
    .describe('a number'),
  z
    .strictObject({
      unit: z.strictObject({
        from: unitName.describe('the unit of values that do not name their own'),
        to: unitName,
      }),
    })
    .describe(
      'an amount converted between 元, 千元, 万元, 百万元, 亿元 (a unit in the value wins)',
    ),
  z
    .strictObject({
      map: z.strictObject({
        values: z.record(z.string(), z.string().nullable()),
        /** what an unlisted value becomes: reject it (default), keep it, or null */
        otherwise: z.enum(['reject', 'keep', 'null']).optional(),
        default: z
          .string()
          .optional()
          .describe('the value for unlisted values (wins over otherwise)'),
      }),
    })
    .describe('a code list → the contract enum (keys compared trimmed and half-width)'),
  z
    .strictObject({
      regex: z.strictObject({
        pattern: regexText,
        group: z.number().int().min(0).max(20).optional(),
        flags: z
          .string()
          .regex(/^[imsu]*$/)
          .optional(),
        /** what a value that does not match becomes (default null) */
        otherwise: z.enum(['null', 'keep', 'reject']).optional(),
      }),
    })
    .describe('extract the first match (or one of its groups)'),
  z
    .strictObject({
      replace: z.strictObject({
        pattern: regexText,
        with: z.string(),
        flags: z
          .string()
          .regex(/^[imsu]*$/)
          .optional(),
      }),
    })
    .describe('replace every match'),
  z
    .strictObject({ null_if: z.array(z.string()).min(1) })
    .describe('values that mean "empty" (无, -, /, 暂无 …)'),
  z.strictObject({ prefix: z.string() }).describe('text put before a non-empty value'),
]);
export type Transform = z.infer<typeof TransformSchema>;

export const FieldMappingSchema = z
  .strictObject({
    column: z.string().min(1).optional().describe('the source column (its header text)'),
    columns: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe('several source columns, concatenated (empty ones skipped)'),
    join: z.string().optional().describe('separator for `columns` (default a space)'),
    const: z.string().optional().describe('a constant value (no source column)'),
    transforms: z.array(TransformSchema).optional(),
    default: z.string().optional().describe('the value when the source is empty'),
    optional: z
      .boolean()
      .optional()
      .describe('the source column may be absent from a file (else the file is refused)'),
    note: z.string().optional(),
  })
  .refine(
    (f) =>
      [f.column !== undefined, f.columns !== undefined, f.const !== undefined].filter(Boolean)
        .length === 1,
    { message: 'give exactly one of column, columns, const' },
  );
export type FieldMapping = z.infer<typeof FieldMappingSchema>;

export const SheetSchema = z
  .union([z.string().min(1), z.number().int().min(1), z.array(z.string().min(1)).min(1)])
  .describe('XLSX: a sheet name, a 1-based position, a list of names, or "*" for every sheet');

export const MappingSchema = z.strictObject({
  $schema: z.string().optional(),
  name: z.string().min(1).describe('what this layout is, e.g. 12345 热线工单导出'),
  description: z.string().optional(),
  feed: z.enum(FEED_NAMES),
  source: z
    .strictObject({
      format: z.enum(['csv', 'xlsx']).optional().describe('default: from the file name'),
      encoding: z.enum(['utf-8', 'gbk']).optional().describe('CSV only (a UTF-8 BOM wins)'),
      sheet: SheetSchema.optional(),
      header_row: z
        .number()
        .int()
        .min(1)
        .max(100)
        .optional()
        .describe('1-based row where the header starts (title rows above it are skipped)'),
      header_rows: z
        .number()
        .int()
        .min(1)
        .max(5)
        .optional()
        .describe('rows the header spans; merged cells are spread, levels joined with "/"'),
    })
    .default({}),
  fields: z.record(z.string(), FieldMappingSchema),
  unmapped: z
    .enum(['extra', 'drop'])
    .optional()
    .describe('columns no field uses: kept in the record`s extra (default) or dropped'),
});
export type Mapping = z.infer<typeof MappingSchema>;
export type MappingInput = z.input<typeof MappingSchema>;

/** The JSON Schema of mapping files (for editors and the docs). */
export function mappingJsonSchema(): Record<string, unknown> {
  const j = z.toJSONSchema(MappingSchema, {
    io: 'input',
    unrepresentable: 'any',
    target: 'draft-2020-12',
  }) as Record<string, unknown>;
  return { title: 'Dafei mapping file', ...j };
}
