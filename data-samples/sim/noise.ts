/** Surface noise applied to generated text: full-width forms, evasive spellings, symbols. */
import type { Rng } from './rng.ts';
import { MISSPELL } from './lexicon.ts';

/** Half-width ASCII to full-width (Ａ１％), for a share of characters. */
export function fullWidth(s: string, share = 1, rng?: Rng): string {
  let out = '';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (c > 0x20 && c < 0x7f && (share >= 1 || (rng !== undefined && rng.chance(share)))) {
      out += String.fromCharCode(c + 0xfee0);
    } else out += ch;
  }
  return out;
}

/** One character swapped for a homophone, when one is known. */
const MISSPELLABLE = new RegExp(`[${Object.keys(MISSPELL).join('')}]`, 'g');

export function misspell(s: string, rng: Rng): string {
  const positions: number[] = [];
  MISSPELLABLE.lastIndex = 0;
  for (let m = MISSPELLABLE.exec(s); m !== null; m = MISSPELLABLE.exec(s)) positions.push(m.index);
  if (positions.length === 0) return s;
  const i = rng.pick(positions);
  return s.slice(0, i) + MISSPELL[s[i]!]! + s.slice(i + 1);
}

const EVASIONS: readonly (readonly [string, readonly string[]])[] = [
  ['微信', ['VX', 'vx', '薇信', '威信', 'V信', '微❤', 'wx']],
  ['理财', ['理cai', '理財', 'LC', '理 财']],
  ['收益', ['收yi', '收 益', '受益']],
  ['投资', ['投 资', 'tz', '投姿']],
  ['返利', ['返 利', 'fanli', '反利']],
  ['利息', ['利 息', 'lixi', '利希']],
  ['保本', ['保 本', '保夲', 'bao本']],
  ['加我', ['+我', '➕我', '加wo']],
  ['集资', ['集 资', '籍资']],
  ['提现', ['提 现', 'tixian', '体现']],
];

const DECOR = [
  '🔥',
  '💰',
  '👉',
  '✅',
  '★',
  '☆',
  '❗',
  '🎁',
  '📣',
  '💯',
  '【热】',
  '~',
  '！！',
  '🧧',
  '👍',
];

export interface NoiseLevel {
  /** Chance of each noise kind. */
  fullWidth: number;
  evasion: number;
  decor: number;
  typo: number;
}

export function applyNoise(s: string, rng: Rng, level: NoiseLevel): string {
  let out = s;
  if (rng.chance(level.evasion)) {
    for (const [word, subs] of EVASIONS) {
      if (out.includes(word) && rng.chance(0.6)) out = out.replace(word, rng.pick(subs));
    }
  }
  if (rng.chance(level.typo)) out = misspell(out, rng);
  if (rng.chance(level.fullWidth)) out = fullWidth(out, rng.real(0.3, 1), rng);
  if (rng.chance(level.decor)) {
    // Decorations go at clause boundaries (never inside a word or a surrogate pair).
    const parts = out.split(/(?<=[，。！,!：:])/);
    const n = rng.range(1, 3);
    for (let i = 0; i < n; i++) {
      const at = rng.int(parts.length + 1);
      parts.splice(at, 0, rng.pick(DECOR));
    }
    out = parts.join('');
  }
  return out;
}

/** Chinese numerals for small integers (1–99), as written in some ads (月息两分, 百分之十八). */
export function chineseNumber(n: number, two = '二'): string {
  const digits = ['零', '一', two, '三', '四', '五', '六', '七', '八', '九'];
  if (n < 10) return digits[n]!;
  const tens = Math.floor(n / 10);
  const ones = n % 10;
  return (
    (tens === 1 ? '' : digits[tens]!.replace('两', '二')) + '十' + (ones === 0 ? '' : digits[ones]!)
  );
}
