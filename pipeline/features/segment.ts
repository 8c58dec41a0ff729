/**
 * Chinese word segmentation for the text model and for term features.
 *
 * jieba (`@node-rs/jieba`, native) with its default dictionary plus a DOMAIN dictionary built
 * from the red-flag lexicon and a few finance words, so 保本保息, 年化收益率, 每万元 stay whole.
 * Loaded lazily, once per process, through `createRequire` so that a missing or broken native
 * binary does not fail the import: then `Intl.Segmenter('zh', { granularity: 'word' })` is used
 * (ICU's dictionary, no domain words; noticeably worse on finance terms — `engine` says which).
 *
 * `tokens()` = normalise (normalize-text.ts) → cut → drop whitespace and punctuation → mask
 * numbers: any token made of digits / decimal points / the corpus mask 'x' (≥ 2 chars or with a
 * digit) becomes NUM_TOKEN, so 13800138000, 12.5, xxxx all read the same.
 */
import { createRequire } from 'node:module';
import { lexiconTerms } from './lexicon.ts';
import { normalizeText } from './normalize-text.ts';

export type SegmenterEngine = 'jieba' | 'intl';

export interface Segmenter {
  readonly engine: SegmenterEngine;
  /** Raw words of `text` (no normalisation, punctuation kept). */
  cut(text: string): string[];
}

export interface SegmenterOptions {
  /** Force an engine; default: jieba, falling back to Intl.Segmenter. */
  readonly engine?: SegmenterEngine;
  /** Extra words for the jieba dictionary. */
  readonly extraWords?: readonly string[];
}

export const NUM_TOKEN = '<num>';

/** Finance words not in the red-flag lexicon that should still stay whole. */
export const DOMAIN_WORDS: readonly string[] = [
  '年化收益率',
  '预期年化',
  '年化利率',
  '月利率',
  '日利率',
  '年利率',
  '月收益',
  '日收益',
  '周收益',
  '季度收益',
  '每万元',
  '万元',
  '非法集资',
  '集资诈骗',
  '投资人',
  '投资者',
  '理财师',
  '理财经理',
  '本金',
  '利息',
  '收益率',
  '回报率',
  '兑付',
  '提现',
  '返现',
  '返息',
  '付息',
  '起投',
  '期限',
  '到期',
  '赎回',
  '认购',
  '融资',
  '担保',
  '贷款',
  '借款',
  '网贷',
  '私募',
  '基金',
  '股权',
  '原始股',
  '区块链',
  '数字货币',
  '虚拟币',
  '养老',
  '会员',
  '下线',
  '推荐人',
  '分红',
];

interface JiebaLike {
  cut(sentence: string, hmm?: boolean | null): string[];
  loadDict(dict: Uint8Array): void;
}
interface JiebaModule {
  Jieba: { withDict(dict: Uint8Array): JiebaLike };
}
interface JiebaDictModule {
  dict: Uint8Array;
}

function loadJieba(extraWords: readonly string[]): JiebaLike {
  const require = createRequire(import.meta.url);
  const { Jieba } = require('@node-rs/jieba') as JiebaModule;
  const { dict } = require('@node-rs/jieba/dict.js') as JiebaDictModule;
  const jieba = Jieba.withDict(dict);
  const words = new Set<string>();
  for (const w of [...lexiconTerms(), ...DOMAIN_WORDS, ...extraWords]) {
    const n = normalizeText(w).text; // segmentation runs on normalised text
    if (n.length >= 2 && !/\s/.test(n)) words.add(n);
  }
  // A high frequency makes jieba prefer the whole word over its parts.
  const lines = [...words].map((w) => `${w} 200000 n`).join('\n');
  jieba.loadDict(Buffer.from(`${lines}\n`, 'utf8'));
  return jieba;
}

/** Creates a segmenter (jieba with the domain dictionary, or Intl.Segmenter). */
export function createSegmenter(options: SegmenterOptions = {}): Segmenter {
  if (options.engine !== 'intl') {
    try {
      const jieba = loadJieba(options.extraWords ?? []);
      return { engine: 'jieba', cut: (text) => (text === '' ? [] : jieba.cut(text, true)) };
    } catch (err) {
      if (options.engine === 'jieba') {
        throw new Error('[segment] @node-rs/jieba failed to load', { cause: err });
      }
    }
  }
  const intl = new Intl.Segmenter('zh', { granularity: 'word' });
  return {
    engine: 'intl',
    cut: (text) => Array.from(intl.segment(text), (s) => s.segment),
  };
}

let shared: Segmenter | undefined;

/** The process-wide segmenter, created on first use. */
export function getSegmenter(): Segmenter {
  shared ??= createSegmenter();
  return shared;
}

const DROP = /^[\s\p{P}\p{S}]+$/u;
const KEEP_SYMBOLS = new Set(['%', '‰', '‱']);
const NUMBERISH = /^[\dx.]+$/;
const NUM_PERCENT = /^([\dx.]+)([%‰‱])$/;

/** Digits, decimal points and the corpus mask x: 12.5, xxxx, 1x3 (a lone x is a letter). */
function isNumberish(w: string): boolean {
  return NUMBERISH.test(w) && (/\d/.test(w) || w.length >= 2) && w !== '.';
}

/** Maps raw words to model tokens: drops punctuation/space, masks numbers. */
export function toTokens(words: readonly string[]): string[] {
  const out: string[] = [];
  for (const raw of words) {
    const w = raw.trim();
    if (w === '') continue;
    if (KEEP_SYMBOLS.has(w)) {
      out.push(w);
      continue;
    }
    if (DROP.test(w)) continue;
    const pct = NUM_PERCENT.exec(w);
    if (pct && isNumberish(pct[1]!)) {
      out.push(NUM_TOKEN, pct[2]!);
      continue;
    }
    if (isNumberish(w)) {
      out.push(NUM_TOKEN);
      continue;
    }
    out.push(w);
  }
  return out;
}

/** Normalised tokens of `text`: normalise → segment → drop punctuation → mask numbers. */
export function tokens(text: string, segmenter: Segmenter = getSegmenter()): string[] {
  return toTokens(segmenter.cut(normalizeText(text).text));
}
