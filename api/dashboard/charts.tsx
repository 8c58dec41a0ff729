/**
 * Inline SVG charts, drawn on the server: a time series (score line over daily bars of ads and
 * complaints), a histogram (lead times) and a small network graph. No script, no library.
 */
import type { Child } from 'hono/jsx';

const r1 = (x: number) => Math.round(x * 10) / 10;

export interface SeriesPoint {
  day: string;
  score: number | null;
  ads: number;
  complaints: number;
}

/** Count-axis ticks as fractions of the axis maximum: only those that land on whole numbers. */
export function countTicks(max: number): number[] {
  return [0, 0.25, 0.5, 0.75, 1].filter((g) => Number.isInteger(Math.round(max * g * 1000) / 1000));
}

/** A count axis maximum whose quarters are whole numbers when counts are small (4, 8, …, 20). */
export function countMax(x: number): number {
  if (!(x > 0)) return 4;
  return x <= 20 ? Math.ceil(x / 4) * 4 : niceMax(x);
}

/** A tidy upper bound for an axis: 1, 2, 5 × 10^k. */
export function niceMax(x: number): number {
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 5, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

export function ScoreChart(props: {
  points: readonly SeriesPoint[];
  width?: number;
  height?: number;
  marker?: string;
}): Child {
  const W = props.width ?? 640;
  const H = props.height ?? 200;
  const pad = { l: 36, r: 36, t: 22, b: 26 };
  const pts = props.points;
  if (pts.length === 0) return <div class="empty">暂无数据</div>;
  const iw = W - pad.l - pad.r;
  const ih = H - pad.t - pad.b;
  const n = pts.length;
  const step = iw / n;
  const cmax = countMax(Math.max(...pts.map((p) => Math.max(p.ads, p.complaints))));
  const x = (i: number) => pad.l + step * i + step / 2;
  const yScore = (s: number) => pad.t + ih * (1 - s);
  const yCount = (c: number) => pad.t + ih * (1 - c / cmax);
  const bw = Math.max(1, step / 2 - 0.5);
  const line: string[] = [];
  const segments: string[][] = [];
  for (let i = 0; i < n; i++) {
    const s = pts[i]!.score;
    if (s === null) {
      if (line.length) segments.push(line.splice(0));
      continue;
    }
    line.push(`${r1(x(i))},${r1(yScore(s))}`);
  }
  if (line.length) segments.push(line);
  const labelEvery = Math.max(1, Math.ceil(n / 8));
  const markerIdx = props.marker ? pts.findIndex((p) => p.day === props.marker) : -1;
  return (
    <svg
      class="chart"
      viewBox={`0 0 ${W} ${H}`}
      width="100%"
      role="img"
      aria-label="评分、广告与投诉随时间变化"
    >
      {[0, 0.25, 0.5, 0.75, 1].map((g) => (
        <g>
          <line x1={pad.l} x2={W - pad.r} y1={r1(yScore(g))} y2={r1(yScore(g))} stroke="#e8ecf1" />
          <text x={pad.l - 4} y={r1(yScore(g)) + 4} font-size="10" text-anchor="end" fill="#6b7785">
            {g.toFixed(2)}
          </text>
          {countTicks(cmax).includes(g) ? (
            <text x={W - pad.r + 4} y={r1(yScore(g)) + 4} font-size="10" fill="#6b7785">
              {String(cmax * g)}
            </text>
          ) : null}
        </g>
      ))}
      {markerIdx >= 0 ? (
        <line
          x1={r1(x(markerIdx))}
          x2={r1(x(markerIdx))}
          y1={pad.t}
          y2={pad.t + ih}
          stroke="#14325c"
          stroke-dasharray="3,3"
        />
      ) : null}
      {pts.map((p, i) => (
        <g>
          {p.ads > 0 ? (
            <rect
              x={r1(x(i) - bw)}
              y={r1(yCount(p.ads))}
              width={r1(bw)}
              height={r1(ih * (p.ads / cmax))}
              fill="#f5c518"
            />
          ) : null}
          {p.complaints > 0 ? (
            <rect
              x={r1(x(i))}
              y={r1(yCount(p.complaints))}
              width={r1(bw)}
              height={r1(ih * (p.complaints / cmax))}
              fill="#d92d20"
              opacity="0.75"
            />
          ) : null}
          {i % labelEvery === 0 ? (
            <text x={r1(x(i))} y={H - 8} font-size="10" text-anchor="middle" fill="#6b7785">
              {p.day.slice(5)}
            </text>
          ) : null}
        </g>
      ))}
      {segments.map((s) =>
        s.length === 1 ? (
          <circle cx={s[0]!.split(',')[0]} cy={s[0]!.split(',')[1]} r="2.5" fill="#1d5fbf" />
        ) : (
          <polyline points={s.join(' ')} fill="none" stroke="#1d5fbf" stroke-width="2" />
        ),
      )}
      <text x={pad.l - 30} y={pad.t - 2} font-size="10" fill="#1d5fbf">
        评分
      </text>
      <text x={W - pad.r + 2} y={pad.t - 2} font-size="10" fill="#6b7785">
        条数
      </text>
    </svg>
  );
}

export function ChartLegend(): Child {
  return (
    <div class="legend">
      <span>
        <i style="background:#1d5fbf;height:3px" />
        评分（0–1）
      </span>
      <span>
        <i style="background:#f5c518" />
        广告（条/日）
      </span>
      <span>
        <i style="background:#d92d20;opacity:.75" />
        投诉（件/日）
      </span>
    </div>
  );
}

export interface Bucket {
  label: string;
  count: number;
}

export function Histogram(props: {
  buckets: readonly Bucket[];
  width?: number;
  height?: number;
  color?: string;
  unit?: string;
}): Child {
  const W = props.width ?? 440;
  const H = props.height ?? 190;
  const pad = { l: 30, r: 8, t: 16, b: 34 };
  const bs = props.buckets;
  if (bs.length === 0) return <div class="empty">暂无数据</div>;
  const iw = W - pad.l - pad.r;
  const ih = H - pad.t - pad.b;
  const max = niceMax(Math.max(1, ...bs.map((b) => b.count)));
  const step = iw / bs.length;
  const bw = step * 0.7;
  return (
    <svg
      class="chart"
      viewBox={`0 0 ${W} ${H}`}
      width="100%"
      style={`max-width:${W}px`}
      role="img"
      aria-label="提前期分布"
    >
      {countTicks(max).map((g) => (
        <g>
          <line
            x1={pad.l}
            x2={W - pad.r}
            y1={r1(pad.t + ih * (1 - g))}
            y2={r1(pad.t + ih * (1 - g))}
            stroke="#e8ecf1"
          />
          <text
            x={pad.l - 4}
            y={r1(pad.t + ih * (1 - g)) + 4}
            font-size="10"
            text-anchor="end"
            fill="#6b7785"
          >
            {String(max * g)}
          </text>
        </g>
      ))}
      {bs.map((b, i) => {
        const h = ih * (b.count / max);
        const x0 = pad.l + step * i + (step - bw) / 2;
        return (
          <g>
            <rect
              x={r1(x0)}
              y={r1(pad.t + ih - h)}
              width={r1(bw)}
              height={r1(h)}
              fill={props.color ?? '#1d5fbf'}
            />
            <text
              x={r1(x0 + bw / 2)}
              y={r1(pad.t + ih - h - 3)}
              font-size="10"
              text-anchor="middle"
              fill="#1f2933"
            >
              {String(b.count)}
            </text>
            <text
              x={r1(x0 + bw / 2)}
              y={H - pad.b + 14}
              font-size="10"
              text-anchor="middle"
              fill="#4a5664"
            >
              {b.label}
            </text>
          </g>
        );
      })}
      {props.unit ? (
        <text x={W / 2} y={H - 4} font-size="10" text-anchor="middle" fill="#6b7785">
          {props.unit}
        </text>
      ) : null}
    </svg>
  );
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

const KIND_COLOR: Record<string, string> = {
  legal_rep: '#d92d20',
  address: '#1d5fbf',
  phone: '#1b7a3d',
  shareholder: '#8a5a00',
};
const LEVEL_FILL: Record<string, string> = { red: '#d92d20', orange: '#f38a1c', yellow: '#f5c518' };

/** A star: the enterprise in the middle, its neighbours on a circle, one coloured edge per shared kind. */
export function NetworkGraph(props: {
  center: { label: string; level: string | null };
  nodes: readonly GraphNode[];
  width?: number;
  height?: number;
}): Child {
  const W = props.width ?? 520;
  const H = props.height ?? 300;
  const cx = W / 2;
  const cy = H / 2;
  const nodes = props.nodes.slice(0, 16);
  const R = Math.min(W, H) / 2 - 34;
  const short = (s: string) => ([...s].length > 8 ? `${[...s].slice(0, 8).join('')}…` : s);
  return (
    <svg class="chart" viewBox={`0 0 ${W} ${H}`} width="100%" role="img" aria-label="关联网络">
      {nodes.map((nd, i) => {
        const a = (2 * Math.PI * i) / Math.max(1, nodes.length) - Math.PI / 2;
        const nx = cx + R * Math.cos(a);
        const ny = cy + R * Math.sin(a);
        return (
          <g>
            {nd.kinds.map((k, j) => {
              const off = (j - (nd.kinds.length - 1) / 2) * 3;
              return (
                <line
                  x1={r1(cx + off * Math.sin(a))}
                  y1={r1(cy - off * Math.cos(a))}
                  x2={r1(nx + off * Math.sin(a))}
                  y2={r1(ny - off * Math.cos(a))}
                  stroke={KIND_COLOR[k] ?? '#999'}
                  stroke-width="1.5"
                  opacity="0.8"
                />
              );
            })}
          </g>
        );
      })}
      {nodes.map((nd, i) => {
        const a = (2 * Math.PI * i) / Math.max(1, nodes.length) - Math.PI / 2;
        const nx = cx + R * Math.cos(a);
        const ny = cy + R * Math.sin(a);
        return (
          <g>
            {nd.href ? (
              <a href={nd.href}>
                <title>{nd.label}</title>
                <circle
                  cx={r1(nx)}
                  cy={r1(ny)}
                  r="8"
                  fill={nd.level ? (LEVEL_FILL[nd.level] ?? '#fff') : '#fff'}
                  stroke={nd.confirmed ? '#000' : '#6b7785'}
                  stroke-width={nd.confirmed ? '3' : '1.5'}
                />
                <text
                  x={r1(nx)}
                  y={r1(ny + (Math.sin(a) >= 0 ? 20 : -12))}
                  font-size="10"
                  text-anchor="middle"
                  fill="#1f2933"
                >
                  {short(nd.label)}
                </text>
              </a>
            ) : (
              <g class="other-jurisdiction">
                <title>{nd.label}</title>
                <circle
                  cx={r1(nx)}
                  cy={r1(ny)}
                  r="8"
                  fill={nd.level ? (LEVEL_FILL[nd.level] ?? '#fff') : '#fff'}
                  stroke={nd.confirmed ? '#000' : '#6b7785'}
                  stroke-width={nd.confirmed ? '3' : '1.5'}
                />
                <text
                  x={r1(nx)}
                  y={r1(ny + (Math.sin(a) >= 0 ? 20 : -12))}
                  font-size="10"
                  text-anchor="middle"
                  fill="#1f2933"
                >
                  {short(nd.label)}
                </text>
              </g>
            )}
          </g>
        );
      })}
      <circle
        cx={cx}
        cy={cy}
        r="13"
        fill={props.center.level ? (LEVEL_FILL[props.center.level] ?? '#14325c') : '#14325c'}
        stroke="#14325c"
        stroke-width="2"
      />
      <text x={cx} y={cy + 28} font-size="11" font-weight="700" text-anchor="middle" fill="#14325c">
        {short(props.center.label)}
      </text>
    </svg>
  );
}

export function NetworkLegend(): Child {
  return (
    <div class="legend">
      <span>
        <i style="background:#d92d20" />
        同一法定代表人
      </span>
      <span>
        <i style="background:#1d5fbf" />
        同一地址
      </span>
      <span>
        <i style="background:#1b7a3d" />
        同一电话
      </span>
      <span>
        <i style="background:#8a5a00" />
        共同股东
      </span>
      <span>粗黑圈 = 已认定案件</span>
    </div>
  );
}
