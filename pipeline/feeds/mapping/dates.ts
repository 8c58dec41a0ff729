/**
 * Dates and times as offices export them: `2024-03-05`, `2024/3/5 14:03`, `2024年3月5日`,
 * `20240305`, Excel serial numbers (`45356`, `45356.5854`), each described by a small pattern
 * language: yyyy, yy, M, MM, d, dd, H, HH, m, mm, s, ss; any other character is literal and a space
 * matches any run of white space (or none). `excel_serial` and `iso` are named formats.
 */
import { civilFromDays } from '../fields.ts';

export class DateProblem extends Error {}

export interface LocalDateTime {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
  /** An offset written in the value itself (`+08:00`, `Z`), kept as written. */
  offset?: string;
}

/** Formats tried in order when a mapping names none (year first: Chinese exports never put the day first). */
export const DEFAULT_DATE_FORMATS = [
  'iso',
  'yyyy-M-d',
  'yyyy/M/d',
  'yyyy.M.d',
  'yyyy年M月d日',
  'yyyyMMdd',
  'excel_serial',
] as const;

export const DEFAULT_DATETIME_FORMATS = [
  'iso',
  'yyyy-M-d H:mm:ss',
  'yyyy-M-d H:mm',
  'yyyy/M/d H:mm:ss',
  'yyyy/M/d H:mm',
  'yyyy.M.d H:mm:ss',
  'yyyy.M.d H:mm',
  'yyyy年M月d日 H:mm:ss',
  'yyyy年M月d日 H:mm',
  'yyyy年M月d日 H时mm分ss秒',
  'yyyy年M月d日 H时mm分',
  'yyyy年M月d日H时',
  'yyyyMMddHHmmss',
  ...DEFAULT_DATE_FORMATS.filter((f) => f !== 'iso'),
] as const;

type Parser = (s: string) => LocalDateTime | undefined;

const TOKENS: [string, string, keyof LocalDateTime | 'yy'][] = [
  ['yyyy', '(\\d{4})', 'y'],
  ['yy', '(\\d{2})', 'yy'],
  ['MM', '(\\d{2})', 'mo'],
  ['M', '(\\d{1,2})', 'mo'],
  ['dd', '(\\d{2})', 'd'],
  ['d', '(\\d{1,2})', 'd'],
  ['HH', '(\\d{2})', 'h'],
  ['H', '(\\d{1,2})', 'h'],
  ['mm', '(\\d{2})', 'mi'],
  ['m', '(\\d{1,2})', 'mi'],
  ['ss', '(\\d{2})', 's'],
  ['s', '(\\d{1,2})', 's'],
];

const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** Day 0 of Excel's 1900 date system is 1899-12-30 (serial 60 is Excel's fictitious 1900-02-29). */
const EXCEL_EPOCH_DAYS = -25569;
const EXCEL_MAX = 2958465; // 9999-12-31

export function fromExcelSerial(serial: number): LocalDateTime | undefined {
  // serials before 1901 are almost always plain numbers, not dates
  if (!Number.isFinite(serial) || serial < 367 || serial > EXCEL_MAX) return undefined;
  let days = Math.floor(serial);
  let secs = Math.round((serial - days) * 86400);
  if (secs >= 86400) {
    days++;
    secs -= 86400;
  }
  const [y, mo, d] = civilFromDays(days + EXCEL_EPOCH_DAYS)
    .split('-')
    .map(Number) as [number, number, number];
  return {
    y,
    mo,
    d,
    h: Math.floor(secs / 3600),
    mi: Math.floor((secs % 3600) / 60),
    s: secs % 60,
  };
}

function compile(format: string): Parser {
  if (format === 'iso') {
    return (s) => {
      const m = ISO_RE.exec(s);
      if (!m) return undefined;
      return {
        y: +m[1]!,
        mo: +m[2]!,
        d: +m[3]!,
        h: m[4] === undefined ? 0 : +m[4],
        mi: m[5] === undefined ? 0 : +m[5],
        s: m[6] === undefined ? 0 : +m[6],
        ...(m[7] === undefined ? {} : { offset: m[7] }),
      };
    };
  }
  if (format === 'excel_serial') {
    return (s) => (/^\d+(\.\d+)?$/.test(s) ? fromExcelSerial(Number(s)) : undefined);
  }
  let re = '';
  const slots: (keyof LocalDateTime | 'yy')[] = [];
  for (let i = 0; i < format.length;) {
    const tok = TOKENS.find(([t]) => format.startsWith(t, i));
    if (tok) {
      re += tok[1];
      slots.push(tok[2]);
      i += tok[0].length;
      continue;
    }
    const ch = format[i]!;
    re += ch === ' ' ? '\\s*' : ch.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
    i++;
  }
  if (slots.length === 0) throw new DateProblem(`date format '${format}' has no date fields`);
  const rx = new RegExp(`^${re}$`);
  return (s) => {
    const m = rx.exec(s);
    if (!m) return undefined;
    const out: LocalDateTime = { y: 0, mo: 1, d: 1, h: 0, mi: 0, s: 0 };
    slots.forEach((slot, k) => {
      const n = Number(m[k + 1]);
      if (slot === 'yy') out.y = 2000 + n;
      else if (slot !== 'offset') out[slot] = n;
    });
    return out;
  };
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function validDateTime(t: LocalDateTime): boolean {
  if (t.y < 1900 || t.y > 2200 || t.mo < 1 || t.mo > 12 || t.d < 1) return false;
  if (t.d > DAYS_IN_MONTH[t.mo - 1]!) return false;
  if (t.mo === 2 && t.d === 29 && !((t.y % 4 === 0 && t.y % 100 !== 0) || t.y % 400 === 0))
    return false;
  return t.h <= 23 && t.mi <= 59 && t.s <= 59;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

export function isoDate(t: LocalDateTime): string {
  return `${pad(t.y, 4)}-${pad(t.mo)}-${pad(t.d)}`;
}

export function isoDateTime(t: LocalDateTime, offset: string): string {
  return `${isoDate(t)}T${pad(t.h)}:${pad(t.mi)}:${pad(t.s)}${t.offset ?? offset}`;
}

const cache = new Map<string, Parser>();

/** A parser trying `formats` in order; the first that matches a valid date wins. */
export function dateParser(formats: readonly string[]): (s: string) => LocalDateTime | undefined {
  const parsers = formats.map((f) => {
    let p = cache.get(f);
    if (!p) cache.set(f, (p = compile(f)));
    return p;
  });
  return (s) => {
    for (const p of parsers) {
      const t = p(s);
      if (t && validDateTime(t)) return t;
    }
    return undefined;
  };
}

/** Checks that a format is usable (mapping validation). */
export function checkFormat(format: string): string | undefined {
  try {
    compile(format);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
