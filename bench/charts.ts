/**
 * The chart decision, measured: the hand-written SVG charts (api/charts/, shared by the dashboard
 * and the notebooks) beside Apache ECharts' server-side SVG renderer: the dashboard's score chart
 * (90 days: a score line over daily bars of ads and complaints) and the notebooks' line chart
 * (a 200-point ROC curve), each drawn by both. Prints, for each:
 * the median time per render and the size of the SVG, and the time to import ECharts.
 *
 *   npm install --no-save echarts@6.1.0   # not a dependency: only this comparison needs it
 *   node --import tsx bench/charts.ts [--renders 200]
 */
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { createRng } from '../models/random.ts';
import { lines, scoreChart } from '../api/charts/index.ts';

const renders = Number(process.argv[process.argv.indexOf('--renders') + 1]) || 200;

/** Median milliseconds of `n` calls of `f` (after 10 warm-up calls). */
function median(n: number, f: () => unknown): number {
  for (let i = 0; i < 10; i++) f();
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    f();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return t[Math.floor(n / 2)]!;
}

// the same seeded series for both
const rng = createRng(20);
const rnd = () => rng.next();
const points = Array.from({ length: 90 }, (_, i) => ({
  day: new Date(Date.UTC(2026, 0, 1 + i)).toISOString().slice(0, 10),
  score: i < 5 ? null : Math.min(1, 0.1 + i / 120 + rnd() * 0.05),
  ads: Math.floor(rnd() * 6),
  complaints: Math.floor(rnd() * 3),
}));
const roc: [number, number][] = Array.from({ length: 200 }, (_, i) => {
  const x = i / 199;
  return [x, Math.min(1, Math.sqrt(x) + rnd() * 0.02)];
});

/** The part of ECharts' API used here (it is not a dependency: no types in a clean clone). */
interface Echarts {
  init(
    dom: null,
    theme: null,
    o: { renderer: 'svg'; ssr: true; width: number; height: number },
  ): { setOption(o: object): void; renderToSVGString(): string; dispose(): void };
}
let echarts: Echarts;
const ECHARTS: string = 'echarts'; // a string, not a module name tsc resolves
const t0 = performance.now();
try {
  echarts = (await import(ECHARTS)) as Echarts;
} catch {
  console.error('echarts is not installed: npm install --no-save echarts@6.1.0');
  process.exit(2);
}
const echartsMs = performance.now() - t0;

function echartsSvg(width: number, height: number, option: object): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  chart.setOption({ animation: false, ...option });
  const svg = chart.renderToSVGString();
  chart.dispose();
  return svg;
}

const handScore = () => scoreChart({ points, width: 640, height: 200 });
const echartsScore = () =>
  echartsSvg(640, 200, {
    grid: { left: 36, right: 36, top: 22, bottom: 26 },
    xAxis: { type: 'category', data: points.map((p) => p.day) },
    yAxis: [
      { type: 'value', min: 0, max: 1 },
      { type: 'value', min: 0 },
    ],
    series: [
      { type: 'bar', yAxisIndex: 1, data: points.map((p) => p.ads) },
      { type: 'bar', yAxisIndex: 1, data: points.map((p) => p.complaints) },
      { type: 'line', showSymbol: false, data: points.map((p) => p.score) },
    ],
  });
const handLines = () =>
  lines({
    title: 'ROC',
    series: [{ label: 'model', points: roc }],
    xLabel: 'FPR',
    yLabel: 'TPR',
    diagonal: true,
    xMax: 1,
    yMax: 1,
  });
const echartsLines = () =>
  echartsSvg(560, 380, {
    title: { text: 'ROC' },
    legend: {},
    xAxis: { type: 'value', max: 1, name: 'FPR' },
    yAxis: { type: 'value', max: 1, name: 'TPR' },
    series: [
      { name: 'model', type: 'line', showSymbol: false, data: roc },
      {
        type: 'line',
        showSymbol: false,
        data: [
          [0, 0],
          [1, 1],
        ],
        lineStyle: { type: 'dashed' },
      },
    ],
  });

const rows: [string, string, number, number, number][] = [
  ['score chart (dashboard)', 'hand-written', 0, median(renders, handScore), handScore().length],
  [
    'score chart (dashboard)',
    'echarts',
    echartsMs,
    median(renders, echartsScore),
    echartsScore().length,
  ],
  ['ROC lines (notebooks)', 'hand-written', 0, median(renders, handLines), handLines().length],
  ['ROC lines (notebooks)', 'echarts', 0, median(renders, echartsLines), echartsLines().length],
];

console.log(
  `machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, node ${process.version}, load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}; ${renders} renders each (median)`,
);
console.log('chart                     library      import ms  ms/render  SVG bytes');
for (const [chart, lib, load, ms, bytes] of rows)
  console.log(
    `${chart.padEnd(26)}${lib.padEnd(15)}${load ? load.toFixed(0).padStart(7) : '      —'}  ${ms.toFixed(3).padStart(9)}  ${String(bytes).padStart(9)}`,
  );
const ratio = (a: number, b: number) => (b / a).toFixed(1);
console.log(
  `echarts ÷ hand-written: score chart ${ratio(rows[0]![3], rows[1]![3])}× the time, ${ratio(rows[0]![4], rows[1]![4])}× the bytes; ROC ${ratio(rows[2]![3], rows[3]![3])}× the time, ${ratio(rows[2]![4], rows[3]![4])}× the bytes`,
);
