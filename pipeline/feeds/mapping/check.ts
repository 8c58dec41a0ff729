/**
 * `dafei mapping check`: a dry run of a mapping over a file — rows read, rows that would land, what
 * would be quarantined and why (grouped), and the first rows as they would land — without a
 * database. The upload page's preview is the same function.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dataColumns, FEEDS } from '../specs.ts';
import { createValidator } from '../validate.ts';
import type { XlsxLimits } from '../xlsx.ts';
import { readMapped, type TableInfo } from './read-mapped.ts';
import type { Mapping } from './schema.ts';
import { z } from 'zod';
import { tabularFormat } from './peek.ts';

export const CheckReport = z
  .object({
    feed: z.string(),
    mapping: z.string(),
    read: z.number().int(),
    mapped: z.number().int().meta({
      description:
        'rows that would be staged (duplicates and corrections are told apart only by ingesting)',
    }),
    quarantined: z.number().int(),
    reasons: z
      .array(
        z.object({
          reason: z.string(),
          count: z.number().int(),
          examples: z.array(
            z.object({ line: z.number().int(), reason: z.string(), raw: z.string() }),
          ),
        }),
      )
      .meta({
        description: 'reasons grouped by kind, most frequent first, each with its first rows',
      }),
    sample: z.array(z.record(z.string(), z.unknown())).meta({
      description:
        "the first rows as they would land (the feed's contract fields; `extra` as an object)",
    }),
    tables: z.array(
      z.object({
        sheet: z.string().nullable(),
        header_row: z.number().int(),
        header: z.array(z.string()),
        fields: z.record(z.string(), z.array(z.string())),
        unmapped: z.array(z.string()),
      }),
    ),
    skipped: z.array(z.object({ sheet: z.string(), reason: z.string() })),
    truncated: z
      .boolean()
      .meta({ description: '`maxRows` stopped the dry run before the end of the file' }),
  })
  .meta({ id: 'CheckReport' });
export type CheckReport = z.output<typeof CheckReport>;

/** The kind of a reason: the same problem with other values counts once. */
export function reasonKind(reason: string): string {
  return reason
    .replace(/"(?:[^"\\]|\\.)*"/g, '"…"')
    .replace(/(→ [a-z_]+) [^:]*:/, '$1:')
    .replace(/^([a-z_]+) [^:]*:/, '$1:')
    .replace(/\d+/g, '#');
}

export async function checkMapping(
  path: string,
  mapping: Mapping,
  o: { maxRows?: number; sampleRows?: number; limits?: XlsxLimits; label?: string } = {},
): Promise<CheckReport> {
  const spec = FEEDS[mapping.feed];
  const validate = createValidator(spec);
  const columns = dataColumns(spec).map((c) => c.name);
  const { format, gzip } = tabularFormat(path);
  const size = (await stat(path)).size;
  const report: CheckReport = {
    feed: mapping.feed,
    mapping: mapping.name,
    read: 0,
    mapped: 0,
    quarantined: 0,
    reasons: [],
    sample: [],
    tables: [],
    skipped: [],
    truncated: false,
  };
  const groups = new Map<string, CheckReport['reasons'][number]>();
  const sampleRows = o.sampleRows ?? 10;
  const tables: TableInfo[] = [];
  const r = await readMapped(
    {
      label: o.label ?? path,
      format,
      gzip,
      size,
      ...(format === 'xlsx' ? { path } : { stream: createReadStream(path) }),
    },
    {
      mapping,
      ...(o.limits ? { limits: o.limits } : {}),
      ...(o.maxRows !== undefined ? { maxRows: o.maxRows } : {}),
      onTable: (t) => tables.push(t),
    },
    (rec) => {
      report.read++;
      let reason = rec.problem;
      if (rec.value !== undefined) {
        const checked = validate(rec.value);
        if (checked.ok) {
          report.mapped++;
          if (report.sample.length < sampleRows) {
            const row: Record<string, unknown> = { _line: rec.line };
            columns.forEach((c, i) => {
              const v = checked.values[i];
              if (v !== null && v !== undefined)
                row[c] = c === 'extra' || c === 'shareholders' ? JSON.parse(v) : v;
            });
            report.sample.push(row);
          }
          return;
        }
        reason = rec.explain ? rec.explain(checked.reason) : checked.reason;
      }
      report.quarantined++;
      const why = reason ?? 'unreadable record';
      const kind = reasonKind(why);
      let g = groups.get(kind);
      if (!g) groups.set(kind, (g = { reason: kind, count: 0, examples: [] }));
      g.count++;
      if (g.examples.length < 3)
        g.examples.push({ line: rec.line, reason: why, raw: rec.raw.slice(0, 500) });
    },
  );
  report.reasons = [...groups.values()].sort((a, b) => b.count - a.count);
  report.tables = tables.map((t) => ({
    sheet: t.sheet,
    header_row: t.headerRow,
    header: t.header,
    fields: t.bound.sourcesOf,
    unmapped: t.bound.unmapped,
  }));
  report.skipped = r.skipped;
  report.truncated = r.truncated;
  return report;
}
