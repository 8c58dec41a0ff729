/**
 * Rich outputs for the Deno Jupyter kernel: tables as HTML (+ plain text), charts as PNG
 * (+ a one-line text alternative). Any object with a `Symbol.for('Jupyter.display')` method is
 * rendered by the kernel when it is a cell's last expression; `show()` displays several per cell.
 * Outside Jupyter (plain `deno run` / `node --import tsx`) `show()` prints the text alternative.
 */
import { Resvg } from '@resvg/resvg-js';

export type MimeBundle = Record<string, string>;
const DISPLAY = Symbol.for('Jupyter.display');

export interface Displayable {
  [DISPLAY](): MimeBundle;
}

export function displayable(bundle: MimeBundle): Displayable {
  return { [DISPLAY]: () => bundle };
}

interface DenoJupyter {
  display(obj: unknown, options?: { raw?: boolean }): Promise<void>;
}

function jupyter(): DenoJupyter | undefined {
  const deno = (globalThis as { Deno?: { jupyter?: DenoJupyter } }).Deno;
  return deno?.jupyter;
}

/** Displays each item as its own output (Jupyter), or prints its text form (elsewhere). */
export async function show(...items: (Displayable | string)[]): Promise<void> {
  for (const item of items) {
    const bundle = typeof item === 'string' ? { 'text/plain': item } : item[DISPLAY]();
    const j = jupyter();
    if (j) await j.display(bundle, { raw: true });
    else console.log(bundle['text/plain'] ?? '');
  }
}

/**
 * An SVG chart as a PNG output. PNG, not SVG: GitHub's notebook viewer inlines SVG outputs and
 * often breaks them, while PNG always shows.
 */
export function chart(svg: string, alt: string, scale = 1.5): Displayable {
  const png = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
  })
    .render()
    .asPng();
  return displayable({
    'image/png': Buffer.from(png).toString('base64'),
    'text/plain': `[chart] ${alt}`,
  });
}

export type Cell = string | number | boolean | null | undefined;

export interface TableOptions {
  /** Digits after the point for non-integer numbers (default 3). */
  digits?: number;
  caption?: string;
  /** Show at most this many rows (default 30). */
  limit?: number;
}

function formatCell(v: Cell, digits: number): string {
  if (v === null || v === undefined) return '–';
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return '–';
    if (Number.isInteger(v) || Math.abs(v) >= 1000) return Math.round(v).toLocaleString('en-US');
    return v.toFixed(digits);
  }
  return String(v);
}

const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A table of row objects (columns from the first row) as HTML and aligned plain text. */
export function table(rows: readonly Record<string, Cell>[], o: TableOptions = {}): Displayable {
  const digits = o.digits ?? 3;
  const limit = o.limit ?? 30;
  const cols = rows.length ? Object.keys(rows[0]!) : [];
  const shown = rows.slice(0, limit);
  const cells = shown.map((r) => cols.map((c) => formatCell(r[c], digits)));
  const numeric = cols.map((c) => shown.every((r) => typeof r[c] === 'number' || r[c] == null));
  const more = rows.length > limit ? `… ${rows.length - limit} more rows` : '';
  const html = [
    '<table>',
    o.caption ? `<caption>${escapeHtml(o.caption)}</caption>` : '',
    `<thead><tr>${cols.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr></thead>`,
    '<tbody>',
    ...cells.map(
      (r) =>
        `<tr>${r.map((v, j) => `<td${numeric[j] ? ' style="text-align:right"' : ''}>${escapeHtml(v)}</td>`).join('')}</tr>`,
    ),
    '</tbody></table>',
    more ? `<p>${more}</p>` : '',
  ].join('');
  const widths = cols.map((c, j) => Math.max(c.length, ...cells.map((r) => r[j]!.length)));
  const line = (vals: string[]) =>
    vals.map((v, j) => (numeric[j] ? v.padStart(widths[j]!) : v.padEnd(widths[j]!))).join('  ');
  const text = [
    ...(o.caption ? [o.caption] : []),
    line(cols),
    ...cells.map(line),
    ...(more ? [more] : []),
  ].join('\n');
  return displayable({ 'text/html': html, 'text/plain': text });
}

/** Markdown text as an output (headings, emphasis and lists render on GitHub too). */
export function markdown(md: string): Displayable {
  return displayable({ 'text/markdown': md, 'text/plain': md });
}
