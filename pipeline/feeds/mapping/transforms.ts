/**
 * The transforms of a mapping file, each compiled once into a function from the source text
 * (null = empty cell) to the text handed to the feed's validator. A value that cannot be
 * transformed throws a TransformProblem; the caller names the source column.
 */
import { toHalfWidth } from '../../features/normalize-text.ts';
import {
  dateParser,
  DEFAULT_DATE_FORMATS,
  DEFAULT_DATETIME_FORMATS,
  isoDate,
  isoDateTime,
} from './dates.ts';
import type { Transform } from './schema.ts';
import { AmountProblem, parseAmount } from './units.ts';

export class TransformProblem extends Error {}

export type Step = (v: string | null) => string | null;

/** Trims ASCII and Unicode white space (U+3000, NBSP, BOM). */
export function trimAll(s: string): string {
  return s.replace(/^[\s\u3000\u00a0\ufeff]+|[\s\u3000\u00a0\ufeff]+$/g, '');
}

/** Text shown in a reason: quoted and cut to one readable line. */
export function shown(s: string): string {
  const one = s.replace(/\s+/g, ' ');
  return JSON.stringify(one.length > 40 ? `${one.slice(0, 40)}…` : one);
}

function fail(v: string, what: string): never {
  throw new TransformProblem(`${shown(v)}: ${what}`);
}

function normKey(s: string): string {
  return trimAll(toHalfWidth(s));
}

export function compileTransform(t: Transform): Step {
  if (typeof t === 'string') {
    switch (t) {
      case 'trim':
        return (v) => (v === null ? null : trimAll(v));
      case 'halfwidth':
        return (v) => (v === null ? null : toHalfWidth(v));
      case 'upper':
        return (v) => (v === null ? null : v.toUpperCase());
      case 'lower':
        return (v) => (v === null ? null : v.toLowerCase());
      case 'digits':
        return (v) => (v === null ? null : v.replace(/\D+/g, ''));
    }
  }
  if ('date' in t) {
    const formats = t.date.formats ?? DEFAULT_DATE_FORMATS;
    const parse = dateParser(formats);
    return (v) => {
      if (v === null) return null;
      const d = parse(normKey(v));
      if (!d) fail(v, `not a date in the format(s) ${formats.join(', ')}`);
      return isoDate(d);
    };
  }
  if ('datetime' in t) {
    const formats = t.datetime.formats ?? DEFAULT_DATETIME_FORMATS;
    const offset = t.datetime.offset ?? '+08:00';
    const parse = dateParser(formats);
    return (v) => {
      if (v === null) return null;
      const d = parse(normKey(v));
      if (!d) fail(v, `not a date and time in the format(s) ${formats.join(', ')}`);
      return isoDateTime(d, offset);
    };
  }
  if ('number' in t) {
    return (v) => {
      if (v === null) return null;
      try {
        return String(parseAmount(normKey(v), '元', '元'));
      } catch (err) {
        if (err instanceof AmountProblem) fail(v, 'not a number');
        throw err;
      }
    };
  }
  if ('unit' in t) {
    const { from, to } = t.unit;
    return (v) => {
      if (v === null) return null;
      try {
        return String(parseAmount(normKey(v), from, to));
      } catch (err) {
        if (err instanceof AmountProblem) fail(v, err.message);
        throw err;
      }
    };
  }
  if ('map' in t) {
    const table = new Map<string, string | null>();
    for (const [k, out] of Object.entries(t.map.values)) table.set(normKey(k), out);
    const otherwise = t.map.otherwise ?? 'reject';
    const dflt = t.map.default;
    const listed = Object.keys(t.map.values).slice(0, 8).join(', ');
    return (v) => {
      if (v === null) return null;
      const k = normKey(v);
      if (table.has(k)) return table.get(k)!;
      if (dflt !== undefined) return dflt;
      if (otherwise === 'keep') return v;
      if (otherwise === 'null') return null;
      fail(v, `not in the code list (${listed}${table.size > 8 ? ' …' : ''})`);
    };
  }
  if ('regex' in t) {
    const re = new RegExp(t.regex.pattern, `${t.regex.flags ?? ''}u`);
    // default: the first capturing group when the pattern has one, else the whole match
    const groups = new RegExp(`(?:${t.regex.pattern})|`, 'u').exec('')!.length - 1;
    const group = t.regex.group ?? (groups > 0 ? 1 : 0);
    const otherwise = t.regex.otherwise ?? 'null';
    return (v) => {
      if (v === null) return null;
      const m = re.exec(v);
      if (m && m[group] !== undefined) return m[group];
      if (otherwise === 'keep') return v;
      if (otherwise === 'reject') fail(v, `does not match /${t.regex.pattern}/`);
      return null;
    };
  }
  if ('replace' in t) {
    const re = new RegExp(t.replace.pattern, `g${t.replace.flags ?? ''}u`);
    return (v) => (v === null ? null : v.replace(re, t.replace.with));
  }
  if ('null_if' in t) {
    const blanks = new Set(t.null_if.map(normKey));
    return (v) => (v === null || blanks.has(normKey(v)) ? null : v);
  }
  if ('prefix' in t) {
    const p = t.prefix;
    return (v) => (v === null || v === '' ? v : p + v);
  }
  throw new Error(`unknown transform ${JSON.stringify(t)}`);
}

/** All steps in order; an empty result (after trimming) becomes null. */
export function compileTransforms(ts: readonly Transform[]): Step {
  const steps = ts.map(compileTransform);
  return (v) => {
    let x = v;
    for (const s of steps) x = s(x);
    return x === null || trimAll(x) === '' ? null : x;
  };
}
