/** Small text formats shared by the command line and exports. */

export const LEVEL_ZH: Record<string, string> = { red: '红', orange: '橙', yellow: '黄' };

/** One RFC 4180 CSV line. */
export function csvLine(cells: readonly (string | number | null | undefined)[]): string {
  return cells
    .map((c) => {
      if (c === null || c === undefined) return '';
      const s = String(c);
      return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
    })
    .join(',');
}
