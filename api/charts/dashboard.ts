/**
 * The dashboard's charts as inline SVG strings (`class="chart"`, full width, fonts and colours
 * from the page): a time series (score line over daily bars of ads and complaints), a histogram
 * of counts per bucket (lead times) and a small network star. An empty input gives ''.
 */
import { countMax, countTicks, el, esc, niceMax, r1, rect, text } from './svg.ts';

const GRID = '#e8ecf1';
const MUTED = '#6b7785';

/** The chart's outer element: scales to its container's width. */
function inlineSvg(
  width: number,
  height: number,
  label: string,
  body: string[],
  style?: string,
): string {
  return el(
    'svg',
    {
      class: 'chart',
      viewBox: `0 0 ${width} ${height}`,
      width: '100%',
      style,
      role: 'img',
      'aria-label': label,
    },
    ...body,
  );
}

export interface SeriesPoint {
  day: string;
  score: number | null;
  ads: number;
  complaints: number;
}

export interface ScoreChartOptions {
  points: readonly SeriesPoint[];
  width?: number | undefined;
  height?: number | undefined;
  /** A day to mark with a dashed vertical line (the alert's day). */
  marker?: string | undefined;
}

/** Score (left axis, 0–1) as a line broken where the enterprise was not scored, over ads and complaints per day (right axis). */
export function scoreChart(o: ScoreChartOptions): string {
  const W = o.width ?? 640;
  const H = o.height ?? 200;
  const pad = { l: 36, r: 36, t: 22, b: 26 };
  const pts = o.points;
  if (pts.length === 0) return '';
  const iw = W - pad.l - pad.r;
  const ih = H - pad.t - pad.b;
  const n = pts.length;
  const step = iw / n;
  const cmax = countMax(Math.max(...pts.map((p) => Math.max(p.ads, p.complaints))));
  const x = (i: number) => pad.l + step * i + step / 2;
  const yScore = (s: number) => pad.t + ih * (1 - s);
  const yCount = (c: number) => pad.t + ih * (1 - c / cmax);
  const bw = Math.max(1, step / 2 - 0.5);
  const body: string[] = [];
  for (const g of [0, 0.25, 0.5, 0.75, 1]) {
    const y = r1(yScore(g));
    body.push(
      el('line', { x1: pad.l, x2: W - pad.r, y1: y, y2: y, stroke: GRID }),
      text(pad.l - 4, y + 4, g.toFixed(2), { anchor: 'end', size: 10, fill: MUTED }),
    );
    if (countTicks(cmax).includes(g))
      body.push(text(W - pad.r + 4, y + 4, String(cmax * g), { size: 10, fill: MUTED }));
  }
  const markerIdx = o.marker ? pts.findIndex((p) => p.day === o.marker) : -1;
  if (markerIdx >= 0) {
    const mx = r1(x(markerIdx));
    body.push(
      el('line', {
        x1: mx,
        x2: mx,
        y1: pad.t,
        y2: pad.t + ih,
        stroke: '#14325c',
        'stroke-dasharray': '3,3',
      }),
    );
  }
  const labelEvery = Math.max(1, Math.ceil(n / 8));
  pts.forEach((p, i) => {
    if (p.ads > 0) body.push(rect(x(i) - bw, yCount(p.ads), bw, ih * (p.ads / cmax), '#f5c518'));
    if (p.complaints > 0)
      body.push(rect(x(i), yCount(p.complaints), bw, ih * (p.complaints / cmax), '#d92d20', 0.75));
    if (i % labelEvery === 0)
      body.push(text(x(i), H - 8, p.day.slice(5), { anchor: 'middle', size: 10, fill: MUTED }));
  });
  // the score line, broken into segments at unscored days; a lone scored day is a dot
  const segments: [number, number][][] = [[]];
  pts.forEach((p, i) => {
    if (p.score === null) segments.push([]);
    else segments.at(-1)!.push([r1(x(i)), r1(yScore(p.score))]);
  });
  for (const s of segments.filter((s) => s.length > 0))
    body.push(
      s.length === 1
        ? el('circle', { cx: s[0]![0], cy: s[0]![1], r: 2.5, fill: '#1d5fbf' })
        : el('polyline', {
            points: s.map(([a, b]) => `${a},${b}`).join(' '),
            fill: 'none',
            stroke: '#1d5fbf',
            'stroke-width': 2,
          }),
    );
  body.push(
    text(pad.l - 30, pad.t - 2, '评分', { size: 10, fill: '#1d5fbf' }),
    text(W - pad.r + 2, pad.t - 2, '条数', { size: 10, fill: MUTED }),
  );
  return inlineSvg(W, H, '评分、广告与投诉随时间变化', body);
}

export interface Bucket {
  label: string;
  count: number;
}

export interface BucketChartOptions {
  buckets: readonly Bucket[];
  width?: number | undefined;
  height?: number | undefined;
  color?: string | undefined;
  /** The x axis' caption under the bucket labels. */
  unit?: string | undefined;
}

/** Vertical bars of counts per bucket, each with its count above and its label below. */
export function bucketChart(o: BucketChartOptions): string {
  const W = o.width ?? 440;
  const H = o.height ?? 190;
  const pad = { l: 30, r: 8, t: 16, b: 34 };
  const bs = o.buckets;
  if (bs.length === 0) return '';
  const iw = W - pad.l - pad.r;
  const ih = H - pad.t - pad.b;
  const max = niceMax(Math.max(1, ...bs.map((b) => b.count)));
  const step = iw / bs.length;
  const bw = step * 0.7;
  const body: string[] = [];
  for (const g of countTicks(max)) {
    const y = r1(pad.t + ih * (1 - g));
    body.push(
      el('line', { x1: pad.l, x2: W - pad.r, y1: y, y2: y, stroke: GRID }),
      text(pad.l - 4, y + 4, String(max * g), { anchor: 'end', size: 10, fill: MUTED }),
    );
  }
  bs.forEach((b, i) => {
    const h = ih * (b.count / max);
    const x0 = pad.l + step * i + (step - bw) / 2;
    body.push(
      rect(x0, pad.t + ih - h, bw, h, o.color ?? '#1d5fbf'),
      text(x0 + bw / 2, pad.t + ih - h - 3, String(b.count), {
        anchor: 'middle',
        size: 10,
        fill: '#1f2933',
      }),
      text(x0 + bw / 2, H - pad.b + 14, b.label, { anchor: 'middle', size: 10, fill: '#4a5664' }),
    );
  });
  if (o.unit) body.push(text(W / 2, H - 4, o.unit, { anchor: 'middle', size: 10, fill: MUTED }));
  return inlineSvg(W, H, '提前期分布', body, `max-width:${W}px`);
}

export interface GraphNode {
  id: string;
  label: string;
  /** Absent for a neighbour of another jurisdiction (no link, no name). */
  href?: string | undefined;
  kinds: string[];
  confirmed: boolean;
  level: string | null;
}

export interface NetworkGraphOptions {
  center: { label: string; level: string | null };
  nodes: readonly GraphNode[];
  width?: number | undefined;
  height?: number | undefined;
}

/** Edge colour per shared kind (the dashboard's legend names them). */
export const KIND_COLOR: Record<string, string> = {
  legal_rep: '#d92d20',
  address: '#1d5fbf',
  phone: '#1b7a3d',
  shareholder: '#8a5a00',
};
const LEVEL_FILL: Record<string, string> = { red: '#d92d20', orange: '#f38a1c', yellow: '#f5c518' };

/** A star: the enterprise in the middle, its neighbours (at most 16) on a circle, one coloured edge per shared kind. */
export function networkGraph(o: NetworkGraphOptions): string {
  const W = o.width ?? 520;
  const H = o.height ?? 300;
  const cx = W / 2;
  const cy = H / 2;
  const nodes = o.nodes.slice(0, 16);
  const R = Math.min(W, H) / 2 - 34;
  const short = (s: string) => ([...s].length > 8 ? `${[...s].slice(0, 8).join('')}…` : s);
  const placed = nodes.map((nd, i) => {
    const a = (2 * Math.PI * i) / Math.max(1, nodes.length) - Math.PI / 2;
    return { nd, a, nx: cx + R * Math.cos(a), ny: cy + R * Math.sin(a) };
  });
  const body: string[] = [];
  for (const { nd, a, nx, ny } of placed)
    for (const [j, k] of nd.kinds.entries()) {
      const off = (j - (nd.kinds.length - 1) / 2) * 3;
      body.push(
        el('line', {
          x1: r1(cx + off * Math.sin(a)),
          y1: r1(cy - off * Math.cos(a)),
          x2: r1(nx + off * Math.sin(a)),
          y2: r1(ny - off * Math.cos(a)),
          stroke: KIND_COLOR[k] ?? '#999',
          'stroke-width': 1.5,
          opacity: 0.8,
        }),
      );
    }
  for (const { nd, a, nx, ny } of placed) {
    const node = [
      el('title', {}, esc(nd.label)),
      el('circle', {
        cx: r1(nx),
        cy: r1(ny),
        r: 8,
        fill: nd.level ? (LEVEL_FILL[nd.level] ?? '#fff') : '#fff',
        stroke: nd.confirmed ? '#000' : MUTED,
        'stroke-width': nd.confirmed ? 3 : 1.5,
      }),
      text(nx, ny + (Math.sin(a) >= 0 ? 20 : -12), short(nd.label), {
        anchor: 'middle',
        size: 10,
        fill: '#1f2933',
      }),
    ];
    // a neighbour of another jurisdiction is drawn without a link
    body.push(
      nd.href
        ? el('a', { href: nd.href }, ...node)
        : el('g', { class: 'other-jurisdiction' }, ...node),
    );
  }
  body.push(
    el('circle', {
      cx,
      cy,
      r: 13,
      fill: o.center.level ? (LEVEL_FILL[o.center.level] ?? '#14325c') : '#14325c',
      stroke: '#14325c',
      'stroke-width': 2,
    }),
    text(cx, cy + 28, short(o.center.label), {
      anchor: 'middle',
      size: 11,
      weight: '700',
      fill: '#14325c',
    }),
  );
  return inlineSvg(W, H, '关联网络', body);
}
