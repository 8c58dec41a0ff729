/**
 * Analysis charts as standalone SVG documents: small-multiple histograms, horizontal bars,
 * grouped bars, line charts (ROC curves). The notebooks rasterise them to PNG
 * (`notebooks/lib/display.ts` `chart()`).
 */
import { fmtTick, legend, line, PALETTE, r1, rect, svgDoc, text, textWidth, ticks } from './svg.ts';

/** A chart's title and colour key, `width` wide, and the top of the plot area below them. */
function header(title: string, labels: string[], width: number): { body: string[]; top: number } {
  const key = legend(10, 42, labels, width - 10);
  return {
    body: [text(10, 20, title, { size: 14, weight: 'bold' }), ...key.svg],
    top: 40 + key.rows * 16,
  };
}

export interface HistogramGroup {
  label: string;
  values: ArrayLike<number>;
}

export interface HistogramPanel {
  title: string;
  groups: HistogramGroup[];
}

export interface HistogramsOptions {
  title: string;
  panels: HistogramPanel[];
  columns?: number;
  bins?: number;
}

/**
 * Small multiples: per panel, the share of each group's rows per bin (so groups of very different
 * sizes compare). Bins are equal-width on log(1 + x) when the values are non-negative and span
 * more than two orders of magnitude, else linear. Missing values (NaN) are counted apart.
 */
export function histograms(o: HistogramsOptions): string {
  const cols = o.columns ?? 3;
  const nb = o.bins ?? 12;
  const pw = 250;
  const ph = 150;
  const rows = Math.ceil(o.panels.length / cols);
  const width = cols * pw + 20;
  const height = 52 + rows * ph + 10;
  const labels = o.panels[0]?.groups.map((g) => g.label) ?? [];
  const body: string[] = [
    text(10, 20, o.title, { size: 14, weight: 'bold' }),
    ...legend(10, 40, labels).svg,
  ];
  o.panels.forEach((p, k) => {
    const ox = 10 + (k % cols) * pw;
    const oy = 52 + Math.floor(k / cols) * ph;
    const all: number[] = [];
    for (const g of p.groups)
      for (let i = 0; i < g.values.length; i++)
        if (!Number.isNaN(g.values[i]!)) all.push(g.values[i]!);
    let lo = Math.min(...all);
    let hi = Math.max(...all);
    if (!Number.isFinite(lo)) lo = hi = 0;
    const log = lo >= 0 && hi > 100 * Math.max(1e-9, lo === 0 ? 1 : lo) && hi > 20;
    const tf = (v: number) => (log ? Math.log1p(v) : v);
    const tlo = tf(lo);
    const thi = tf(hi) > tlo ? tf(hi) : tlo + 1;
    const shares = p.groups.map((g) => {
      const counts = new Array<number>(nb).fill(0);
      let n = 0;
      for (let i = 0; i < g.values.length; i++) {
        const v = g.values[i]!;
        if (Number.isNaN(v)) continue;
        const b = Math.min(nb - 1, Math.floor(((tf(v) - tlo) / (thi - tlo)) * nb));
        counts[b]!++;
        n++;
      }
      return counts.map((c) => (n ? c / n : 0));
    });
    const ymax = Math.max(0.01, ...shares.flat());
    const px = ox + 28;
    const py = oy + 18;
    const w = pw - 44;
    const h = ph - 52;
    body.push(text(ox + pw / 2 - 10, oy + 10, p.title, { anchor: 'middle', weight: 'bold' }));
    body.push(line(px, py + h, px + w, py + h, '#666'));
    for (const t of ticks(ymax, 2)) {
      const y = py + h - (t / ymax) * h;
      body.push(
        line(px - 3, y, px + w, y, '#eee'),
        text(px - 5, y + 3, `${Math.round(t * 100)}%`, { anchor: 'end', size: 9 }),
      );
    }
    const bw = w / nb;
    const gw = (bw - 2) / p.groups.length;
    shares.forEach((s, gi) =>
      s.forEach((v, b) =>
        body.push(
          rect(
            px + b * bw + 1 + gi * gw,
            py + h - (v / ymax) * h,
            gw,
            (v / ymax) * h,
            PALETTE[gi % PALETTE.length]!,
            0.85,
          ),
        ),
      ),
    );
    const inv = (t: number) => (log ? Math.expm1(t) : t);
    body.push(
      text(px, py + h + 13, fmtTick(Number(inv(tlo).toPrecision(2))), { size: 9 }),
      text(px + w, py + h + 13, fmtTick(Number(inv(thi).toPrecision(2))), {
        anchor: 'end',
        size: 9,
      }),
    );
    if (log)
      body.push(
        text(px + w / 2, py + h + 13, 'log scale', { anchor: 'middle', size: 9, fill: '#888' }),
      );
  });
  return svgDoc(width, height, body);
}

export interface BarItem {
  label: string;
  value: number;
}

/** Horizontal bars, largest first as given. `reference` draws a dashed vertical line (e.g. AUC 0.5). */
export function barsH(o: {
  title: string;
  items: BarItem[];
  format?: (v: number) => string;
  reference?: number;
  min?: number;
  max?: number;
}): string {
  const fmt = o.format ?? ((v: number) => v.toFixed(3));
  const labelW = Math.min(440, 20 + Math.max(...o.items.map((i) => textWidth(i.label))));
  const width = labelW + 360;
  const bh = 18;
  const height = 40 + o.items.length * bh + 24;
  const lo = o.min ?? Math.min(0, ...o.items.map((i) => i.value));
  const hi = o.max ?? Math.max(...o.items.map((i) => i.value)) * 1.05;
  const x = (v: number) => labelW + ((v - lo) / (hi - lo || 1)) * 300;
  const body: string[] = [text(10, 20, o.title, { size: 14, weight: 'bold' })];
  o.items.forEach((it, i) => {
    const y = 36 + i * bh;
    body.push(
      text(labelW - 6, y + 12, it.label, { anchor: 'end' }),
      rect(x(lo), y + 2, x(it.value) - x(lo), bh - 5, PALETTE[1]!),
      text(x(it.value) + 4, y + 12, fmt(it.value), { size: 10, fill: '#444' }),
    );
  });
  const axisY = 36 + o.items.length * bh + 4;
  body.push(line(x(lo), axisY, x(hi), axisY, '#666'));
  body.push(
    text(x(lo), axisY + 13, fmtTick(lo), { anchor: 'middle', size: 9 }),
    text(x(hi), axisY + 13, fmtTick(Number(hi.toPrecision(2))), { anchor: 'middle', size: 9 }),
  );
  if (o.reference !== undefined)
    body.push(line(x(o.reference), 30, x(o.reference), axisY, '#c0392b', 1, '4 3'));
  return svgDoc(width, height, body);
}

export interface Series {
  label: string;
  values: number[];
}

/** Vertical grouped bars: one group per category, one bar per series. */
export function groupedBars(o: {
  title: string;
  categories: string[];
  series: Series[];
  yLabel?: string;
  format?: (v: number) => string;
  yMax?: number;
}): string {
  const fmt = o.format ?? ((v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(2)));
  const gw = Math.max(40, 22 * o.series.length + 16);
  const width = Math.max(520, 70 + o.categories.length * gw + 20);
  const { body, top: py } = header(
    o.title,
    o.series.map((s) => s.label),
    width,
  );
  const height = py + 244;
  const px = 60;
  const w = width - px - 20;
  const h = height - py - 48;
  const finite = o.series.flatMap((s) => s.values).filter((v) => Number.isFinite(v));
  const ymax = o.yMax ?? Math.max(1e-9, ...finite) * 1.12;
  for (const t of ticks(ymax, 4)) {
    const y = py + h - (t / ymax) * h;
    body.push(
      line(px, y, px + w, y, '#eee'),
      text(px - 6, y + 3, fmtTick(t), { anchor: 'end', size: 9 }),
    );
  }
  body.push(line(px, py + h, px + w, py + h, '#666'));
  if (o.yLabel)
    body.push(text(16, py + h / 2, o.yLabel, { anchor: 'middle', rotate: true, size: 10 }));
  const cw = w / o.categories.length;
  const bw = Math.min(22, (cw - 12) / o.series.length);
  o.categories.forEach((c, ci) => {
    const gx = px + ci * cw + (cw - bw * o.series.length) / 2;
    o.series.forEach((s, si) => {
      const v = s.values[ci] ?? Number.NaN;
      if (!Number.isFinite(v)) return;
      const bh = (v / ymax) * h;
      body.push(rect(gx + si * bw, py + h - bh, bw - 1, bh, PALETTE[si % PALETTE.length]!));
      if (o.series.length * o.categories.length <= 40)
        body.push(
          text(gx + si * bw + bw / 2, py + h - bh - 3, fmt(v), {
            anchor: 'middle',
            size: 8,
            fill: '#444',
          }),
        );
    });
    body.push(text(px + ci * cw + cw / 2, py + h + 14, c, { anchor: 'middle', size: 10 }));
  });
  return svgDoc(width, height, body);
}

export interface LineSeries {
  label: string;
  points: [number, number][];
}

/** Line chart (e.g. ROC curves); `diagonal` draws y = x. */
export function lines(o: {
  title: string;
  series: LineSeries[];
  xLabel: string;
  yLabel: string;
  diagonal?: boolean;
  xMax?: number;
  yMax?: number;
}): string {
  const width = 560;
  const { body, top: py } = header(
    o.title,
    o.series.map((s) => s.label),
    width,
  );
  const height = py + 324;
  const px = 60;
  const w = width - px - 24;
  const h = height - py - 46;
  const xmax = o.xMax ?? Math.max(...o.series.flatMap((s) => s.points.map((p) => p[0])));
  const ymax = o.yMax ?? Math.max(...o.series.flatMap((s) => s.points.map((p) => p[1])));
  const X = (v: number) => px + (v / (xmax || 1)) * w;
  const Y = (v: number) => py + h - (v / (ymax || 1)) * h;
  for (const t of ticks(ymax, 4))
    body.push(
      line(px, Y(t), px + w, Y(t), '#eee'),
      text(px - 6, Y(t) + 3, fmtTick(t), { anchor: 'end', size: 9 }),
    );
  for (const t of ticks(xmax, 4))
    body.push(text(X(t), py + h + 14, fmtTick(t), { anchor: 'middle', size: 9 }));
  body.push(line(px, py + h, px + w, py + h, '#666'), line(px, py, px, py + h, '#666'));
  if (o.diagonal)
    body.push(line(X(0), Y(0), X(Math.min(xmax, ymax)), Y(Math.min(xmax, ymax)), '#aaa', 1, '4 3'));
  o.series.forEach((s, i) => {
    const d = s.points.map((p, k) => `${k ? 'L' : 'M'}${r1(X(p[0]))},${r1(Y(p[1]))}`).join('');
    body.push(
      `<path d="${d}" fill="none" stroke="${PALETTE[i % PALETTE.length]}" stroke-width="2"/>`,
    );
  });
  body.push(
    text(px + w / 2, height - 8, o.xLabel, { anchor: 'middle', size: 10 }),
    text(16, py + h / 2, o.yLabel, { anchor: 'middle', rotate: true, size: 10 }),
  );
  return svgDoc(width, height, body);
}

/** ROC curve points of scores against 0/1 labels (ties step together), thinned to ≤ 200 points. */
export function rocPoints(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
): [number, number][] {
  const idx = Array.from({ length: labels.length }, (_, i) => i).filter(
    (i) => !Number.isNaN(scores[i]!),
  );
  idx.sort((a, b) => scores[b]! - scores[a]!);
  const P = idx.reduce((s, i) => s + (labels[i]! === 1 ? 1 : 0), 0);
  const N = idx.length - P;
  const pts: [number, number][] = [[0, 0]];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < idx.length; k++) {
    if (labels[idx[k]!] === 1) tp++;
    else fp++;
    if (k + 1 < idx.length && scores[idx[k + 1]!] === scores[idx[k]!]) continue;
    pts.push([N ? fp / N : 0, P ? tp / P : 0]);
  }
  const step = Math.max(1, Math.ceil(pts.length / 200));
  return pts.filter((_, k) => k % step === 0 || k === pts.length - 1);
}
