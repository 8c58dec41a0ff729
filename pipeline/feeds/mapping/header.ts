/**
 * Header rows → column names. A header may span several rows (`来电信息` over `来电时间` and
 * `来电号码`); merged cells are spread over the range they cover and the levels of a column are
 * joined with "/" (`来电信息/来电时间`). CSV has no merges: there an empty cell of an upper header
 * row takes the value on its left, which is how a merged cell comes out of Excel's "save as CSV".
 */
import { toHalfWidth } from '../../features/normalize-text.ts';
import type { MergeRange } from '../xlsx.ts';

/** Compares headers: half-width, no white space (Excel headers often wrap: `涉及金额\n（万元）`). */
export function headerKey(s: string): string {
  return toHalfWidth(s)
    .replace(/[\s\u00a0\ufeff]+/g, '')
    .toLowerCase();
}

/** A header cell as shown: white space inside removed, trimmed. */
export function headerText(s: string | null | undefined): string {
  return (s ?? '').replace(/[\s\u3000\u00a0\ufeff]+/g, '');
}

export function columnLetters(n: number): string {
  let s = '';
  for (let x = n; x > 0; x = Math.floor((x - 1) / 26))
    s = String.fromCharCode(65 + ((x - 1) % 26)) + s;
  return s;
}

/**
 * Column names from `rows` (the header rows, top first; cells by 0-based column). `merges` are
 * 1-based sheet coordinates; `firstRow` is the sheet row of rows[0]. An unnamed column is called
 * `列F` (its letter); a name seen twice gets `#2`.
 */
export function combineHeader(
  rows: readonly (readonly (string | null)[])[],
  options: { merges?: readonly MergeRange[]; firstRow?: number; fillLeft?: boolean } = {},
): string[] {
  const width = Math.max(0, ...rows.map((r) => r.length));
  const grid = rows.map((r) => Array.from({ length: width }, (_, c) => headerText(r[c])));
  const first = options.firstRow ?? 1;
  const last = first + rows.length - 1;
  for (const m of options.merges ?? []) {
    if (m.bottom < first || m.top > last) continue;
    const value = m.top >= first ? (grid[m.top - first]?.[m.left - 1] ?? '') : '';
    if (value === '') continue;
    for (let r = Math.max(m.top, first); r <= Math.min(m.bottom, last); r++)
      for (let c = m.left; c <= Math.min(m.right, width); c++) grid[r - first]![c - 1] = value;
  }
  if (options.fillLeft && rows.length > 1) {
    for (let r = 0; r < grid.length - 1; r++)
      for (let c = 1; c < width; c++)
        if (grid[r]![c] === '' && grid[r + 1]![c] !== '') grid[r]![c] = grid[r]![c - 1]!;
  }
  const names: string[] = [];
  const seen = new Map<string, number>();
  for (let c = 0; c < width; c++) {
    const parts: string[] = [];
    for (const row of grid) {
      const v = row[c]!;
      if (v !== '' && parts[parts.length - 1] !== v) parts.push(v);
    }
    let name = parts.length ? parts.join('/') : `列${columnLetters(c + 1)}`;
    const k = headerKey(name);
    const n = (seen.get(k) ?? 0) + 1;
    seen.set(k, n);
    if (n > 1) name = `${name}#${n}`;
    names.push(name);
  }
  return names;
}
