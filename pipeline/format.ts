/** Small text formats shared by the command line and exports. */

export const LEVEL_ZH: Record<string, string> = { red: '红', orange: '橙', yellow: '黄' };

/**
 * Spreadsheet formula injection (OWASP "CSV Injection"): a text cell starting with = + - @, a tab
 * or a carriage return would run as a formula when Excel or WPS opens the file. Such cells get a
 * leading apostrophe, which spreadsheets show as text (ASVS 5.0 V1.2.10 adds NUL; so do we).
 * Numbers are left alone.
 */
export const FORMULA_START = /^[=+\-@\t\r\0]/;

export function neutraliseCell(s: string): string {
  return FORMULA_START.test(s) ? `'${s}` : s;
}

/** The same in DuckDB SQL, for a VARCHAR expression (exports written by COPY). */
export function neutraliseSql(expr: string): string {
  return `CASE WHEN regexp_matches(${expr}, '^[=+@\\t\\r\\x00-]') THEN '''' || ${expr} ELSE ${expr} END`;
}

/** One RFC 4180 CSV line (text cells neutralised against formula injection). */
export function csvLine(cells: readonly (string | number | null | undefined)[]): string {
  return cells
    .map((c) => {
      if (c === null || c === undefined) return '';
      const s = typeof c === 'string' ? neutraliseCell(c) : String(c);
      return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
    })
    .join(',');
}
