/** Public surface of the city simulator for other folders (bench, notebooks, tests). */
export { simulate, type SimSummary, type FileSummary } from './sim/run.ts';
export { DEFAULTS, type SimOptions } from './sim/config.ts';
export { formatBaseline, type BaselineReport } from './sim/baseline.ts';
