/**
 * The one chart module of the dashboard and the notebooks: pure functions returning SVG strings,
 * hand-written (measured against Apache ECharts in `bench/charts.ts`, see api/dashboard/README.md).
 * No imports outside this folder, so the notebooks' Deno kernel loads it as it is.
 */
export {
  bucketChart,
  KIND_COLOR,
  networkGraph,
  scoreChart,
  type Bucket,
  type BucketChartOptions,
  type GraphNode,
  type NetworkGraphOptions,
  type ScoreChartOptions,
  type SeriesPoint,
} from './dashboard.ts';
export {
  barsH,
  groupedBars,
  histograms,
  lines,
  rocPoints,
  type BarItem,
  type HistogramGroup,
  type HistogramPanel,
  type HistogramsOptions,
  type LineSeries,
  type Series,
} from './analysis.ts';
export { countMax, countTicks, niceMax, PALETTE, textWidth } from './svg.ts';
