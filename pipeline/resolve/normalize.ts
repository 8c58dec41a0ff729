/**
 * Name, phone, website and address normalisation for entity resolution, as DuckDB macros so that
 * millions of records are normalised inside the database (no row crosses into JavaScript).
 *
 *   rz_clean(s)  full-width → half-width (ＡＢＣ１（） → abc1()), lower case, every space,
 *                punctuation and symbol (emoji, ★, ~) removed. Used for exact registered names.
 *   rz_core(s)   the distinctive core of an enterprise name: bracketed parts removed
 *                ((珠海), （有限合伙）), rz_clean, then region prefixes (广东省, 珠海市, 横琴新区, district
 *                names learned from the register: 香洲区 …) and company-form suffixes (有限公司,
 *                有限责任公司, 股份有限公司, 合伙企业, 分公司, 集团, 公司 …) stripped repeatedly.
 *                珠海市鑫盛财富管理有限公司 → 鑫盛财富管理. Falls back to rz_clean when less than two
 *                characters would remain.
 *   rz_phone(s)  digits only, a leading 86 country code dropped (0756-1234567 → 07561234567)
 *   rz_host(s)   the host of a URL or domain, lower case, without www./m./wap.
 *   rz_addr(s)   an address without 广东省/珠海市, cleaned like rz_clean
 */
import { createHash } from 'node:crypto';
import type { Db } from '../db/index.ts';

/** Region prefixes stripped from names; district names seen in the register are added at run time. */
export const REGION_PREFIXES: readonly string[] = [
  '广东省',
  '广东',
  '珠海市',
  '珠海',
  '横琴粤澳深度合作区',
  '横琴新区',
  '横琴',
  '香洲区',
  '金湾区',
  '斗门区',
  '高新区',
];

/** Company-form suffixes (and the words complainants put after a name) stripped from names. */
export const FORM_SUFFIXES: readonly string[] = [
  '股份有限公司',
  '有限责任公司',
  '有限公司',
  '合伙企业',
  '有限合伙',
  '中心支公司',
  '分公司',
  '支公司',
  '集团',
  '那家店',
  '的公司',
  '公司',
];

const FULL_WIDTH = Array.from({ length: 94 }, (_, i) => String.fromCharCode(0xff01 + i)).join('');
const HALF_WIDTH = Array.from({ length: 94 }, (_, i) => String.fromCharCode(0x21 + i)).join('');

function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

function alternation(words: readonly string[]): string {
  // longest first, so that 珠海市 wins over 珠海; the words are plain CJK (no regex metacharacters)
  return [...new Set(words)]
    .filter((w) => w !== '' && !/[\\^$.|?*+()[\]{}]/.test(w))
    .sort((a, b) => b.length - a.length || (a < b ? -1 : 1))
    .join('|');
}

export interface NormalizeConfig {
  regions: readonly string[];
  suffixes: readonly string[];
}

/** Region prefixes in force: the built-in ones plus every district (ending in 区/县) the register names. */
export async function loadNormalizeConfig(db: Db): Promise<NormalizeConfig> {
  const rows = await db.all<{ d: string }>(
    `SELECT DISTINCT trim(district) AS d FROM registrations
      WHERE district IS NOT NULL AND length(trim(district)) BETWEEN 3 AND 12
        AND regexp_matches(trim(district), '^[\\p{Han}]+(区|县|市)$')
      ORDER BY d`,
  );
  return { regions: [...REGION_PREFIXES, ...rows.map((r) => r.d)], suffixes: FORM_SUFFIXES };
}

/** A hash of the rules: when it changes, earlier links were made with other rules (full re-run). */
export function configHash(c: NormalizeConfig): string {
  return createHash('sha256')
    .update(JSON.stringify({ v: 1, r: alternation(c.regions), s: alternation(c.suffixes) }))
    .digest('hex')
    .slice(0, 16);
}

/** CREATE TEMP MACRO statements for the connection. */
export function macroSql(c: NormalizeConfig): string[] {
  const regions = alternation(c.regions);
  const suffixes = alternation(c.suffixes);
  return [
    // translate() is the slow part: only strings with full-width letters, digits or URL/phone
    // punctuation need it (full-width CJK punctuation ，！：（） is handled by the patterns below)
    `CREATE OR REPLACE TEMP MACRO rz_fw(s) AS
       CASE WHEN regexp_matches(s, '[０-９Ａ-Ｚａ-ｚ＠．－／\\x{3000}]')
            THEN translate(s, ${sqlString(FULL_WIDTH + '\u3000')}, ${sqlString(HALF_WIDTH + ' ')}) ELSE s END`,
    `CREATE OR REPLACE TEMP MACRO rz_clean(s) AS regexp_replace(lower(rz_fw(s)), '[\\s\\p{P}\\p{S}]+', '', 'g')`,
    `CREATE OR REPLACE TEMP MACRO rz_debracket(s) AS
       regexp_replace(s, '[(（\\[【〔［][^)）\\]】〕］]*[)）\\]】〕］]', '', 'g')`,
    `CREATE OR REPLACE TEMP MACRO rz_core0(s) AS
       regexp_replace(regexp_replace(rz_clean(rz_debracket(s)), '^(?:${regions})+', ''), '(?:${suffixes})+$', '')`,
    `CREATE OR REPLACE TEMP MACRO rz_core(s) AS
       CASE WHEN length(rz_core0(s)) >= 2 THEN rz_core0(s) ELSE rz_clean(s) END`,
    `CREATE OR REPLACE TEMP MACRO rz_phone(s) AS
       regexp_replace(regexp_replace(rz_fw(s), '[^0-9]', '', 'g'), '^86(1[0-9]{10})$', '\\1')`,
    `CREATE OR REPLACE TEMP MACRO rz_host(s) AS
       regexp_replace(regexp_extract(lower(trim(rz_fw(s))), '^(?:[a-z][a-z0-9+.-]*://)?([^/?#:\\s]+)', 1),
                      '^(?:www|m|wap)\\.', '')`,
    `CREATE OR REPLACE TEMP MACRO rz_addr(s) AS
       rz_clean(regexp_replace(rz_fw(s), '^\\s*(?:广东省)?(?:珠海市)?', ''))`,
  ];
}

export async function installMacros(db: Db, c: NormalizeConfig): Promise<void> {
  for (const sql of macroSql(c)) await db.run(sql);
}
