/**
 * Names of platforms, products and companies that a post or complaint is about, found in its text
 * without a register to look them up in: the candidates an investigator (or entity resolution)
 * starts from when the text names no registered enterprise.
 *
 * Three generic cues, no list of known names:
 *  1. marked names: 【鑫盛财富】, “趣步”, 「xx」, 《xx》, 『xx』;
 *  2. a name before a word that says what it is — 公司, 集团, 平台, 交易所, 理财, 金服, 资本, 国际,
 *     商城, 钱包, app, 币, 链, 盘 … — read backwards from that word up to a punctuation mark or a
 *     function word (在趣步app上 → 趣步, 趣步app); both the bare name and the name with its word;
 *  3. Latin-script brand words (PlusToken, MMM, iforex), less common English and web words.
 *
 * bench/real-text.ts measures how many of the platform names labelled in real posts (CCF BDCI
 * 2019) these candidates recover, and how many candidates there are per text.
 */
import { toHalfWidth } from './normalize-text.ts';

/** Words that say what the name before them is (longest first when they overlap). */
const KIND_WORDS = [
  '股份有限公司',
  '有限责任公司',
  '有限公司',
  '拆分盘',
  '资金盘',
  '交易所',
  '交易平台',
  '理财平台',
  '投资平台',
  '公司',
  '集团',
  '平台',
  '理财',
  '金服',
  '金融',
  '财富',
  '资本',
  '投资',
  '控股',
  '国际',
  '科技',
  '商城',
  '钱包',
  '基金',
  '证券',
  '期货',
  '外汇',
  '中心',
  '联盟',
  '社区',
  '生态',
  '项目',
  '网',
  '贷',
  '宝',
  '币',
  '链',
  '盘',
  'app',
];

/** Characters that end a name when reading backwards (function words and verbs around names). */
const STOP_CHARS = new Set(
  '的是在和与了个这那该其对把被从向到为给让由及或等将已也都就还又很最所而且并但如若如果因为关于通过加入注册下载使用登录参与推出打造上线旗下名叫叫做称作号称自称一家一个某些这些那些哪个什么是否可靠合法吗呢吧啊么'.split(
    '',
  ),
);
const MAX_NAME = 8;

const GENERIC = new Set(
  [
    '网贷',
    '互联网',
    '这家',
    '该公司',
    '公司',
    '平台',
    '理财',
    '投资',
    '金融',
    '科技',
    '国际',
    '资本',
    '集团',
    '项目',
    '中心',
    '正规',
    '合法',
    '非法',
    '大型',
    '知名',
    '全球',
    '中国',
    '国内',
    '境外',
    '海外',
    '官方',
    '第三方',
    '传销',
    '资金',
    '虚拟',
    '数字',
    '区块',
    '网络',
    '理财产品',
    '投资理财',
    '交易',
  ].map((s) => s.toLowerCase()),
);

const COMMON_LATIN = new Set([
  'http',
  'https',
  'www',
  'com',
  'cn',
  'net',
  'org',
  'html',
  'app',
  'apps',
  'ios',
  'android',
  'pc',
  'vip',
  'qq',
  'id',
  'pdf',
  'ceo',
  'cto',
  'ipo',
  'usdt',
  'btc',
  'eth',
  'the',
  'and',
  'for',
  'you',
  'ok',
  'pos',
  'gdp',
  'cpi',
  'rmb',
  'usd',
  'cny',
  'p2p',
  'b2b',
  'b2c',
  'o2o',
  'ico',
  'wifi',
  'gps',
  'api',
  'jpg',
  'png',
]);

const MARKED = /[【“「《『"]([^【】“”「」《》『』"\n，。！？；：,.!?;:]{2,20})[】”」》』"]/g;
const LATIN = /[A-Za-z][A-Za-z0-9.\-+]{1,24}/g;
const PUNCT = /[\s，。！？；：、,.!?;:（）()【】“”"'‘’「」《》『』…—\-~·/\\|]/;

function isNameChar(c: string): boolean {
  return /[\u4e00-\u9fffA-Za-z0-9]/.test(c) && !STOP_CHARS.has(c);
}

/** Candidate names in `text`, each once, in order of first appearance. */
export function extractPlatformNames(text: string): string[] {
  const s = toHalfWidth(text);
  const lower = s.toLowerCase();
  const out = new Map<string, string>();
  const acceptable = (n: string) =>
    [...n].length >= 2 && !GENERIC.has(n.toLowerCase()) && !/^\d+$/.test(n);
  const add = (name: string) => {
    const n = name.trim();
    const k = n.toLowerCase();
    if (acceptable(n) && !out.has(k)) out.set(k, n);
  };
  for (const m of s.matchAll(MARKED)) add(m[1]!);
  // a kind word inside a longer one (公司 in 有限公司) is the longer one's business
  const ends = new Set<number>();
  for (const word of KIND_WORDS) {
    for (let at = lower.indexOf(word); at >= 0; at = lower.indexOf(word, at + word.length)) {
      if (ends.has(at + word.length)) continue;
      ends.add(at + word.length);
      let start = at;
      while (
        start > 0 &&
        isNameChar(s[start - 1]!) &&
        (at - start < MAX_NAME || (/[A-Za-z0-9]/.test(s[start - 1]!) && at - start < 24))
      )
        start--;
      if (start === at) continue;
      // a Latin word is one token: do not cut it in the middle
      if (/[A-Za-z0-9]/.test(s[start] ?? '') && start > 0 && /[A-Za-z0-9]/.test(s[start - 1]!))
        continue;
      const name = s.slice(start, at);
      if (PUNCT.test(name) || !acceptable(name.trim())) continue;
      add(name);
      add(s.slice(start, at + word.length));
    }
  }
  for (const m of s.matchAll(LATIN)) {
    const w = m[0].replace(/[.\-+]+$/, '');
    if (w.length >= 3 && !COMMON_LATIN.has(w.toLowerCase()) && !/^(www|http)/i.test(w)) add(w);
  }
  return [...out.values()];
}
