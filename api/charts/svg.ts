/**
 * SVG primitives shared by every chart: escaping, rounding, elements, axis maxima and ticks, the
 * palette and a colour key. Plain strings, no library, no DOM, no I/O (the notebooks import this
 * under Deno as well as the dashboard under Node).
 */

/** Series colours of the analysis charts, in order. */
export const PALETTE = ['#c0392b', '#2c7fb8', '#7f8c8d', '#e67e22', '#27ae60', '#8e44ad'];

/** Fonts of a standalone chart: DejaVu for Latin, WenQuanYi / Noto CJK for Chinese (Debian packages). */
const CHART_FONT = "'DejaVu Sans', 'WenQuanYi Micro Hei', 'Noto Sans CJK SC', sans-serif";

/** Text or an attribute value made safe for SVG / HTML. */
export const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** One decimal: enough for a pixel, and keeps the SVG short. */
export const r1 = (v: number) => Math.round(v * 10) / 10;

export type Attrs = Record<string, string | number | null | undefined>;

/** `<tag a="v" …>children</tag>`, or `<tag …/>` without children; null / undefined attributes are left out. */
export function el(tag: string, attrs: Attrs, ...children: string[]): string {
  let a = '';
  for (const [k, v] of Object.entries(attrs))
    if (v !== null && v !== undefined) a += ` ${k}="${esc(String(v))}"`;
  return children.length ? `<${tag}${a}>${children.join('')}</${tag}>` : `<${tag}${a}/>`;
}

/** A standalone SVG document (white background, its own fonts): what the notebooks rasterise. */
export function svgDoc(width: number, height: number, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${CHART_FONT}" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    ...body,
    '</svg>',
  ].join('\n');
}

export interface TextOptions {
  anchor?: string;
  size?: number;
  weight?: string;
  fill?: string;
  rotate?: boolean;
}

export function text(x: number, y: number, s: string, o: TextOptions = {}): string {
  return el(
    'text',
    {
      x: r1(x),
      y: r1(y),
      'text-anchor': o.anchor,
      'font-size': o.size,
      'font-weight': o.weight,
      fill: o.fill ?? '#222',
      transform: o.rotate ? `rotate(-90 ${r1(x)} ${r1(y)})` : undefined,
    },
    esc(s),
  );
}

export const rect = (x: number, y: number, w: number, h: number, fill: string, opacity = 1) =>
  el('rect', {
    x: r1(x),
    y: r1(y),
    width: r1(Math.max(0, w)),
    height: r1(Math.max(0, h)),
    fill,
    'fill-opacity': opacity < 1 ? opacity : undefined,
  });

export const line = (
  x1: number,
  y1: number,
  x2: number,
  y2: number,
  stroke = '#999',
  width = 1,
  dash = '',
) =>
  el('line', {
    x1: r1(x1),
    y1: r1(y1),
    x2: r1(x2),
    y2: r1(y2),
    stroke,
    'stroke-width': width,
    'stroke-dasharray': dash || undefined,
  });

/** Approximate width in px at 11 px: CJK glyphs are about twice as wide as Latin ones. */
export function textWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += /[\u3000-\u9fff\uff00-\uffef]/.test(ch) ? 11 : 6.6;
  return w;
}

/** Colour keys left to right, wrapping at `maxWidth`; returns the SVG and the rows used. */
export function legend(
  x: number,
  y: number,
  labels: readonly string[],
  maxWidth = 1e9,
): { svg: string[]; rows: number } {
  const out: string[] = [];
  let cx = x;
  let cy = y;
  let rows = labels.length ? 1 : 0;
  labels.forEach((l, i) => {
    const w = 24 + textWidth(l);
    if (cx > x && cx + w > maxWidth) {
      cx = x;
      cy += 16;
      rows++;
    }
    out.push(rect(cx, cy - 9, 10, 10, PALETTE[i % PALETTE.length]!), text(cx + 14, cy, l));
    cx += w;
  });
  return { svg: out, rows };
}

/** A tidy upper bound for an axis: 1, 2, 5 × 10^k. */
export function niceMax(x: number): number {
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 5, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

/** A count axis maximum whose quarters are whole numbers when counts are small (4, 8, …, 20). */
export function countMax(x: number): number {
  if (!(x > 0)) return 4;
  return x <= 20 ? Math.ceil(x / 4) * 4 : niceMax(x);
}

/** Count-axis ticks as fractions of the axis maximum: only those that land on whole numbers. */
export function countTicks(max: number): number[] {
  return [0, 0.25, 0.5, 0.75, 1].filter((g) => Number.isInteger(Math.round(max * g * 1000) / 1000));
}

/** "Nice" tick values covering [0, max]. */
export function ticks(max: number, n = 4): number[] {
  if (!(max > 0)) return [0];
  const raw = max / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = 0; v <= max + step * 1e-9; v += step) out.push(Number(v.toFixed(10)));
  return out;
}

/** A tick label: 1.5k above a thousand, else three significant digits. */
export const fmtTick = (v: number) =>
  Math.abs(v) >= 1000 ? `${(v / 1000).toFixed(v % 1000 ? 1 : 0)}k` : `${Number(v.toPrecision(3))}`;
