/**
 * Amounts in Chinese units. A value may carry its own unit (`500万元`, `1.2亿`, `300万人民币`);
 * otherwise the mapping says which unit the column is in (`注册资本（万元）`).
 */
export const UNIT_FACTORS: Readonly<Record<string, number>> = {
  元: 1,
  千元: 1e3,
  万元: 1e4,
  百万元: 1e6,
  千万元: 1e7,
  亿元: 1e8,
};

/** Units as written in values, longest first, with the unit they mean. */
const WRITTEN: readonly [string, string][] = [
  ['百万元', '百万元'],
  ['千万元', '千万元'],
  ['千元', '千元'],
  ['万元', '万元'],
  ['亿元', '亿元'],
  ['百万', '百万元'],
  ['千万', '千万元'],
  ['万', '万元'],
  ['亿', '亿元'],
  ['元', '元'],
];

const CURRENCY_WORDS = /(人民币|RMB|CNY|¥|￥)/gi;
const FOREIGN = /(美元|美金|USD|US\$|港元|港币|HKD|欧元|EUR|日元|JPY|英镑|GBP)/i;

export class AmountProblem extends Error {}

/** Parses `1,234.5`, `500万元`, `¥1.2亿` (already half-width); returns the amount in `unit`. */
export function parseAmount(s: string, defaultUnit: string, unit: string): number {
  if (FOREIGN.test(s)) {
    throw new AmountProblem('is in a foreign currency (convert it to CNY first)');
  }
  let t = s.replace(CURRENCY_WORDS, '').replace(/[\s,]/g, '');
  let from = defaultUnit;
  for (const [written, meaning] of WRITTEN) {
    if (t.endsWith(written)) {
      from = meaning;
      t = t.slice(0, -written.length);
      break;
    }
  }
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(t))
    throw new AmountProblem('not an amount');
  const n = (Number(t) * UNIT_FACTORS[from]!) / UNIT_FACTORS[unit]!;
  if (!Number.isFinite(n)) throw new AmountProblem('not an amount');
  return roundAmount(n);
}

/** Removes float noise (0.1 万元 → 1000 元, not 1000.0000000000001). */
export function roundAmount(n: number): number {
  return Number(n.toPrecision(12));
}
