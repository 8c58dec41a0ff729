/**
 * A streaming RFC 4180 CSV splitter that never lets one broken line stop the rest of a file.
 *
 * - Quoted fields may contain commas, doubled quotes and line breaks.
 * - A quote inside an unquoted field is taken literally (as Excel writes it).
 * - A quoted field left open for more than MAX_OPEN_LINES lines (or to the end of the input) is a
 *   broken line: its first physical line is reported as such and parsing resumes on the next line.
 */

export interface CsvRecord {
  /** 1-based physical line where the record starts. */
  line: number;
  /** The record's text as it appeared, without its line break. */
  raw: string;
  fields: string[];
}

export interface CsvBroken {
  line: number;
  raw: string;
  problem: string;
}

export const MAX_OPEN_LINES = 100;

type Parsed =
  | { kind: 'record'; fields: string[]; end: number; next: number; lines: number; loose: boolean }
  | { kind: 'incomplete' }
  | { kind: 'broken' };

const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;

function parseAt(s: string, pos: number, final: boolean): Parsed {
  const fields: string[] = [];
  let p = pos;
  let lines = 1;
  let loose = false; // text between a closing quote and the delimiter (not RFC 4180)
  const n = s.length;
  for (;;) {
    if (p < n && s.charCodeAt(p) === QUOTE) {
      // quoted field
      let value = '';
      let q = p + 1;
      for (;;) {
        const close = s.indexOf('"', q);
        if (close === -1) {
          if (lines > MAX_OPEN_LINES || final) return { kind: 'broken' };
          // count lines seen so far in the open quote to bound the wait
          for (let i = q; i < n; i++) if (s.charCodeAt(i) === LF) lines++;
          return lines > MAX_OPEN_LINES ? { kind: 'broken' } : { kind: 'incomplete' };
        }
        for (let i = q; i < close; i++) if (s.charCodeAt(i) === LF) lines++;
        if (lines > MAX_OPEN_LINES) return { kind: 'broken' };
        value += s.slice(q, close);
        if (close + 1 < n && s.charCodeAt(close + 1) === QUOTE) {
          value += '"';
          q = close + 2;
          continue;
        }
        if (close + 1 >= n && !final) return { kind: 'incomplete' };
        p = close + 1;
        break;
      }
      // text after the closing quote up to the delimiter is kept literally
      let tailEnd = p;
      while (tailEnd < n) {
        const c = s.charCodeAt(tailEnd);
        if (c === COMMA || c === LF) break;
        tailEnd++;
      }
      if (tailEnd >= n && !final) return { kind: 'incomplete' };
      let tail = s.slice(p, tailEnd);
      if (tail.endsWith('\r')) tail = tail.slice(0, -1);
      if (tail.length > 0) loose = true;
      fields.push(value + tail);
      p = tailEnd;
    } else {
      let e = p;
      while (e < n) {
        const c = s.charCodeAt(e);
        if (c === COMMA || c === LF) break;
        e++;
      }
      if (e >= n && !final) return { kind: 'incomplete' };
      let value = s.slice(p, e);
      if (
        value.length > 0 &&
        value.charCodeAt(value.length - 1) === CR &&
        (e >= n || s.charCodeAt(e) === LF)
      ) {
        value = value.slice(0, -1);
      }
      fields.push(value);
      p = e;
    }
    if (p >= n) {
      let end = n;
      if (end > pos && s.charCodeAt(end - 1) === CR) end--;
      return { kind: 'record', fields, end, next: n, lines, loose };
    }
    if (s.charCodeAt(p) === COMMA) {
      p++;
      if (p >= n && !final) return { kind: 'incomplete' };
      if (p >= n) {
        fields.push('');
        return { kind: 'record', fields, end: n, next: n, lines, loose };
      }
      continue;
    }
    // LF: end of record
    let end = p;
    if (end > pos && s.charCodeAt(end - 1) === CR) end--;
    return { kind: 'record', fields, end, next: p + 1, lines, loose };
  }
}

/** Splits text fed in chunks into CSV records. */
export class CsvSplitter {
  #buf = '';
  #line = 1;
  /** Field count of the header, once known; used to tell a multi-line cell from a broken quote. */
  expectedFields = 0;
  readonly #onRecord: (r: CsvRecord) => void;
  readonly #onBroken: (b: CsvBroken) => void;

  constructor(onRecord: (r: CsvRecord) => void, onBroken: (b: CsvBroken) => void) {
    this.#onRecord = onRecord;
    this.#onBroken = onBroken;
  }

  push(chunk: string): void {
    this.#buf = this.#buf.length ? this.#buf + chunk : chunk;
    this.#drain(false);
  }

  end(): void {
    this.#drain(true);
    this.#buf = '';
  }

  #drain(final: boolean): void {
    const s = this.#buf;
    let pos = 0;
    while (pos < s.length) {
      // skip blank lines
      const c = s.charCodeAt(pos);
      if (c === LF) {
        pos++;
        this.#line++;
        continue;
      }
      if (c === CR && pos + 1 < s.length && s.charCodeAt(pos + 1) === LF) {
        pos += 2;
        this.#line++;
        continue;
      }
      const r = parseAt(s, pos, final);
      if (r.kind === 'incomplete') break;
      // A record spanning lines with the wrong number of fields is an unbalanced quote, not a
      // multi-line cell: only its first line is broken, the lines after it are records of their own.
      const misjoined =
        r.kind === 'record' &&
        r.lines > 1 &&
        (r.loose || (this.expectedFields > 0 && r.fields.length !== this.expectedFields));
      if (r.kind === 'broken' || misjoined) {
        let nl = s.indexOf('\n', pos);
        if (nl === -1) nl = s.length;
        let raw = s.slice(pos, nl);
        if (raw.endsWith('\r')) raw = raw.slice(0, -1);
        this.#onBroken({
          line: this.#line,
          raw,
          problem: 'broken line: a quoted field is not closed on this line',
        });
        pos = nl + 1;
        this.#line++;
        continue;
      }
      this.#onRecord({ line: this.#line, raw: s.slice(pos, r.end), fields: r.fields });
      this.#line += r.lines;
      pos = r.next;
    }
    this.#buf = pos >= s.length ? '' : s.slice(pos);
  }
}
