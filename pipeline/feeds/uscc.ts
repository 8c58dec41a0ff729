/**
 * 统一社会信用代码 (Unified Social Credit Code), GB 32100-2015.
 *
 * 18 characters from a 31-character alphabet (digits and upper-case letters except I, O, Z, S, V):
 * registration authority (1), entity type (1), administrative division (6 digits),
 * organisation code (9), check character (1). The check character is
 * C18 = 31 − (Σ Ci·Wi mod 31), with 31 written as 0.
 */

export const USCC_ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28] as const;
const VALUE = new Map([...USCC_ALPHABET].map((c, i) => [c, i]));

/** The check character for the first 17 characters, or undefined if they are not valid. */
export function usccCheckChar(first17: string): string | undefined {
  if (first17.length !== 17) return undefined;
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const v = VALUE.get(first17[i]!);
    if (v === undefined) return undefined;
    sum += v * WEIGHTS[i]!;
  }
  return USCC_ALPHABET[(31 - (sum % 31)) % 31];
}

/** Upper-cases and trims; full-width letters and digits become half-width. */
export function normaliseUscc(raw: string): string {
  return raw
    .trim()
    .replace(/[\uFF01-\uFF5E]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .toUpperCase();
}

/**
 * Validates a USCC. Returns null when valid, otherwise a reason a person can act on,
 * e.g. "uscc 91440400MA4UXXXX3X: check digit should be 7".
 */
export function usccProblem(uscc: string): string | null {
  if (uscc.length !== 18) return `uscc ${uscc}: must be 18 characters, got ${uscc.length}`;
  for (let i = 0; i < 18; i++) {
    const c = uscc[i]!;
    if (!VALUE.has(c)) {
      return `uscc ${uscc}: character '${c}' at position ${i + 1} is not allowed (I, O, Z, S, V and symbols never occur)`;
    }
  }
  const expected = usccCheckChar(uscc.slice(0, 17))!;
  if (uscc[17] !== expected) return `uscc ${uscc}: check digit should be ${expected}`;
  return null;
}

export function isValidUscc(uscc: string): boolean {
  return usccProblem(uscc) === null;
}

/** Builds a valid USCC from its first 17 characters. Throws if they use characters outside the alphabet. */
export function withUsccCheckChar(first17: string): string {
  const c = usccCheckChar(first17);
  if (c === undefined) throw new Error(`cannot build a USCC from '${first17}'`);
  return first17 + c;
}
