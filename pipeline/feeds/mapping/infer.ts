/**
 * Proposes a mapping from a file's first rows: finds the header row, matches each header against
 * the synonym dictionary (synonyms.ts), checks the match against the column's values (USCC shape,
 * dates, amounts, long text, code lists) and proposes the transforms the values need (date formats
 * seen, 万元 → 元, code list → enum). The result is a starting point a person reviews: `report`
 * says why each column went where it did.
 */
import { FEEDS, FEED_NAMES, type FeedName } from '../specs.ts';
import { DEFAULT_DATE_FORMATS, DEFAULT_DATETIME_FORMATS, dateParser } from './dates.ts';
import { combineHeader, headerKey } from './header.ts';
import type { Peek } from './peek.ts';
import { ENUM_DEFAULTS, ENUM_SYNONYMS, FEED_HINTS, HEADER_SYNONYMS } from './synonyms.ts';
import { trimAll } from './transforms.ts';
import { parseAmount } from './units.ts';
import { isValidUscc, normaliseUscc } from '../uscc.ts';
import { z } from 'zod';
import { MappingSchema, type FieldMapping, type Mapping, type Transform } from './schema.ts';
import { toHalfWidth } from '../../features/normalize-text.ts';

export const ColumnGuess = z.object({
  header: z.string(),
  field: z.string().nullable(),
  score: z.number(),
  why: z.string(),
});
export type ColumnGuess = z.output<typeof ColumnGuess>;

export const Inference = z
  .object({
    feed: z.enum(FEED_NAMES),
    mapping: MappingSchema,
    columns: z.array(ColumnGuess),
    missing: z.array(z.string()).meta({
      description: 'required fields no column was found for (placeholders in the mapping)',
    }),
    warnings: z.array(z.string()),
  })
  .meta({ id: 'Inference' });
export type Inference = z.output<typeof Inference>;

type Kind = 'uscc' | 'date' | 'timestamp' | 'amount' | 'enum' | 'text' | 'id' | 'plain';

const USCC_SHAPE = /^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$/;
const NULLISH = new Set(['', '-', '--', '—', '/', '无', '暂无', 'null', 'NULL', 'N/A', '空']);
const GENERIC_SUB = new Set([
  '名称',
  '名字',
  '姓名',
  '内容',
  '时间',
  '日期',
  '编号',
  '代码',
  '类型',
]);
const UNIT_SUFFIX = /[(（]\s*(元|千元|万元|百万元|亿元|万|人民币万元|万元人民币)\s*[)）]$/;

function kindOf(feed: FeedName, field: string): Kind {
  const f = FEEDS[feed].fields.find((x) => x.name === field)!;
  if (field === 'uscc' || field.endsWith('_uscc')) return 'uscc';
  if (ENUM_SYNONYMS[`${feed}.${field}`]) return 'enum';
  if (f.sqlType === 'DATE') return 'date';
  if (f.sqlType === 'TIMESTAMPTZ') return 'timestamp';
  if (f.sqlType === 'DOUBLE') return 'amount';
  if (field === 'text' || field === 'business_scope') return 'text';
  if (field.endsWith('_id') || field === 'case_ref') return 'id';
  return 'plain';
}

/** Header → (base key, unit written in brackets). */
function splitHeader(h: string): { keys: string[]; unit: string | undefined } {
  const full = headerKey(h);
  const m = UNIT_SUFFIX.exec(toHalfWidth(h).replace(/\s+/g, ''));
  const unit = m ? (m[1]!.includes('万') ? '万元' : m[1]!) : undefined;
  const noUnit = (k: string) => k.replace(/[(（][^()（）]*[)）]$/, '');
  const keys = [full, noUnit(full)];
  const levels = full.split('/');
  const last = levels[levels.length - 1]!;
  if (levels.length > 1) {
    keys.push(last, noUnit(last));
    // 被反映对象信息/名称: a generic sub-header names its group's thing
    const group = levels[levels.length - 2]!.replace(/信息$/, '');
    if (GENERIC_SUB.has(noUnit(last))) keys.push(group, `${group}${noUnit(last)}`);
  }
  return { keys: [...new Set(keys)].filter(Boolean), unit };
}

function headerScore(feed: FeedName, field: string, h: string): { score: number; why: string } {
  const syns = HEADER_SYNONYMS[feed][field] ?? [];
  const { keys } = splitHeader(h);
  let best = { score: 0, why: '' };
  syns.forEach((syn, i) => {
    const s = headerKey(syn);
    for (const k of keys) {
      let score = 0;
      let why = '';
      if (k === s) {
        score = 1 - i * 0.002;
        why = `header is「${syn}」`;
      } else if (k.endsWith(s) && s.length >= 2) {
        // Chinese puts the head noun last: 诉求渠道 is a 渠道, 内容分类 is not a 内容
        score = Math.min(0.9, 0.45 + 0.1 * s.length);
        why = `header ends with「${syn}」`;
      } else if (k.includes(s) && s.length >= 4) {
        score = 0.5;
        why = `header contains「${syn}」`;
      }
      if (score > best.score) best = { score, why };
    }
  });
  return best;
}

function present(values: readonly (string | null)[]): string[] {
  return values
    .map((v) => (v === null ? '' : trimAll(v)))
    .filter((v) => v !== '' && !NULLISH.has(v));
}

const anyDate = dateParser([...DEFAULT_DATETIME_FORMATS]);

function share(values: string[], test: (v: string) => boolean): number {
  if (values.length === 0) return 0;
  return values.filter(test).length / values.length;
}

function isAmount(v: string): boolean {
  try {
    parseAmount(toHalfWidth(v), '元', '元');
    return true;
  } catch {
    return false;
  }
}

function enumShare(feed: FeedName, field: string, values: string[]): number {
  const table = ENUM_SYNONYMS[`${feed}.${field}`];
  if (!table) return 0;
  const keys = new Set(Object.keys(table).map((k) => trimAll(toHalfWidth(k))));
  const enumValues = new Set(Object.values(table));
  return share(values, (v) => {
    const k = trimAll(toHalfWidth(v));
    return keys.has(k) || enumValues.has(k);
  });
}

/** Score of putting a column (header + values) in a field: header evidence checked by values. */
function columnScore(
  feed: FeedName,
  field: string,
  header: string,
  values: string[],
  longest: boolean,
): { score: number; why: string } {
  const kind = kindOf(feed, field);
  let { score, why } = headerScore(feed, field, header);
  const has = values.length > 0;
  switch (kind) {
    case 'uscc': {
      const s = share(values, (v) => USCC_SHAPE.test(toHalfWidth(v).toUpperCase()));
      // values alone name a USCC column only with valid check characters (an ID card number has
      // the same shape; 18 digits and letters are not enough)
      const valid = share(values, (v) => isValidUscc(normaliseUscc(toHalfWidth(v))));
      if (s >= 0.8 && score > 0) {
        score += 0.3;
        why += '; values look like USCCs';
      } else if (valid >= 0.8) {
        score = 0.6;
        why = 'values are USCCs (valid check characters)';
      } else if (has && s < 0.2 && score > 0) {
        score *= 0.5;
        why += '; but the values are not USCCs';
      }
      break;
    }
    case 'date':
    case 'timestamp': {
      const s = share(values, (v) => anyDate(toHalfWidth(v)) !== undefined);
      if (has && s < 0.5 && score > 0) {
        score *= 0.5;
        why += '; but the values are not dates';
      } else if (has && s >= 0.8 && score > 0) {
        score += 0.1;
        why += '; values are dates';
      }
      break;
    }
    case 'amount': {
      const s = share(values, isAmount);
      if (has && s < 0.6 && score > 0) {
        score *= 0.5;
        why += '; but the values are not amounts';
      }
      break;
    }
    case 'enum': {
      const s = enumShare(feed, field, values);
      if (s >= 0.8 && values.every((v) => v.length <= 24)) {
        score = score > 0 ? score + 0.2 : 0.6;
        why = why ? `${why}; values are in the code list` : 'values are in the code list';
      }
      break;
    }
    case 'text': {
      if (field === 'text' && longest) {
        score = score > 0 ? score + 0.1 : 0.56;
        why = why ? `${why}; the longest text` : 'the column with the longest text';
      }
      break;
    }
    default:
      break;
  }
  return { score, why };
}

interface HeaderChoice {
  headerRow: number;
  headerRows: number;
  header: string[];
  score: number;
}

function bestFieldScores(feed: FeedName, header: readonly string[]): number {
  let total = 0;
  for (const h of header) {
    let best = 0;
    for (const f of Object.keys(HEADER_SYNONYMS[feed]))
      best = Math.max(best, headerScore(feed, f, h).score);
    if (best >= 0.6) total += best;
  }
  return total;
}

function chooseHeader(peek: Peek, feeds: readonly FeedName[]): HeaderChoice {
  let best: HeaderChoice = { headerRow: 1, headerRows: 1, header: [], score: -1 };
  const candidates = peek.rows.slice(0, 12);
  for (let i = 0; i < candidates.length; i++) {
    for (const span of [1, 2]) {
      const rows = candidates.slice(i, i + span);
      if (rows.length < span) continue;
      // a header is text: a row of numbers and dates is data
      const cells = rows.flatMap((r) => r.cells).filter((c): c is string => !!c && c.trim() !== '');
      if (cells.length === 0) continue;
      const header = combineHeader(
        rows.map((r) => r.cells),
        { merges: peek.merges, firstRow: rows[0]!.row, fillLeft: peek.merges.length === 0 },
      );
      const score = Math.max(...feeds.map((f) => bestFieldScores(f, header))) - (span - 1) * 0.5;
      if (score > best.score) best = { headerRow: rows[0]!.row, headerRows: span, header, score };
    }
  }
  return best;
}

function chooseFeed(header: readonly string[], columns: string[][]): FeedName {
  let best: FeedName = 'registrations';
  let bestScore = -1;
  const text = header.join(' ');
  for (const feed of FEED_NAMES) {
    let s = bestFieldScores(feed, header);
    for (const hint of FEED_HINTS[feed]) if (text.includes(hint)) s += 0.5;
    // a feed whose required fields are found is likelier
    const spec = FEEDS[feed];
    const guesses = assign(feed, header, columns);
    for (const f of spec.fields)
      if (f.required && guesses.some((g) => g.field === f.name)) s += 0.5;
    if (s > bestScore) {
      best = feed;
      bestScore = s;
    }
  }
  return best;
}

const THRESHOLD = 0.55;

function assign(feed: FeedName, header: readonly string[], columns: string[][]): ColumnGuess[] {
  const lengths = columns.map((vs) =>
    vs.length ? vs.reduce((n, v) => n + v.length, 0) / vs.length : 0,
  );
  const maxLen = Math.max(0, ...lengths);
  const cands: { col: number; field: string; score: number; why: string }[] = [];
  header.forEach((h, col) => {
    for (const f of FEEDS[feed].fields) {
      if (f.name === 'shareholders') continue;
      const longest = lengths[col]! === maxLen && maxLen >= 15;
      const { score, why } = columnScore(feed, f.name, h, columns[col]!, longest);
      if (score >= THRESHOLD) cands.push({ col, field: f.name, score, why });
    }
  });
  cands.sort((a, b) => b.score - a.score || a.col - b.col);
  const byCol = new Map<number, ColumnGuess>();
  const taken = new Set<string>();
  for (const c of cands) {
    if (byCol.has(c.col) || taken.has(c.field)) continue;
    byCol.set(c.col, { header: header[c.col]!, field: c.field, score: round(c.score), why: c.why });
    taken.add(c.field);
  }
  return header.map(
    (h, col) =>
      byCol.get(col) ?? { header: h, field: null, score: 0, why: 'no field fits: kept in extra' },
  );
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

function formatsSeen(values: string[], all: readonly string[]): string[] {
  const counts = all.map((f) => ({
    f,
    n: share(values, (v) => dateParser([f])(toHalfWidth(v)) !== undefined),
  }));
  const seen = counts
    .filter((c) => c.n > 0)
    .sort((a, b) => b.n - a.n)
    .map((c) => c.f);
  return seen.length ? seen : [...all];
}

function transformsFor(
  feed: FeedName,
  field: string,
  header: string,
  values: string[],
  rawValues: (string | null)[],
): Transform[] {
  const kind = kindOf(feed, field);
  const out: Transform[] = ['trim'];
  const nullish = [
    ...new Set(rawValues.map((v) => trimAll(v ?? '')).filter((v) => v !== '' && NULLISH.has(v))),
  ];
  if (nullish.length) out.push({ null_if: nullish });
  switch (kind) {
    case 'uscc':
      out.push('halfwidth', 'upper');
      break;
    case 'id':
      out.push('halfwidth');
      break;
    case 'date':
      out.push({ date: { formats: formatsSeen(values, DEFAULT_DATE_FORMATS) } });
      break;
    case 'timestamp':
      out.push({ datetime: { formats: formatsSeen(values, DEFAULT_DATETIME_FORMATS) } });
      break;
    case 'amount': {
      const to = field.endsWith('_wan') ? '万元' : '元';
      const from = splitHeader(header).unit ?? to;
      out.push({ unit: { from, to } });
      break;
    }
    case 'enum': {
      const key = `${feed}.${field}`;
      const table: Record<string, string> = { ...ENUM_SYNONYMS[key] };
      const dflt = ENUM_DEFAULTS[key];
      out.push({ map: { values: table, ...(dflt ? { default: dflt } : {}) } });
      break;
    }
    default:
      if (field === 'industry_code') out.push('halfwidth', 'upper');
      if (field === 'phone') out.push('halfwidth');
  }
  return out;
}

export interface InferOptions {
  feed?: FeedName;
  /** The file's name: a hint for constants (a 12345 export is hotline_12345). */
  fileName?: string;
  /** The day used for a register extract's missing snapshot date (default today). */
  today?: string;
}

export function inferMapping(peek: Peek, o: InferOptions = {}): Inference {
  const feeds = o.feed ? [o.feed] : FEED_NAMES;
  const h = chooseHeader(peek, feeds);
  const dataRows = peek.rows.filter((r) => r.row >= h.headerRow + h.headerRows).slice(0, 200);
  const raw = h.header.map((_, c) => dataRows.map((r) => r.cells[c] ?? null));
  const columns = raw.map(present);
  const feed = o.feed ?? chooseFeed(h.header, columns);
  const guesses = assign(feed, h.header, columns);
  const fields: Record<string, FieldMapping> = {};
  guesses.forEach((g, col) => {
    if (!g.field) return;
    fields[g.field] = {
      column: g.header,
      transforms: transformsFor(feed, g.field, g.header, columns[col]!, raw[col]!),
    };
  });
  const missing: string[] = [];
  const warnings: string[] = [];
  const hint = `${o.fileName ?? ''} ${h.header.join(' ')}`;
  for (const f of FEEDS[feed].fields) {
    if (!f.required || fields[f.name]) continue;
    if (f.name === 'channel') {
      const c =
        feed === 'complaints'
          ? /12345|热线|工单|来电/.test(hint)
            ? 'hotline_12345'
            : 'other'
          : 'other';
      fields['channel'] = { const: c, note: 'no channel column: every row gets this constant' };
      warnings.push(`no column for channel: the constant '${c}' is proposed`);
    } else if (f.name === 'as_of') {
      const day = o.today ?? new Date().toISOString().slice(0, 10);
      fields['as_of'] = { const: day, note: 'the day the extract was taken: check it' };
      warnings.push(
        `no column for as_of: the extract's date is proposed as ${day}; set it to the day the extract was taken`,
      );
    } else {
      missing.push(f.name);
      fields[f.name] = {
        column: `?${f.name}`,
        note: `required: name the source column of ${f.name}`,
      };
    }
  }
  if (missing.length)
    warnings.push(
      `no column found for the required field(s) ${missing.join(', ')}: edit the mapping`,
    );
  const mapping: Mapping = {
    name: `${o.fileName ?? 'file'} (inferred)`,
    feed,
    source: {
      format: peek.format,
      ...(peek.encoding === 'gbk' ? { encoding: 'gbk' as const } : {}),
      ...(peek.sheet !== undefined ? { sheet: peek.sheet } : {}),
      ...(h.headerRow !== 1 ? { header_row: h.headerRow } : {}),
      ...(h.headerRows !== 1 ? { header_rows: h.headerRows } : {}),
    },
    fields,
    unmapped: 'extra',
  };
  return { feed, mapping, columns: guesses, missing, warnings };
}
