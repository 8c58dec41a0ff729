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
import { tabularFormat } from './peek.ts';

export interface CheckReport {
  feed: string;
  mapping: string;
  read: number;
  /** Rows that would be staged (duplicates and corrections are told apart only by ingesting). */
  mapped: number;
  quarantined: number;
  /** Reasons grouped by kind, most frequent first, each with its first rows. */
  reasons: {
    reason: string;
    count: number;
    examples: { line: number; reason: string; raw: string }[];
  }[];
  /** The first rows as they would land (contract fields; `extra` as an object). */
  sample: Record<string, unknown>[];
  tables: {
    sheet: string | null;
    header_row: number;
    header: string[];
    fields: Record<string, string[]>;
    unmapped: string[];
  }[];
  skipped: { sheet: string; reason: string }[];
  /** True when `maxRows` stopped the dry run before the end of the file. */
  truncated: boolean;
}

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
