/**
 * `dafei mapping …`: infer a mapping from a file, check a mapping against a file (a dry run), list
 * the shipped templates, print the mapping file's JSON Schema.
 */
import { basename } from 'node:path';
import { UsageError } from './errors.ts';
import { FEED_NAMES, isFeedName } from './feeds/index.ts';
import {
  checkMapping,
  inferMapping,
  listTemplates,
  loadMapping,
  mappingJsonSchema,
  peekRows,
  type CheckReport,
} from './feeds/mapping/index.ts';

export interface MappingIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

export const MAPPING_USAGE = `dafei mapping infer FILE [--feed FEED]
       dafei mapping check FILE --mapping M [--rows N] [--json]
       dafei mapping templates
       dafei mapping schema

  infer      print a proposed mapping (JSON, the mapping file's format) for a CSV or XLSX file,
             from its headers (a dictionary of Chinese header synonyms) and a sample of its values;
             why each column went where it did goes to stderr
  check      dry run: rows read, rows that would land, what would be quarantined and why, and the
             first rows as they would land (--rows N: stop after N data rows; --json: the report as JSON)
  templates  the mapping templates shipped with Dafei (use their id as M)
  schema     the JSON Schema of mapping files

  FEED  ${FEED_NAMES.join(' | ')}
  M     a template id or a mapping file (JSON)`;

export const MAPPING_OPTIONS = {
  feed: { type: 'string' as const },
  mapping: { type: 'string' as const },
  rows: { type: 'string' as const },
  json: { type: 'boolean' as const },
};

export async function runMapping(
  values: Record<string, unknown>,
  positionals: string[],
  io: MappingIo,
): Promise<number> {
  const [action, file, ...rest] = positionals;
  if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0]}'`);
  switch (action) {
    case 'templates':
      for (const t of listTemplates())
        io.out(`${t.id.padEnd(22)} ${t.feed.padEnd(14)} ${t.format ?? ''}\t${t.name}`);
      return 0;
    case 'schema':
      io.out(JSON.stringify(mappingJsonSchema(), null, 2));
      return 0;
    case 'infer': {
      if (!file) throw new UsageError('mapping infer needs a FILE');
      const feed = values['feed'] as string | undefined;
      if (feed !== undefined && !isFeedName(feed))
        throw new UsageError(`unknown feed '${feed}' (one of ${FEED_NAMES.join(', ')})`);
      const peek = await peekRows(file);
      const inf = inferMapping(peek, {
        ...(feed ? { feed } : {}),
        fileName: basename(file),
      });
      io.out(JSON.stringify(inf.mapping, null, 2));
      io.err(`feed: ${inf.feed}${feed ? '' : ' (guessed from the headers; --feed to choose)'}`);
      for (const c of inf.columns)
        io.err(
          `  「${c.header}」 → ${c.field ?? '(extra)'}${c.field ? `  ${c.score.toFixed(2)}  ${c.why}` : ''}`,
        );
      for (const w of inf.warnings) io.err(`warning: ${w}`);
      return 0;
    }
    case 'check': {
      if (!file) throw new UsageError('mapping check needs a FILE');
      const ref = values['mapping'] as string | undefined;
      if (!ref) throw new UsageError('mapping check needs --mapping M (a template id or a file)');
      const rows = values['rows'] === undefined ? undefined : Number(values['rows']);
      if (rows !== undefined && (!Number.isInteger(rows) || rows < 1))
        throw new UsageError('--rows must be a positive whole number');
      const report = await checkMapping(file, loadMapping(ref), {
        ...(rows === undefined ? {} : { maxRows: rows }),
      });
      if (values['json']) io.out(JSON.stringify(report, null, 2));
      else for (const line of formatCheck(report)) io.out(line);
      return 0;
    }
    default:
      throw new UsageError(
        `unknown mapping action '${action ?? ''}' (infer, check, templates, schema)`,
      );
  }
}

export function formatCheck(r: CheckReport): string[] {
  const out: string[] = [];
  out.push(`mapping '${r.mapping}' → ${r.feed}`);
  for (const t of r.tables) {
    out.push(
      `${t.sheet === null ? 'header' : `sheet「${t.sheet}」 header`} (row ${t.header_row}): ${t.header.map((h) => `「${h}」`).join(' ')}`,
    );
    for (const [field, cols] of Object.entries(t.fields))
      out.push(
        `  ${field.padEnd(24)} ← ${cols.length ? cols.map((c) => `「${c}」`).join(' + ') : '(constant)'}`,
      );
    if (t.unmapped.length)
      out.push(`  extra                    ← ${t.unmapped.map((c) => `「${c}」`).join(' ')}`);
  }
  for (const s of r.skipped) out.push(`sheet「${s.sheet}」 skipped: ${s.reason}`);
  out.push(
    `read ${r.read}, would land ${r.mapped}, would be quarantined ${r.quarantined}${r.truncated ? ' (stopped early: --rows)' : ''}`,
  );
  for (const g of r.reasons) {
    out.push(`  ${String(g.count).padStart(7)} × ${g.reason}`);
    for (const e of g.examples) out.push(`            line ${e.line}: ${e.reason}`);
  }
  if (r.sample.length) {
    out.push('first rows as they would land:');
    for (const s of r.sample) out.push(`  ${JSON.stringify(s)}`);
  }
  return out;
}
