/**
 * Text normalisation for red-flag and yield analysis, with an offset map back to the original.
 *
 * Every analysis in this folder runs on the normalised text, but the dashboard highlights the
 * ORIGINAL text, so `normalizeText()` records, for each UTF-16 code unit of the output, the span
 * `[start, end)` of the original string it came from. `toOriginal(start, end)` maps any span of the
 * normalised text back; spans of rewritten runs (e.g. 百分之二十 → 20%) widen to the whole run.
 *
 * Character level (1 → 1 or 1 → 0):
 *  - full-width ASCII U+FF01..FF5E → half-width (ＡＢＣ１２３％ → abc123%); U+3000 → space
 *  - ASCII letters lower-cased (lexicon terms are lower-case too: app, p2p, usdt)
 *  - dashes/tildes (－ — – ― ～ 〜 → - or ~), curly quotes → straight, 、→ ,  ·  ％ → %
 *  - whitespace runs → one space; leading/trailing whitespace is dropped. Spaces between CJK
 *    characters are kept (dropping them glues unrelated words: 统一 万一 → 一万一 = 11000); the
 *    lexicon matcher skips spaces inside terms instead (spaced-out "保 本 保 息").
 * Run level (n → m):
 *  - 百分之X / 千分之X / 万分之X with X in Chinese or Arabic numerals → X% / X‰ / X‱
 *  - Chinese numerals → Arabic digits when the run has a multiplier (十万 → 100000,
 *    一千零五十 → 1050, 一万 → 10000) or is followed by a unit (两分 → 2分, 三个月 → 3个月,
 *    一年 → 1年, 一点五倍 → 1.5倍). 十分 ("very") is left alone, so are bare 一 in 统一, 万一, 第一.
 *
 * Offsets are UTF-16 code-unit indices, the same as JavaScript string indices.
 */

export interface Span {
  readonly start: number;
  readonly end: number;
}

export interface NormalizedText {
  /** The original input. */
  readonly original: string;
  /** The normalised text that analyses run on. */
  readonly text: string;
  /** Maps a span `[start, end)` of `text` to the span of `original` it came from. */
  toOriginal(start: number, end: number): Span;
}

const CN_DIGIT: Readonly<Record<string, number>> = {
  零: 0,
  〇: 0,
  一: 1,
  二: 2,
  两: 2,
  三: 3,
  四: 4,
  五: 5,
  六: 6,
  七: 7,
  八: 8,
  九: 9,
};
const CN_SMALL_UNIT: Readonly<Record<string, number>> = { 十: 10, 百: 100, 千: 1000 };

/**
 * Parses a Chinese numeral (一千零五十, 两万, 十二, 一点五, 三五 as 35 digit-by-digit) or an Arabic
 * number; returns undefined when the string is not a number.
 */
export function parseChineseNumber(s: string): number | undefined {
  if (s === '') return undefined;
  if (/^\d+(?:\.\d+)?$/.test(s)) return Number(s);
  const dot = s.indexOf('点');
  if (dot >= 0) {
    const intPart = dot === 0 ? 0 : parseChineseNumber(s.slice(0, dot));
    const frac = s.slice(dot + 1);
    if (intPart === undefined || frac === '') return undefined;
    let digits = '';
    for (const c of frac) {
      const d = CN_DIGIT[c];
      if (d === undefined) return undefined;
      digits += String(d);
    }
    return Number(`${intPart}.${digits}`);
  }
  // Digit-by-digit form (二〇二六, 三五) when there is no unit character at all.
  if (![...s].some((c) => c in CN_SMALL_UNIT || c === '万' || c === '亿')) {
    let digits = '';
    for (const c of s) {
      const d = CN_DIGIT[c];
      if (d === undefined) return undefined;
      digits += String(d);
    }
    return Number(digits);
  }
  let total = 0; // completed big-unit sections
  let section = 0; // below 万
  let digit: number | undefined;
  for (const c of s) {
    const d = CN_DIGIT[c];
    if (d !== undefined) {
      digit = d;
      continue;
    }
    const small = CN_SMALL_UNIT[c];
    if (small !== undefined) {
      section += (digit ?? 1) * small; // 十二 = 12: an implicit 一 before 十
      digit = undefined;
      continue;
    }
    if (c === '万') {
      section += digit ?? 0;
      total += (section === 0 ? 1 : section) * 1e4; // 万 scales the current section only
      section = 0;
      digit = undefined;
      continue;
    }
    if (c === '亿') {
      const before = total + section + (digit ?? 0);
      total = (before === 0 ? 1 : before) * 1e8; // 亿 scales everything before it
      section = 0;
      digit = undefined;
      continue;
    }
    return undefined;
  }
  return total + section + (digit ?? 0);
}

function mapPunct(code: number): number {
  switch (code) {
    case 0x2014: // —
    case 0x2013: // –
    case 0x2015: // ―
    case 0x2212: // −
      return 45; // -
    case 0x301c: // 〜
      return 126; // ~
    case 0x201c:
    case 0x201d:
      return 34; // "
    case 0x2018:
    case 0x2019:
      return 39; // '
    case 0x3001: // 、
      return 44; // ,
    default:
      return code;
  }
}

function isSpace(code: number): boolean {
  return (
    code === 0x20 ||
    code === 0x3000 ||
    code === 0xa0 ||
    (code >= 0x09 && code <= 0x0d) ||
    (code >= 0x2000 && code <= 0x200b) ||
    code === 0xfeff
  );
}

const NUM_CHARS = '零〇一二两三四五六七八九十百千万亿';
const RATIO_RE = new RegExp(
  `(百|千|万)分之((?:[${NUM_CHARS}]+(?:点[零〇一二三四五六七八九]+)?)|\\d+(?:\\.\\d+)?)`,
  'y',
);
const RUN_RE = new RegExp(
  `[零〇一二两三四五六七八九十][${NUM_CHARS}]*(?:点[零〇一二三四五六七八九]+)?`,
  'y',
);
/** A Chinese numeral run is rewritten when followed by one of these. */
const UNIT_AFTER =
  /^(?:分|厘|毛|角|元|块|万|千|百|亿|年|个|月|天|日|倍|成|%|岁|周|期|次|折|星期|季|笔|人|份|位|名|层|代|级)/;

function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toFixed(6)));
}

/** Reused code-unit buffer for stage 1 (the decoded string is what is kept). */
let scratch = new Uint16Array(1024);

/** Normalises `input` and keeps an offset map back to it. Linear time. */
export function normalizeText(input: string): NormalizedText {
  // Stage 1: character-level mapping into typed buffers.
  const n = input.length;
  if (scratch.length < n) scratch = new Uint16Array(Math.max(n, 2 * scratch.length));
  const codes = scratch;
  const s1Start = new Int32Array(n);
  const s1End = new Int32Array(n);
  let m = 0;
  let i = 0;
  while (i < n) {
    let code = input.charCodeAt(i);
    if (isSpace(code)) {
      let j = i + 1;
      while (j < n && isSpace(input.charCodeAt(j))) j++;
      if (m > 0 && j < n) {
        codes[m] = 32;
        s1Start[m] = i;
        s1End[m] = j;
        m++;
      }
      i = j;
      continue;
    }
    if (code >= 0xff01 && code <= 0xff5e) code -= 0xfee0;
    if (code >= 65 && code <= 90) code += 32;
    else if (code > 0x2000) code = mapPunct(code);
    codes[m] = code;
    s1Start[m] = i;
    s1End[m] = i + 1;
    m++;
    i++;
  }
  const s1 = decode(codes, m);

  // Fast path: no Chinese numeral characters that could need rewriting.
  if (!HAS_CN_NUM.test(s1)) return makeResult(input, s1, s1Start, s1End);

  // Stage 2: find run-level rewrites of Chinese numerals; most texts have none.
  const rewrites: Rewrite[] = [];
  let p = 0;
  while (p < m) {
    const code = s1.charCodeAt(p);
    if (code === 0x767e || code === 0x5343 || code === 0x4e07) {
      // 百 千 万
      RATIO_RE.lastIndex = p;
      const r = RATIO_RE.exec(s1);
      if (r) {
        const v = parseChineseNumber(r[2]!);
        if (v !== undefined) {
          const sym = r[1] === '百' ? '%' : r[1] === '千' ? '‰' : '‱';
          rewrites.push({ from: p, to: p + r[0].length, text: formatNumber(v) + sym });
          p += r[0].length;
          continue;
        }
      }
    } else if (RUN_START_CODES.has(code)) {
      RUN_RE.lastIndex = p;
      const r = RUN_RE.exec(s1);
      if (r) {
        let run = r[0];
        // Leave the 百/千/万 that starts a following 分之 ratio to the ratio rule.
        let after = s1.slice(p + run.length, p + run.length + 4);
        if (after.startsWith('分之') && /[百千万]$/.test(run)) {
          run = run.slice(0, -1);
          after = s1.slice(p + run.length, p + run.length + 4);
        }
        const hasMultiplier = run.length >= 2 && /[十百千万亿]/.test(run);
        const unitFollows = UNIT_AFTER.test(after);
        const isVery = run === '十' && after.startsWith('分'); // 十分 = "very"
        const prev = p > 0 ? s1.charCodeAt(p - 1) : 0;
        const prevIsNumber = (prev >= 48 && prev <= 57) || prev === 46;
        if (run !== '' && !isVery && (hasMultiplier || unitFollows) && !prevIsNumber) {
          const v = parseChineseNumber(run);
          // 一分五 / 两分五厘 = 1.5分 / 2.5分 (a digit after 分 is its tenth).
          const fenTenth = FEN_TENTH_RE.exec(after);
          if (v !== undefined && fenTenth && Number.isInteger(v) && v < 10) {
            const len = run.length + fenTenth[0].length;
            rewrites.push({ from: p, to: p + len, text: `${v}.${CN_DIGIT[fenTenth[1]!]}分` });
            p += len;
            continue;
          }
          if (v !== undefined) {
            rewrites.push({ from: p, to: p + run.length, text: formatNumber(v) });
            p += run.length;
            continue;
          }
        }
        if (run.length > 1) {
          p += run.length;
          continue;
        }
      }
    }
    p++;
  }
  if (rewrites.length === 0) return makeResult(input, s1, s1Start, s1End);

  // Apply them: copy the untouched stretches, map each rewritten unit to its whole source run.
  let size = m;
  for (const r of rewrites) size += r.text.length - (r.to - r.from);
  const out = new Uint16Array(size);
  const oStart = new Int32Array(size);
  const oEnd = new Int32Array(size);
  let o = 0;
  let q = 0;
  for (const r of rewrites) {
    for (; q < r.from; q++, o++) {
      out[o] = s1.charCodeAt(q);
      oStart[o] = s1Start[q]!;
      oEnd[o] = s1End[q]!;
    }
    const a = s1Start[r.from]!;
    const b = s1End[r.to - 1]!;
    for (let k = 0; k < r.text.length; k++, o++) {
      out[o] = r.text.charCodeAt(k);
      oStart[o] = a;
      oEnd[o] = b;
    }
    q = r.to;
  }
  for (; q < m; q++, o++) {
    out[o] = s1.charCodeAt(q);
    oStart[o] = s1Start[q]!;
    oEnd[o] = s1End[q]!;
  }
  return makeResult(input, decode(out, o), oStart, oEnd);
}

interface Rewrite {
  readonly from: number;
  readonly to: number;
  readonly text: string;
}

const FEN_TENTH_RE = /^分([一二三四五六七八九])厘?(?![十百千万分之钟])/;
const HAS_CN_NUM = /[零〇一二两三四五六七八九十百千万亿]/;
const RUN_START_CODES = new Set([...'零〇一二两三四五六七八九十'].map((c) => c.charCodeAt(0)));

const UTF16 = new TextDecoder('utf-16le');

function decode(codes: Uint16Array, length: number): string {
  if (length < 64) {
    let s = '';
    for (let k = 0; k < length; k++) s += String.fromCharCode(codes[k]!);
    return s;
  }
  return UTF16.decode(codes.subarray(0, length));
}

function makeResult(
  original: string,
  text: string,
  starts: Int32Array,
  ends: Int32Array,
): NormalizedText {
  const len = text.length;
  return {
    original,
    text,
    toOriginal(start: number, end: number): Span {
      if (end <= start || len === 0) {
        const at = start >= len ? original.length : (starts[Math.max(0, start)] ?? original.length);
        return { start: at, end: at };
      }
      const a = starts[Math.max(0, start)] ?? 0;
      const b = ends[Math.min(end, len) - 1] ?? original.length;
      return { start: a, end: b };
    },
  };
}

/** Full-width ASCII → half-width only; same length, so offsets are unchanged. */
export function toHalfWidth(s: string): string {
  return s
    .replace(/[\uFF01-\uFF5E]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/\u3000/g, ' ');
}
