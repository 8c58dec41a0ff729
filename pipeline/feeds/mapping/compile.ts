/**
 * A mapping bound to the header of one file: turns each source row into a record of the feed
 * (contract field names; columns no field uses under their own names, which the validator keeps
 * in `extra`). A value a transform cannot handle makes the row a problem naming the source column;
 * a reason the validator gives later for a mapped field is reworded to name it too (`explain`).
 */
import { FEEDS, type FeedName } from '../specs.ts';
import { headerKey } from './header.ts';
import { MappingSchema, type FieldMapping, type Mapping, type MappingInput } from './schema.ts';
import { compileTransforms, TransformProblem, trimAll, type Step } from './transforms.ts';
import { IngestError } from '../../errors.ts';

export class MappingError extends IngestError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ingest_failed', message, options);
  }
}

/** Parses and checks a mapping (an object or JSON text); throws one MappingError listing every problem. */
export function parseMapping(input: unknown, label = 'mapping'): Mapping {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input.replace(/^\uFEFF/, ''));
    } catch (err) {
      throw new MappingError(`${label} is not valid JSON: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
  const r = MappingSchema.safeParse(value);
  if (!r.success) {
    throw new MappingError(
      `${label} is not a valid mapping: ${r.error.issues
        .map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`)
        .join('; ')}`,
    );
  }
  const m = r.data;
  const spec = FEEDS[m.feed];
  const known = new Set(spec.fields.map((f) => f.name));
  const problems: string[] = [];
  for (const f of Object.keys(m.fields)) {
    if (!known.has(f))
      problems.push(
        `fields.${f}: ${m.feed} has no field ${f} (its fields: ${[...known].join(', ')})`,
      );
  }
  for (const f of spec.fields) {
    if (f.required && m.fields[f.name] === undefined)
      problems.push(`fields.${f.name}: required by ${m.feed} but not mapped`);
  }
  if (problems.length) throw new MappingError(`${label}: ${problems.join('; ')}`);
  return m;
}

/** The mapping that takes columns named exactly as the contract's fields (an .xlsx in contract shape). */
export function identityMapping(feed: FeedName): Mapping {
  const fields: Record<string, FieldMapping> = {};
  for (const f of FEEDS[feed].fields)
    fields[f.name] = { column: f.name, ...(f.required ? {} : { optional: true }) };
  return MappingSchema.parse({
    name: `${feed} (contract columns)`,
    feed,
    fields,
  } satisfies MappingInput);
}

export type Mapped = { ok: true; record: Record<string, unknown> } | { ok: false; reason: string };

export interface BoundMapping {
  mapping: Mapping;
  /** Header as read (column names). */
  header: readonly string[];
  /** Source column(s) of each mapped field, as named in the header. */
  sourcesOf: Record<string, string[]>;
  /** Header columns no field uses. */
  unmapped: string[];
  map: (cells: readonly (string | null)[]) => Mapped;
  /** Rewords a validator reason about a mapped field so that it names the source column. */
  explain: (reason: string) => string;
}

interface FieldPlan {
  field: string;
  columns: number[];
  names: string[];
  join: string;
  constant: string | undefined;
  step: Step;
  dflt: string | undefined;
}

/**
 * Binds `mapping` to a file's `header`. Throws a MappingError when a mapped column is missing
 * (listing the header found, so the user sees what the file has).
 */
export function bindMapping(
  mapping: Mapping,
  header: readonly string[],
  label = 'file',
): BoundMapping {
  const index = new Map<string, number>();
  header.forEach((h, i) => {
    const k = headerKey(h);
    if (!index.has(k)) index.set(k, i);
  });
  const missing: string[] = [];
  const used = new Set<number>();
  const plans: FieldPlan[] = [];
  const sourcesOf: Record<string, string[]> = {};
  for (const [field, fm] of Object.entries(mapping.fields)) {
    const wanted = fm.column !== undefined ? [fm.column] : (fm.columns ?? []);
    const columns: number[] = [];
    const names: string[] = [];
    for (const w of wanted) {
      const i = index.get(headerKey(w));
      if (i === undefined) {
        if (!fm.optional) missing.push(w);
        continue;
      }
      columns.push(i);
      names.push(header[i]!);
      used.add(i);
    }
    sourcesOf[field] = names;
    if (fm.const === undefined && columns.length === 0 && fm.default === undefined) continue;
    plans.push({
      field,
      columns,
      names,
      join: fm.join ?? ' ',
      constant: fm.const,
      step: compileTransforms(fm.transforms ?? []),
      dflt: fm.default,
    });
  }
  if (missing.length) {
    throw new MappingError(
      `${label} lacks the column(s) ${missing.map((m) => `「${m}」`).join(', ')} that mapping '${mapping.name}' needs; its header is: ${header.map((h) => `「${h}」`).join(', ')}`,
    );
  }
  const fieldNames = new Set(FEEDS[mapping.feed].fields.map((f) => f.name));
  const keepExtra = (mapping.unmapped ?? 'extra') === 'extra';
  const unmapped = header.map((_, i) => i).filter((i) => !used.has(i));
  // a leftover column named like a contract field would be taken for it: rename it in extra
  const extraName = unmapped.map((i) =>
    fieldNames.has(header[i]!) || header[i] === 'extra' ? `source:${header[i]!}` : header[i]!,
  );
  const label1 = (p: FieldPlan) => p.names.map((n) => `「${n}」`).join('+');

  const map = (cells: readonly (string | null)[]): Mapped => {
    const record: Record<string, unknown> = {};
    for (const p of plans) {
      let v: string | null;
      if (p.constant !== undefined) v = p.constant;
      else if (p.columns.length === 1) {
        v = cells[p.columns[0]!] ?? null;
      } else {
        const parts: string[] = [];
        for (const c of p.columns) {
          const x = cells[c];
          if (x !== null && x !== undefined && trimAll(x) !== '') parts.push(trimAll(x));
        }
        v = parts.length ? parts.join(p.join) : null;
      }
      if (v !== null && trimAll(v) === '') v = null;
      try {
        v = p.step(v);
      } catch (err) {
        if (err instanceof TransformProblem)
          return { ok: false, reason: `${label1(p)} → ${p.field} ${err.message}` };
        throw err;
      }
      if (v === null && p.dflt !== undefined) v = p.dflt;
      if (v !== null) record[p.field] = v;
    }
    if (keepExtra) {
      for (let k = 0; k < unmapped.length; k++) {
        const x = cells[unmapped[k]!];
        if (x !== null && x !== undefined && trimAll(x) !== '') record[extraName[k]!] = x;
      }
    }
    return { ok: true, record };
  };

  const byField = new Map(plans.filter((p) => p.names.length).map((p) => [p.field, p]));
  const explain = (reason: string): string => {
    const m = /^([a-z_]+)(?=[\s:[])/.exec(reason);
    const p = m ? byField.get(m[1]!) : undefined;
    return p ? `${label1(p)} → ${reason}` : reason;
  };

  return { mapping, header, sourcesOf, unmapped: unmapped.map((i) => header[i]!), map, explain };
}

/** A row as quarantine shows it: `{"header": "value", …}` (non-empty cells only). */
export function rowText(header: readonly string[], cells: readonly (string | null)[]): string {
  const o: Record<string, string> = {};
  cells.forEach((v, i) => {
    if (v !== null && v !== '') o[header[i] ?? `#${i + 1}`] = v;
  });
  return JSON.stringify(o);
}
