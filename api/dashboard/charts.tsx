/**
 * The dashboard's charts as JSX: thin wrappers over the shared SVG charts (`api/charts/`, also
 * used by the notebooks), with a placeholder when there is nothing to draw, and their legends.
 */
import type { Child } from 'hono/jsx';
import { raw } from 'hono/html';
import {
  bucketChart,
  KIND_COLOR,
  networkGraph,
  scoreChart,
  type BucketChartOptions,
  type NetworkGraphOptions,
  type ScoreChartOptions,
} from '../charts/index.ts';

export type { SeriesPoint } from '../charts/index.ts';

/** An SVG string (built and escaped by api/charts) as a JSX child, or the empty placeholder. */
function svgOrEmpty(svg: string): Child {
  return svg ? raw(svg) : <div class="empty">暂无数据</div>;
}

export const ScoreChart = (props: ScoreChartOptions): Child => svgOrEmpty(scoreChart(props));

export const Histogram = (props: BucketChartOptions): Child => svgOrEmpty(bucketChart(props));

export const NetworkGraph = (props: NetworkGraphOptions): Child => svgOrEmpty(networkGraph(props));

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

const KIND_LEGEND: [string, string][] = [
  ['legal_rep', '同一法定代表人'],
  ['address', '同一地址'],
  ['phone', '同一电话'],
  ['shareholder', '共同股东'],
];

export function NetworkLegend(): Child {
  return (
    <div class="legend">
      {KIND_LEGEND.map(([kind, label]) => (
        <span>
          <i style={`background:${KIND_COLOR[kind] ?? '#999'}`} />
          {label}
        </span>
      ))}
      <span>粗黑圈 = 已认定案件</span>
    </div>
  );
}
