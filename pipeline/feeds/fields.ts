/**
 * Field validators of the feed contract (../shared/FEEDS.md). Each turns a raw value (a CSV cell
 * string, or any JSON value) into the stored value, or throws a FieldProblem whose message a person
 * can act on ("amount_cny -500: must not be negative").
 */
import { normaliseUscc, usccProblem } from './uscc.ts';

export class FieldProblem extends Error {}

export type Stored = string | number | null;

export interface FieldSpec {
  name: string;
  required: boolean;
  /** SQL type of the column the value lands in. */
  sqlType: 'VARCHAR' | 'DATE' | 'TIMESTAMPTZ' | 'DOUBLE' | 'JSON';
  parse(value: unknown): Stored;
}

/** Values shown in messages are cut so that a reason stays one readable line. */
export function show(value: unknown): string {
  const s = typeof value === 'string' ? value : JSON.stringify(value);
  const cut = s.length > 40 ? `${s.slice(0, 40)}…` : s;
  // a cut may split a surrogate pair; reasons must stay valid text
  return (cut as unknown as Es2024String).toWellFormed();
}

// ES2024 string methods, present in Node 20 but not in our ES2023 lib typings.
type Es2024String = { isWellFormed(): boolean; toWellFormed(): string };

function asText(name: string, value: unknown): string {
  if (typeof value === 'string') {
    const u = value as unknown as Es2024String;
    if (!u.isWellFormed()) {
      throw new FieldProblem(
        `${name} ${show(u.toWellFormed())}: has a broken character (an unpaired UTF-16 surrogate)`,
      );
    }
    return value;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new FieldProblem(`${name} ${show(value)}: must be text`);
}

export function text(name: string, required = false): FieldSpec {
  return { name, required, sqlType: 'VARCHAR', parse: (v) => asText(name, v) };
}

/** An identifier: text with surrounding white space removed. */
export function id(name: string, required = false): FieldSpec {
  return {
    name,
    required,
    sqlType: 'VARCHAR',
    parse: (v) => {
      const s = asText(name, v).trim();
      if (s === '') throw new FieldProblem(`${name}: must not be blank`);
      return s;
    },
  };
}

export function uscc(name: string, required = false): FieldSpec {
  return {
    name,
    required,
    sqlType: 'VARCHAR',
    parse: (v) => {
      const u = normaliseUscc(asText(name, v));
      const problem = usccProblem(u);
      if (problem) throw new FieldProblem(problem.replace(/^uscc /, `${name} `));
      return u;
    },
  };
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function validYmd(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  if (d > DAYS_IN_MONTH[m - 1]!) return false;
  if (m === 2 && d === 29) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return y >= 1900 && y <= 2200;
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function parseDate(name: string, v: unknown): string {
  const s = asText(name, v).trim();
  const m = DATE_RE.exec(s);
  if (!m || !validYmd(Number(m[1]), Number(m[2]), Number(m[3]))) {
    throw new FieldProblem(`${name} ${show(s)}: not a date (YYYY-MM-DD)`);
  }
  return s;
}

export function date(name: string, required = false): FieldSpec {
  return { name, required, sqlType: 'DATE', parse: (v) => parseDate(name, v) };
}

const TS_RE =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/;

export interface Instant {
  /** ISO 8601 with an explicit offset (the input's own, or +08:00 when it had none). */
  iso: string;
  /** Asia/Shanghai calendar day, YYYY-MM-DD */
  day: string;
}

/** Civil date of a day count since 1970-01-01 (H. Hinnant's days_from_civil, inverted). */
export function civilFromDays(days: number): string {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return `${y}-${m < 10 ? '0' : ''}${m}-${d < 10 ? '0' : ''}${d}`;
}

/** ISO 8601 timestamp; without an offset it means Asia/Shanghai (China has no DST since 1991). */
export function parseTimestamp(name: string, v: unknown): Instant {
  const s = asText(name, v).trim();
  const m = TS_RE.exec(s);
  if (!m) throw new FieldProblem(`${name} ${show(s)}: not an ISO 8601 timestamp`);
  const y = +m[1]!;
  const mo = +m[2]!;
  const d = +m[3]!;
  const h = +m[4]!;
  const mi = +m[5]!;
  const sec = m[6] === undefined ? 0 : +m[6];
  if (!validYmd(y, mo, d) || h > 23 || mi > 59 || sec > 59) {
    throw new FieldProblem(`${name} ${show(s)}: not a valid date and time`);
  }
  const tz = m[8];
  if (tz === undefined)
    return { iso: `${s.replace(' ', 'T')}+08:00`, day: `${m[1]}-${m[2]}-${m[3]}` };
  let offsetMin = 0;
  if (tz !== 'Z') {
    const digits = tz.length === 6 ? tz.slice(1, 3) + tz.slice(4) : tz.slice(1);
    const oh = +digits.slice(0, 2);
    const om = +digits.slice(2, 4);
    if (oh > 14 || om > 59)
      throw new FieldProblem(`${name} ${show(s)}: offset ${tz} is out of range`);
    offsetMin = (tz[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const iso = s.replace(' ', 'T');
  if (offsetMin === 480) return { iso, day: `${m[1]}-${m[2]}-${m[3]}` };
  const shanghaiMinutes = Date.UTC(y, mo - 1, d, h, mi) / 60000 - offsetMin + 480;
  return { iso, day: civilFromDays(Math.floor(shanghaiMinutes / 1440)) };
}

export function nonNegative(name: string, required = false): FieldSpec {
  return {
    name,
    required,
    sqlType: 'DOUBLE',
    parse: (v) => {
      let n: number;
      if (typeof v === 'number') n = v;
      else if (typeof v === 'string' && v.trim() !== '') n = Number(v.trim().replace(/,/g, ''));
      else throw new FieldProblem(`${name} ${show(v)}: not a number`);
      if (!Number.isFinite(n)) throw new FieldProblem(`${name} ${show(v)}: not a number`);
      if (n < 0) throw new FieldProblem(`${name} ${show(v)}: must not be negative`);
      return n;
    },
  };
}

export function oneOf(name: string, values: readonly string[], required = false): FieldSpec {
  const allowed = new Set(values);
  return {
    name,
    required,
    sqlType: 'VARCHAR',
    parse: (v) => {
      const s = asText(name, v).trim();
      if (!allowed.has(s)) {
        throw new FieldProblem(`${name} ${show(s)}: not one of ${values.join(', ')}`);
      }
      return s;
    },
  };
}

export function pattern(name: string, re: RegExp, what: string, required = false): FieldSpec {
  return {
    name,
    required,
    sqlType: 'VARCHAR',
    parse: (v) => {
      const s = asText(name, v).trim().toUpperCase();
      if (!re.test(s)) throw new FieldProblem(`${name} ${show(s)}: ${what}`);
      return s;
    },
  };
}

const SHAREHOLDER_KINDS = new Set(['person', 'company']);

/** `shareholders`: an array of {name, kind, uscc?, share_pct?}; in CSV a JSON text. */
export function shareholders(name: string): FieldSpec {
  return {
    name,
    required: false,
    sqlType: 'JSON',
    parse: (v) => {
      let list: unknown = v;
      if (typeof v === 'string') {
        try {
          list = JSON.parse(v);
        } catch {
          throw new FieldProblem(`${name} ${show(v)}: not a JSON array`);
        }
      }
      if (!Array.isArray(list)) throw new FieldProblem(`${name} ${show(v)}: not an array`);
      const out = list.map((item: unknown, i) => {
        if (typeof item !== 'object' || item === null || Array.isArray(item)) {
          throw new FieldProblem(`${name}[${i}]: not an object`);
        }
        const o = item as Record<string, unknown>;
        if (typeof o['name'] !== 'string' || o['name'].trim() === '') {
          throw new FieldProblem(`${name}[${i}].name: required`);
        }
        if (typeof o['kind'] !== 'string' || !SHAREHOLDER_KINDS.has(o['kind'])) {
          throw new FieldProblem(
            `${name}[${i}].kind ${show(o['kind'])}: not one of person, company`,
          );
        }
        const entry: Record<string, unknown> = { name: o['name'].trim(), kind: o['kind'] };
        if (o['uscc'] !== undefined && o['uscc'] !== null && o['uscc'] !== '') {
          if (typeof o['uscc'] !== 'string')
            throw new FieldProblem(`${name}[${i}].uscc: must be text`);
          const u = normaliseUscc(o['uscc']);
          const problem = usccProblem(u);
          if (problem) throw new FieldProblem(`${name}[${i}]: ${problem}`);
          entry['uscc'] = u;
        }
        if (o['share_pct'] !== undefined && o['share_pct'] !== null) {
          const p = o['share_pct'];
          if (typeof p !== 'number' || !(p >= 0 && p <= 100)) {
            throw new FieldProblem(
              `${name}[${i}].share_pct ${show(p)}: must be a number in 0..100`,
            );
          }
          entry['share_pct'] = p;
        }
        return entry;
      });
      return JSON.stringify(out);
    },
  };
}
